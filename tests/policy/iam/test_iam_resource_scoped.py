"""iam-resource-scoped: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from typing import Any

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import (
    ACCOUNT,
    ENV,
    INVOKER_ROLE,
    LAMBDA_ROLE,
    ROLE_POLICY,
    SAGEMAKER_ROLE,
    TEAM,
    allow,
    arn,
    doc,
    edit,
    lambda_policy,
)

POLICY = "iam-resource-scoped"


def _scoped(name: str, role: str, statement: dict[str, Any]) -> Case:
    return Case(name, "network-iam", edit(ROLE_POLICY, role, policy=doc(statement)))


NON_COMPLIANT: list[Case] = [
    Case(
        "Resource * on a restrictable action",
        "network-iam",
        edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=lambda_policy(allow("Any", ["sns:Publish"], ["*"]), base=[]),
        ),
    ),
    Case(
        "every topic of the account",
        "network-iam",
        edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=lambda_policy(allow("AnyTopic", ["sns:Publish"], [arn("sns", "*")]), base=[]),
        ),
    ),
    # ARNs that only look narrow
    _scoped(
        "every training job",
        LAMBDA_ROLE,
        allow("Start", ["sagemaker:CreateTrainingJob"], [arn("sagemaker", "training-job/*")]),
    ),
    _scoped(
        "every function",
        INVOKER_ROLE,
        allow("Invoke", ["lambda:InvokeFunction"], [arn("lambda", "function:*")]),
    ),
    _scoped(
        "every key of the account",
        SAGEMAKER_ROLE,
        allow("Use", ["kms:Decrypt"], [arn("kms", "key/*")]),
    ),
    _scoped(
        "every state machine with a suffix",
        INVOKER_ROLE,
        allow("Start", ["states:StartExecution"], [arn("states", "stateMachine:*-orchestrator")]),
    ),
    _scoped(
        "another team's training jobs",
        LAMBDA_ROLE,
        allow("Start", ["sagemaker:CreateTrainingJob"], [arn("sagemaker", "training-job/churn-*")]),
    ),
    _scoped(
        "a prefix shorter than the team",
        LAMBDA_ROLE,
        allow("Start", ["sagemaker:CreateTrainingJob"], [arn("sagemaker", "training-job/fr*")]),
    ),
    _scoped(
        "another team's topics",
        LAMBDA_ROLE,
        allow("Publish", ["sns:Publish"], [arn("sns", "churn-*")]),
    ),
    _scoped(
        "every bucket of the team's name shape but not the team",
        SAGEMAKER_ROLE,
        allow("Read", ["s3:GetObject"], [f"arn:aws:s3:::*-{ACCOUNT}-training-data/*"]),
    ),
    # Same team, other environment: `<team>-*` reaches prod from dev in a shared account.
    _scoped(
        "same team, every environment's training jobs",
        LAMBDA_ROLE,
        allow(
            "Start", ["sagemaker:CreateTrainingJob"], [arn("sagemaker", f"training-job/{TEAM}-*")]
        ),
    ),
    _scoped(
        "same team, another environment's training jobs",
        LAMBDA_ROLE,
        allow(
            "Start",
            ["sagemaker:CreateTrainingJob"],
            [arn("sagemaker", f"training-job/{TEAM}-prod-*")],
        ),
    ),
    _scoped(
        "same team, another environment's functions",
        INVOKER_ROLE,
        allow("Invoke", ["lambda:InvokeFunction"], [arn("lambda", f"function:{TEAM}-prod-*")]),
    ),
    # The List exception is this action only: the gate's write and describe stay scoped.
    _scoped(
        "registering on every model package",
        LAMBDA_ROLE,
        allow("Register", ["sagemaker:CreateModelPackage"], ["*"]),
    ),
    _scoped(
        "the List exception carrying a write along",
        LAMBDA_ROLE,
        allow("Gate", ["sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage"], ["*"]),
    ),
]
COMPLIANT: list[Case] = [
    _scoped(
        "the team's jobs of its environment",
        LAMBDA_ROLE,
        allow(
            "Start",
            ["sagemaker:CreateTrainingJob"],
            [arn("sagemaker", f"training-job/{TEAM}-{ENV}-*")],
        ),
    ),
    # The near miss: the environment's jobs next to the team's images of every environment
    # (ECR repositories are `<team>-*` on purpose: an image is promoted dev to prod unchanged).
    _scoped(
        "the environment's jobs and the team's images",
        SAGEMAKER_ROLE,
        allow(
            "Train",
            ["sagemaker:DescribeTrainingJob", "ecr:BatchGetImage"],
            [
                arn("sagemaker", f"training-job/{TEAM}-{ENV}-*"),
                arn("ecr", f"repository/{TEAM}-*"),
            ],
        ),
    ),
    _scoped(
        "the team's jobs of one environment and model",
        LAMBDA_ROLE,
        allow(
            "Start",
            ["sagemaker:CreateTrainingJob"],
            [arn("sagemaker", f"training-job/{TEAM}-{ENV}-scoring-*")],
        ),
    ),
    # A read-only List action whose resource type is optional and whose evaluated ARN AWS does
    # not document (retraining_policies.iam.list_actions).
    _scoped(
        "the model packages a List call reads",
        LAMBDA_ROLE,
        allow("ListVersions", ["sagemaker:ListModelPackages"], ["*"]),
    ),
    _scoped(
        "network interfaces SageMaker names",
        SAGEMAKER_ROLE,
        allow("Eni", ["ec2:DeleteNetworkInterface"], [arn("ec2", "network-interface/*")]),
    ),
    _scoped(
        "every key, narrowed by a tag condition",
        SAGEMAKER_ROLE,
        allow(
            "Use",
            ["kms:Decrypt"],
            [arn("kms", "key/*")],
            {"StringEquals": {"aws:ResourceTag/team": TEAM}},
        ),
    ),
]

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
