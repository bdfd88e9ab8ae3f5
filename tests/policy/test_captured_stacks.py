"""The shipped stacks, captured by the offline planner's mock runtime, judged by the pack.

The programs in stacks/ run in preview mode exactly as `nox -s plan` runs them (upstream exports
resolved from the stacks planned before, unknowns kept unknown), and the resources are fed to the
pack as the engine would: Analyze per resource, then AnalyzeStack with property dependencies.
Then the insecure corpus is replayed on the captured resources: one mistake each, all caught.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import policy_cases
import policy_fixtures as fx
import pytest
from offline_plan.analysis import engine_resources
from offline_plan.discovery import StackSelection, discover
from offline_plan.mock_runtime import run_program
from policy_harness import UNKNOWN, FixtureResource, InProcessPack, by_policy, mandatory
from retraining_policies import naming as pack_naming
from retraining_policies.framework import Resource
from retraining_shared import naming as shared_naming

STACKS_DIR = Path(__file__).resolve().parents[2] / "stacks"
LAMBDA_STACK = "retraining/fraud-scoring-dev"
STEP_FUNCTIONS_STACK = "retraining/churn-forecast-dev"


def _failures_end_unreported(resources: list[FixtureResource]) -> list[FixtureResource]:
    """The shipped state machine, but every failure of its training task goes to a Fail state:
    no job-state rule and no publish, so failed and stopped jobs would go unnoticed (its
    ExecutionsFailed alarm reports the orchestrator, not the job's outcome)."""

    def unreported(resource: FixtureResource) -> FixtureResource:
        if resource.type != fx.STATE_MACHINE:
            return resource
        definition = json.loads(resource.props["definition"])
        definition["States"]["Unreported"] = {"Type": "Fail", "Error": "TrainingFailed"}
        for catcher in definition["States"]["StartTrainingJob"]["Catch"]:
            catcher["Next"] = "Unreported"
        return replace(resource, props={**resource.props, "definition": json.dumps(definition)})

    return [unreported(resource) for resource in resources]


def _capture() -> dict[str, list[FixtureResource]]:
    discovery = discover(STACKS_DIR, StackSelection(environment="dev"))
    assert discovery.problems == []
    outputs: dict[str, dict[str, Any]] = {}
    captured: dict[str, list[FixtureResource]] = {}
    for target in discovery.targets:
        run = run_program(
            target.project_dir,
            target.stack,
            config_overrides=target.overrides,
            extra_config_file=target.extra_config_file,
            stack_references=outputs,
            preview=True,
            organization=target.organization,
        )
        for alias in target.aliases:
            outputs[alias] = run.outputs
        config = target.config.values if target.config is not None else {}
        captured[f"{target.project}/{target.stack}"] = [
            FixtureResource(
                type=resource.type,
                name=resource.name,
                props=json.loads(json.dumps(resource.properties, default=str)),
                property_dependencies={
                    k: list(v) for k, v in resource.property_dependencies.items()
                },
                project=target.project,
                explicit_urn=resource.urn,
            )
            for resource in engine_resources(run, config)
            if resource.analyzed and resource.custom and not resource.type.startswith("pulumi:")
        ]
    return captured


@pytest.fixture(scope="module")
def captured() -> dict[str, list[FixtureResource]]:
    return _capture()


@pytest.fixture(scope="module")
def pack() -> InProcessPack:
    return InProcessPack()


def test_every_shipped_dev_stack_is_captured(captured: dict[str, list[FixtureResource]]) -> None:
    assert {"network-iam/dev", "notifications/dev", LAMBDA_STACK, STEP_FUNCTIONS_STACK} <= set(
        captured
    )
    lambda_stack = captured[LAMBDA_STACK]
    assert any(UNKNOWN in json.dumps(r.props) for r in lambda_stack), "a preview has unknowns"
    assert any(r.property_dependencies for r in lambda_stack)


def test_shipped_stacks_have_no_mandatory_violation(
    captured: dict[str, list[FixtureResource]], pack: InProcessPack
) -> None:
    unexpected = [
        f"{stack} {diagnostic.policy}: {diagnostic.message}"
        for stack, resources in sorted(captured.items())
        for diagnostic in mandatory(pack.preview(resources))
    ]
    assert unexpected == []


def test_the_pack_reads_shipped_names_as_shared_naming_builds_them(
    captured: dict[str, list[FixtureResource]],
) -> None:
    """The pack may not import shared/ (it publishes from policy/ alone), so its one prefix
    function is checked here against shared's builders, on every role the stacks create: from
    the role's tags, and from its name alone (a RolePolicy carries no tags, only the role name)."""
    roles = [r for resources in captured.values() for r in resources if r.type == fx.ROLE]
    assert roles
    for role in roles:
        team, environment = role.props["tags"]["team"], role.props["tags"]["environment"]
        assert role.props["name"] in {
            shared_naming.sagemaker_execution_role_name(team, environment),
            shared_naming.lambda_orchestrator_role_name(team, environment),
            shared_naming.step_functions_orchestrator_role_name(team, environment),
            shared_naming.schedule_invoker_role_name(team, environment),
        }
        environment_prefix = shared_naming.team_environment_pattern(team, environment)
        images_prefix = shared_naming.team_resource_pattern(team)
        name = role.props["name"]
        # the role with its tags; the role's name alone; a RolePolicy naming the role
        for props, role_reference in ((role.props, None), ({"name": name}, None), ({}, name)):
            resource = Resource(role.type, "", role.name, props)
            scope = pack_naming.name_scope(resource, role_reference)
            assert scope is not None, props
            assert f"{scope.prefix_for('sagemaker', 'training-job')}*" == environment_prefix
            assert f"{scope.prefix_for('ecr', 'repository')}*" == images_prefix


def test_the_state_machine_definition_is_known_at_preview(
    captured: dict[str, list[FixtureResource]],
) -> None:
    """network-iam's ids come from the execution input (JSONPath `.$` parameters, which the pack
    judges as present), so the definition string stays readable while they are unknown."""
    [machine] = [r for r in captured[STEP_FUNCTIONS_STACK] if r.type == fx.STATE_MACHINE]
    assert machine.props["definition"] != UNKNOWN
    parameters = json.loads(machine.props["definition"])["States"]["StartTrainingJob"]["Parameters"]
    assert set(parameters["VpcConfig"]) == {"Subnets.$", "SecurityGroupIds.$"}
    assert "KmsKeyId.$" in parameters["OutputDataConfig"]


Mutation = Callable[[list[FixtureResource]], list[FixtureResource]]
CAPTURED_CORPUS: list[tuple[str, str, str, Mutation]] = [
    (
        "queue policy for EventBridge without a source condition",
        LAMBDA_STACK,
        "resource-policy-scoped",
        fx.edit(
            fx.QUEUE_POLICY,
            "schedule-dlq-policy",
            policy=fx.doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": "*",
                }
            ),
        ),
    ),
    (
        "trust with a negated source account",
        "network-iam/dev",
        "iam-trust-policy-scoped",
        fx.edit(
            fx.ROLE,
            "fraud-sagemaker-execution",
            assumeRolePolicy=fx.trust_with(
                "sagemaker", {"StringNotEquals": {"aws:SourceAccount": "999999999999"}}
            ),
        ),
    ),
    (
        "SystemAdministrator through exclusive attachments",
        "network-iam/dev",
        "iam-managed-policy-allowlist",
        fx.add(
            fx.res(
                fx.ATTACHMENTS_EXCLUSIVE,
                "sysadmin",
                {
                    "roleName": "fraud-dev-lambda-orchestrator",
                    "policyArns": ["arn:aws:iam::aws:policy/job-function/SystemAdministrator"],
                },
                "network-iam",
            )
        ),
    ),
    (
        "five-field cron",
        LAMBDA_STACK,
        "schedule-expression-valid",
        fx.edit(fx.EVENT_RULE, "-schedule", scheduleExpression="cron(0 6 * * ?)"),
    ),
    (
        "Scheduler zone not IANA",
        STEP_FUNCTIONS_STACK,
        "schedule-expression-valid",
        fx.edit(fx.SCHEDULE, "-schedule", scheduleExpressionTimezone="CET+1"),
    ),
    (
        "every minute",
        LAMBDA_STACK,
        "schedule-frequency-bounds",
        fx.edit(fx.EVENT_RULE, "-schedule", scheduleExpression="rate(1 minute)"),
    ),
    (
        "schedule target without DLQ",
        LAMBDA_STACK,
        "schedule-target-dlq-retry",
        fx.edit(fx.EVENT_TARGET, "schedule-target", deadLetterConfig=fx.DELETE),
    ),
    (
        "Scheduler target without retry policy",
        STEP_FUNCTIONS_STACK,
        "schedule-target-dlq-retry",
        lambda rs: _edit_nested(rs, fx.SCHEDULE, "target", "retryPolicy"),
    ),
    (
        "wildcard action",
        "network-iam/dev",
        "iam-no-wildcard-actions",
        fx.edit(
            fx.ROLE_POLICY,
            "fraud-lambda-orchestrator",
            policy=fx.doc(fx.allow("All", ["sagemaker:*"], [fx.TRAINING_JOBS])),
        ),
    ),
    (
        "Resource * for sns:Publish",
        "network-iam/dev",
        "iam-resource-scoped",
        fx.edit(
            fx.ROLE_POLICY,
            "fraud-lambda-orchestrator",
            policy=fx.doc(fx.allow("Any", ["sns:Publish"], ["*"])),
        ),
    ),
    (
        "PassRole without PassedToService",
        "network-iam/dev",
        "iam-passrole-scoped",
        fx.edit(
            fx.ROLE_POLICY,
            "fraud-sfn-orchestrator",
            policy=fx.doc(fx.allow("Pass", ["iam:PassRole"], [fx.role_arn(fx.SAGEMAKER_ROLE)])),
        ),
    ),
    (
        "a dev orchestrator that may start the same team's prod training jobs",
        "network-iam/dev",
        "iam-resource-scoped",
        fx.edit(
            fx.ROLE_POLICY,
            "fraud-lambda-orchestrator",
            policy=fx.doc(
                fx.allow(
                    "Start",
                    ["sagemaker:CreateTrainingJob"],
                    [fx.arn("sagemaker", "training-job/fraud-prod-*")],
                )
            ),
        ),
    ),
    (
        "a dev orchestrator that may pass the same team's prod execution role",
        "network-iam/dev",
        "iam-passrole-scoped",
        fx.edit(
            fx.ROLE_POLICY,
            "fraud-lambda-orchestrator",
            policy=fx.doc(
                fx.allow(
                    "Pass",
                    ["iam:PassRole"],
                    [fx.role_arn("fraud-prod-sagemaker-execution")],
                    {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                )
            ),
        ),
    ),
    (
        "trust without SourceAccount",
        "network-iam/dev",
        "iam-trust-policy-scoped",
        fx.edit(
            fx.ROLE,
            "fraud-sagemaker-execution",
            assumeRolePolicy=fx.doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ),
        ),
    ),
    (
        "admin managed policy",
        "network-iam/dev",
        "iam-managed-policy-allowlist",
        fx.edit(
            fx.ROLE,
            "churn-lambda-orchestrator",
            managedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"],
        ),
    ),
    (
        "escalation through PutRolePolicy",
        "network-iam/dev",
        "iam-no-privilege-escalation",
        fx.edit(
            fx.ROLE_POLICY,
            "churn-sfn-orchestrator",
            policy=fx.doc(
                fx.allow(
                    "Write", ["iam:PutRolePolicy"], [fx.role_arn("churn-dev-sfn-orchestrator")]
                )
            ),
        ),
    ),
    (
        "permission without source ARN",
        LAMBDA_STACK,
        "lambda-permission-source-arn",
        fx.edit(fx.PERMISSION, "schedule-invoke", sourceArn=fx.DELETE),
    ),
    (
        "no job-state rule",
        LAMBDA_STACK,
        "notifications-required",
        fx.drop(fx.EVENT_RULE, "job-state"),
    ),
    (
        "state machine whose failed job ends unreported",
        STEP_FUNCTIONS_STACK,
        "notifications-required",
        _failures_end_unreported,
    ),
    (
        "job-state rule without Stopped",
        LAMBDA_STACK,
        "notifications-required",
        fx.edit(
            fx.EVENT_RULE,
            "job-state",
            eventPattern=json.dumps(
                {
                    "source": ["aws.sagemaker"],
                    "detail-type": ["SageMaker Training Job State Change"],
                    "detail": {"TrainingJobStatus": ["Failed"]},
                }
            ),
        ),
    ),
    (
        "no alarm on the orchestrator or DLQ",
        LAMBDA_STACK,
        "notifications-required",
        fx.drop(fx.ALARM),
    ),
    (
        "topic without subscriptions",
        "notifications/dev",
        "notifications-topic-subscribed",
        fx.drop(fx.SUBSCRIPTION, "fraud-"),
    ),
    (
        "unencrypted topic",
        "notifications/dev",
        "sns-encryption",
        fx.edit(fx.TOPIC, "fraud-topic", kmsMasterKeyId=fx.DELETE),
    ),
    (
        "topic open to everyone",
        "notifications/dev",
        "sns-topic-policy-scoped",
        fx.edit(
            fx.TOPIC_POLICY,
            "fraud-topic",
            policy=fx.doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": fx.TOPIC_ARN,
                }
            ),
        ),
    ),
    (
        "key policy without the publishers",
        "notifications/dev",
        "sns-publishers-allowed",
        fx.edit(
            fx.KEY,
            "notifications-key",
            policy=fx.doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{fx.ACCOUNT}:root"},
                    "Action": ["kms:DescribeKey"],
                    "Resource": "*",
                }
            ),
        ),
    ),
    (
        "unencrypted DLQ",
        LAMBDA_STACK,
        "sqs-encryption",
        fx.edit(fx.QUEUE, "schedule-dlq", sqsManagedSseEnabled=False, kmsMasterKeyId=fx.DELETE),
    ),
    (
        "oversized training instance",
        LAMBDA_STACK,
        "cost-instance-types-allowed",
        lambda rs: _edit_spec(
            rs, ResourceConfig={"InstanceType": "ml.p5.48xlarge", "InstanceCount": 1}
        ),
    ),
    (
        "state machine Task without VpcConfig",
        STEP_FUNCTIONS_STACK,
        "sagemaker-training-hardened",
        lambda rs: _edit_task_parameters(rs, lambda p: p.pop("VpcConfig")),
    ),
    (
        "state machine Task without the output key",
        STEP_FUNCTIONS_STACK,
        "sagemaker-training-hardened",
        lambda rs: _edit_task_parameters(rs, lambda p: p["OutputDataConfig"].pop("KmsKeyId.$")),
    ),
    (
        "state machine Task on an oversized instance",
        STEP_FUNCTIONS_STACK,
        "cost-instance-types-allowed",
        lambda rs: _edit_task_parameters(
            rs, lambda p: p["ResourceConfig"].update(InstanceType="ml.p5.48xlarge")
        ),
    ),
    (
        "instance type SageMaker does not have",
        LAMBDA_STACK,
        "sagemaker-instance-type-exists",
        lambda rs: _edit_spec(
            rs, ResourceConfig={"InstanceType": "ml.m5.3xlarge", "InstanceCount": 1}
        ),
    ),
    (
        "three instances in dev",
        STEP_FUNCTIONS_STACK,
        "cost-instance-count-limit",
        lambda rs: _edit_task_parameters(rs, lambda p: p["ResourceConfig"].update(InstanceCount=3)),
    ),
    (
        "ten-hour runtime in dev",
        LAMBDA_STACK,
        "cost-max-runtime-limit",
        lambda rs: _edit_spec(
            rs, StoppingCondition={"MaxRuntimeInSeconds": 36000, "MaxWaitTimeInSeconds": 72000}
        ),
    ),
    (
        "on-demand in dev",
        STEP_FUNCTIONS_STACK,
        "cost-spot-required",
        lambda rs: _edit_task_parameters(rs, lambda p: p.update(EnableManagedSpotTraining=False)),
    ),
    (
        "hourly Scheduler schedule in dev",
        STEP_FUNCTIONS_STACK,
        "cost-instance-hours-budget",
        fx.edit(fx.SCHEDULE, "-schedule", scheduleExpression="cron(0 * * * ? *)"),
    ),
    (
        "state machine without tracing",
        STEP_FUNCTIONS_STACK,
        "sfn-logging-tracing",
        fx.edit(fx.STATE_MACHINE, "orchestrator", tracingConfiguration={"enabled": False}),
    ),
    (
        "logs kept forever",
        LAMBDA_STACK,
        "log-retention",
        fx.edit(fx.LOG_GROUP, "orchestrator", retentionInDays=fx.DELETE),
    ),
    (
        "automatic approval without a threshold",
        LAMBDA_STACK,
        "registry-gated",
        lambda rs: _edit_group_tags(rs, drop="quality-gate-threshold"),
    ),
    (
        "model package group outside the team's prefix",
        STEP_FUNCTIONS_STACK,
        "registry-group-name-prefixed",
        fx.edit(fx.MODEL_PACKAGE_GROUP, "churn-dev-forecast", modelPackageGroupName="forecast"),
    ),
]


