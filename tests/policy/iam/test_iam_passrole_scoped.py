"""iam-passrole-scoped: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from typing import Any

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import (
    LAMBDA_ROLE,
    ROLE_POLICY,
    SAGEMAKER_ROLE,
    TEAM,
    allow,
    edit,
    lambda_policy,
    role_arn,
)

POLICY = "iam-passrole-scoped"
SAGEMAKER_SERVICE = {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def _passrole(
    name: str, condition: dict[str, Any] | None, passed_role: str = SAGEMAKER_ROLE
) -> Case:
    statement = allow("Pass", ["iam:PassRole"], [role_arn(passed_role)], condition)
    return Case(
        name,
        "network-iam",
        edit(ROLE_POLICY, LAMBDA_ROLE, policy=lambda_policy(statement, base=[])),
    )


NON_COMPLIANT: list[Case] = [
    Case(
        "PassRole on *",
        "network-iam",
        edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=lambda_policy(
                allow(
                    "Pass",
                    ["iam:PassRole"],
                    ["*"],
                    {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                ),
                base=[],
            ),
        ),
    ),
    Case(
        "PassRole without PassedToService",
        "network-iam",
        edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=lambda_policy(
                allow("Pass", ["iam:PassRole"], [role_arn(SAGEMAKER_ROLE)]), base=[]
            ),
        ),
    ),
    _passrole(
        "negated PassedToService",
        {"StringNotEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
    ),
    _passrole(
        "PassedToService IfExists",
        {"StringEqualsIfExists": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    ),
    _passrole("PassedToService wildcard", {"StringLike": {"iam:PassedToService": "*"}}),
    _passrole(
        "PassedToService any service of AWS",
        {"StringLike": {"iam:PassedToService": "*.amazonaws.com"}},
    ),
    _passrole("PassedToService Null", {"Null": {"iam:PassedToService": "false"}}),
    _passrole(
        "PassedToService with ForAllValues",
        {"ForAllValues:StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    ),
    _passrole(
        "PassedToService not a string",
        {"StringEquals": {"iam:PassedToService": {"service": "sagemaker"}}},
    ),
    # Same team, other environment: a dev orchestrator starting jobs as the prod role.
    _passrole(
        "the same team's prod role from a dev role",
        SAGEMAKER_SERVICE,
        passed_role=f"{TEAM}-prod-sagemaker-execution",
    ),
    _passrole(
        "another team's role", SAGEMAKER_SERVICE, passed_role="churn-dev-sagemaker-execution"
    ),
]
COMPLIANT: list[Case] = [
    _passrole("the same team and environment's role", SAGEMAKER_SERVICE),
    _passrole(
        "PassedToService with StringLike and no wildcard",
        {"StringLike": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    ),
    _passrole(
        "key spelled in another case",
        {"StringEquals": {"iam:passedtoservice": "sagemaker.amazonaws.com"}},
    ),
]

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