def _edit_group_tags(resources: list[FixtureResource], *, drop: str) -> list[FixtureResource]:
    result = []
    for resource in resources:
        if resource.type == fx.MODEL_PACKAGE_GROUP:
            tags = {k: v for k, v in resource.props["tags"].items() if k != drop}
            result.append(replace(resource, props={**resource.props, "tags": tags}))
        else:
            result.append(resource)
    return result


def _edit_nested(
    resources: list[FixtureResource], type_token: str, key: str, inner: str
) -> list[FixtureResource]:
    result = []
    for resource in resources:
        if resource.type == type_token:
            value = {k: v for k, v in resource.props[key].items() if k != inner}
            result.append(replace(resource, props={**resource.props, key: value}))
        else:
            result.append(resource)
    return result


def _edit_task_parameters(
    resources: list[FixtureResource], change: Callable[[dict[str, Any]], Any]
) -> list[FixtureResource]:
    """`change` edits the createTrainingJob Task's Parameters in the state machine definition."""
    result = []
    for resource in resources:
        if resource.type == fx.STATE_MACHINE:
            definition = json.loads(resource.props["definition"])
            change(definition["States"]["StartTrainingJob"]["Parameters"])
            props = {**resource.props, "definition": json.dumps(definition)}
            result.append(replace(resource, props=props))
        else:
            result.append(resource)
    return result


def _edit_spec(resources: list[FixtureResource], **changes: Any) -> list[FixtureResource]:
    result = []
    for resource in resources:
        if resource.type == fx.FUNCTION:
            variables = dict(resource.props["environment"]["variables"])
            variables["TRAINING_SPEC"] = json.dumps(
                {**json.loads(variables["TRAINING_SPEC"]), **changes}
            )
            environment = {"variables": variables}
            result.append(replace(resource, props={**resource.props, "environment": environment}))
        else:
            result.append(resource)
    return result


@pytest.mark.parametrize("case", CAPTURED_CORPUS, ids=[c[0] for c in CAPTURED_CORPUS])
def test_one_mistake_in_a_shipped_stack_is_caught(
    captured: dict[str, list[FixtureResource]],
    pack: InProcessPack,
    case: tuple[str, str, str, Mutation],
) -> None:
    name, stack, policy, mutate = case
    diagnostics = pack.preview(mutate(captured[stack]))
    assert by_policy(mandatory(diagnostics), policy), f"{policy} missed {name}"


def test_captured_corpus_covers_every_mandatory_check() -> None:
    covered = {policy for _, _, policy, _ in CAPTURED_CORPUS}
    mandatory_checks = {
        variant.policy
        for variant in policy_cases.CORPUS
        if policy_cases.LEVELS[variant.policy] == "mandatory"
    } - {
        "required-tags",
        "policy-exemptions-valid",
    }
    assert mandatory_checks - covered == set()


def test_an_hourly_schedule_on_eight_large_gpu_instances_in_dev_is_refused_with_the_figures(
    captured: dict[str, list[FixtureResource]], pack: InProcessPack
) -> None:
    # The example: ml.g5 is allowed in dev, so only the capacity shows the problem.
    resources = _edit_spec(
        fx.edit(fx.EVENT_RULE, "-schedule", scheduleExpression="cron(0 * * * ? *)")(
            captured[LAMBDA_STACK]
        ),
        ResourceConfig={"InstanceType": "ml.g5.48xlarge", "InstanceCount": 8, "VolumeSizeInGB": 50},
    )
    found = by_policy(mandatory(pack.preview(resources)), "cost-instance-hours-budget")
    assert len(found) == 1
    message = found[0].message
    # 720 hourly runs in 30 days x 8 instances x the stack's 2 h MaxRuntime = 11,520.
    assert "720 runs in 30 days x 8 x ml.g5.48xlarge x 2 h max runtime" in message
    assert "= 11,520 instance-hours a month at most (spot)" in message
    assert "exceeds the dev limit (maxInstanceHoursPerMonth.dev) of 200 instance-hours" in message
    assert "Fix: schedule it less often" in message
    assert not by_policy(mandatory(pack.preview(resources)), "cost-instance-types-allowed")


def test_the_shipped_stacks_pass_the_cost_guardrails(
    captured: dict[str, list[FixtureResource]], pack: InProcessPack
) -> None:
    for stack in (LAMBDA_STACK, STEP_FUNCTIONS_STACK):
        diagnostics = pack.preview(captured[stack])
        assert [d for d in diagnostics if d.policy.startswith("cost-")] == [], stack
