"""The retraining stack under Pulumi's mocks, fed with the real exports of the upstream stacks.

network-iam and notifications run first with their example `Pulumi.dev.yaml`; their exports are
what the retraining stack's StackReferences read. `preview=False` simulates a finished `pulumi up`
(concrete ids), `preview=True` is what the offline plan and the policy pack see.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from offline_plan.mock_runtime import UNKNOWN, StackRun, run_program
from retraining_shared import naming, quality_gate_tags, schedule_grammar
from retraining_shared.config import ConfigError

REPO = Path(__file__).parents[2]
STACKS = REPO / "stacks"
RETRAINING = STACKS / "retraining"
sys.path.insert(0, str(RETRAINING))

from retraining_stack import (  # noqa: E402
    gate_states,
    job_state_queue,
    lambda_function,
    model_registry,
    notification_events,
    state_machine,
)
from retraining_stack.config import QualityGateSettings  # noqa: E402
from retraining_stack.lambda_function import contract, invocation, model_gate  # noqa: E402
from retraining_stack.lambda_function.contract import PLATFORM_HEALTH_PREFIX  # noqa: E402

ACCOUNT = "123456789012"
REGION = "us-east-1"
FRAUD = "fraud-scoring-dev"
CHURN = "churn-forecast-dev"

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SCHEDULE = "aws:scheduler/schedule:Schedule"
SCHEDULE_GROUP = "aws:scheduler/scheduleGroup:ScheduleGroup"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"

COMBINATIONS = [
    pytest.param("rule", "lambda", id="rule-lambda"),
    pytest.param("rule", "stepfunctions", id="rule-stepfunctions"),
    pytest.param("scheduler", "lambda", id="scheduler-lambda"),
    pytest.param("scheduler", "stepfunctions", id="scheduler-stepfunctions"),
]


@dataclass(frozen=True)
class Upstream:
    network: StackRun
    notifications: StackRun

    @property
    def references(self) -> dict[str, Mapping[str, Any]]:
        return {
            self.network.full_name: self.network.outputs,
            self.notifications.full_name: self.notifications.outputs,
        }

    def team(self, team: str) -> dict[str, Any]:
        return dict(self.network.plain_outputs()["teams"][team])

    def topic_arn(self, team: str) -> str:
        return str(self.notifications.plain_outputs()["teams"][team]["topic_arn"])


def _upstream(preview: bool) -> Upstream:
    network = run_program(STACKS / "network-iam", "dev", preview=preview)
    notifications = run_program(
        STACKS / "notifications",
        "dev",
        preview=preview,
        stack_references={network.full_name: network.outputs},
    )
    return Upstream(network, notifications)


@pytest.fixture(scope="module")
def deployed() -> Upstream:
    return _upstream(preview=False)


@pytest.fixture(scope="module")
def previewed() -> Upstream:
    return _upstream(preview=True)


def run_retraining(
    upstream: Upstream,
    stack: str = FRAUD,
    *,
    preview: bool,
    overrides: Mapping[str, Any] | None = None,
) -> StackRun:
    return run_program(
        RETRAINING,
        stack,
        preview=preview,
        stack_references=upstream.references,
        config_overrides=overrides,
    )


def combination(kind: str, orchestrator: str) -> dict[str, Any]:
    overrides: dict[str, Any] = {"scheduleKind": kind, "orchestrator": orchestrator}
    if kind == "scheduler":
        overrides.update(scheduleTimezone="Europe/Berlin", flexibleWindowMinutes=10)
    return overrides


def one(run: StackRun, type_token: str, name: str | None = None) -> dict[str, Any]:
    matches = [r for r in run.of_type(type_token) if name is None or r.name == name]
    assert len(matches) == 1, f"{type_token} {name}: {[r.name for r in run.of_type(type_token)]}"
    return dict(matches[0].inputs)


def resource(run: StackRun, type_token: str, name: str) -> Any:
    return next(r for r in run.resources if r.type == type_token and r.name == name)


def infrastructure(upstream: Upstream, team: str) -> dict[str, Any]:
    """The state machine execution input's `trainingInfrastructure`, from network-iam's exports."""
    network = upstream.network.plain_outputs()
    return {
        "subnetIds": network["private_subnet_ids"],
        "securityGroupIds": [network["training_security_group_id"]],
        "kmsKeyArn": network["team_kms_key_arns"][team],
    }


def arn(service: str, resource_path: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource_path}"


BASE = "fraud-dev-scoring"
PREFIX = f"{BASE}-"
SCHEDULE_DLQ_ARN = arn("sqs", f"{BASE}-schedule-dlq")
ORCHESTRATOR_DLQ_ARN = arn("sqs", f"{BASE}-orchestrator-dlq")
FUNCTION_ARN = arn("lambda", f"function:{BASE}-orchestrator")
STATE_MACHINE_ARN = arn("states", f"stateMachine:{BASE}-orchestrator")
SCHEDULE_RULE_ARN = arn("events", f"rule/{BASE}-schedule")
JOB_STATE_RULE_ARN = arn("events", f"rule/{BASE}-job-state")
EXPECTED_RETRY = {"maximumEventAgeInSeconds": 3600.0, "maximumRetryAttempts": 5.0}


# --------------------------------------------------------------------------------------------
# The four combinations, deployed (concrete values)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "orchestrator"), COMBINATIONS)
def test_schedule_reaches_the_orchestrator_with_retries_and_dead_letter_queue(
    deployed: Upstream, kind: str, orchestrator: str
) -> None:
    run = run_retraining(deployed, preview=False, overrides=combination(kind, orchestrator))
    team = deployed.team("fraud")
    orchestrator_arn = FUNCTION_ARN if orchestrator == "lambda" else STATE_MACHINE_ARN

    if kind == "rule":
        rule = one(run, RULE, f"{BASE}-schedule")
        assert rule["scheduleExpression"] == "cron(0 6 * * ? *)"
        assert not run.of_type(SCHEDULE)
        target = one(run, TARGET, f"{BASE}-schedule-target")
        assert target["arn"] == orchestrator_arn
        assert target["rule"] == f"{BASE}-schedule"
        assert target["retryPolicy"] == EXPECTED_RETRY
        assert target["deadLetterConfig"] == {"arn": SCHEDULE_DLQ_ARN}
        if orchestrator == "lambda":
            # The raw "Scheduled Event" (its `time` is the occurrence); access via the function's
            # resource policy, scoped to this rule.
            assert "inputTransformer" not in target
            assert "roleArn" not in target
            permission = one(run, PERMISSION)
            assert permission["principal"] == "events.amazonaws.com"
            assert permission["sourceArn"] == SCHEDULE_RULE_ARN
            assert permission["sourceAccount"] == ACCOUNT
            assert permission["function"] == f"{BASE}-orchestrator"
            assert permission["action"] == "lambda:InvokeFunction"
        else:
            # The occurrence from the event, network-iam's ids as literal JSON.
            paths, template = state_machine.rule_target_input_transformer(
                infrastructure(deployed, "fraud")
            )
            assert target["inputTransformer"] == {"inputPaths": paths, "inputTemplate": template}
            assert paths == {"time": "$.time"}
            assert target["roleArn"] == team["schedule_invoker_role_arn"]
            assert not run.of_type(PERMISSION)
    else:
        # Scheduler: the only rule left is the Lambda kind's job-state rule (the state machine
        # reports its outcomes itself).
        job_state_rules = [f"{BASE}-job-state"] if orchestrator == "lambda" else []
        assert [r.name for r in run.of_type(RULE)] == job_state_rules
        group = one(run, SCHEDULE_GROUP)
        assert group["name"] == BASE
        schedule = one(run, SCHEDULE, f"{BASE}-schedule")
        assert schedule["scheduleExpression"] == "cron(0 6 * * ? *)"
        assert schedule["scheduleExpressionTimezone"] == "Europe/Berlin"
        assert schedule["groupName"] == BASE
        assert schedule["flexibleTimeWindow"] == {
            "mode": "FLEXIBLE",
            "maximumWindowInMinutes": 10.0,
        }
        target = schedule["target"]
        assert target["arn"] == orchestrator_arn
        assert target["roleArn"] == team["schedule_invoker_role_arn"]
        assert target["retryPolicy"] == EXPECTED_RETRY
        assert target["deadLetterConfig"] == {"arn": SCHEDULE_DLQ_ARN}
        expected_input = (
            invocation.scheduler_target_input()
            if orchestrator == "lambda"
            else state_machine.scheduler_target_input(infrastructure(deployed, "fraud"))
        )
        assert target["input"] == expected_input
        assert "<aws.scheduler.scheduled-time>" in target["input"]
        if orchestrator == "stepfunctions":
            assert json.loads(target["input"]) == {
                "time": "<aws.scheduler.scheduled-time>",
                "trainingInfrastructure": infrastructure(deployed, "fraud"),
            }
        # Scheduler invokes with its execution role: no resource policy on the function.
        assert not run.of_type(PERMISSION)


@pytest.mark.parametrize(("kind", "orchestrator"), COMBINATIONS)
def test_dead_letter_queues_are_encrypted_and_admit_only_their_senders(
    deployed: Upstream, kind: str, orchestrator: str
) -> None:
    run = run_retraining(deployed, preview=False, overrides=combination(kind, orchestrator))
    team = deployed.team("fraud")
    queues = {r.name: dict(r.inputs) for r in run.of_type(QUEUE)}
    expected_queues = {f"{BASE}-schedule-dlq"}
    if orchestrator == "lambda":
        expected_queues |= {
            f"{BASE}-orchestrator-dlq",
            f"{BASE}-job-state.fifo",
            f"{BASE}-job-state-dlq.fifo",
        }
    assert set(queues) == expected_queues
    for queue in queues.values():
        assert queue["sqsManagedSseEnabled"] is True
        assert queue["messageRetentionSeconds"] == 14 * 24 * 3600

    policy = json.loads(one(run, QUEUE_POLICY, f"{BASE}-schedule-dlq-policy")["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    # The rules whose targets dead-letter here: the schedule rule, the Lambda kind's job-state
    # rule; Scheduler + Step Functions has no rule at all.
    expected_rules = sorted(
        ([SCHEDULE_RULE_ARN] if kind == "rule" else [])
        + ([JOB_STATE_RULE_ARN] if orchestrator == "lambda" else [])
    )
    if expected_rules:
        events = statements["EventBridgeRulesDeadLetter"]
        assert events["Principal"] == {"Service": "events.amazonaws.com"}
        assert events["Action"] == ["sqs:SendMessage"]
        assert events["Resource"] == [SCHEDULE_DLQ_ARN]
        assert events["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
        assert events["Condition"]["ArnEquals"]["aws:SourceArn"] == expected_rules
    else:
        assert "EventBridgeRulesDeadLetter" not in statements
    if kind == "rule":
        assert set(statements) == {"EventBridgeRulesDeadLetter"}
    else:
        scheduler = statements["SchedulerExecutionRoleDeadLetter"]
        assert scheduler["Principal"] == {"AWS": team["schedule_invoker_role_arn"]}
        assert scheduler["Resource"] == [SCHEDULE_DLQ_ARN]

    if orchestrator == "lambda":
        failure_policy = json.loads(
            one(run, QUEUE_POLICY, f"{BASE}-orchestrator-dlq-policy")["policy"]
        )
        (statement,) = failure_policy["Statement"]
        assert statement["Principal"] == {"AWS": team["lambda_orchestrator_role_arn"]}
        assert statement["Resource"] == [ORCHESTRATOR_DLQ_ARN]
        invoke_config = one(run, INVOKE_CONFIG)
        assert invoke_config["functionName"] == f"{BASE}-orchestrator"
        assert invoke_config["destinationConfig"] == {
            "onFailure": {"destination": ORCHESTRATOR_DLQ_ARN}
        }
        # The handler reports every outcome itself: a Lambda retry would repeat its message.
        assert invoke_config["maximumRetryAttempts"] == 0


@pytest.mark.parametrize("kind", ["rule", "scheduler"])
def test_lambda_job_state_reports_go_through_a_deduplicating_fifo_queue(
    deployed: Upstream, kind: str
) -> None:
    run = run_retraining(deployed, preview=False, overrides=combination(kind, "lambda"))
    queue_arn = arn("sqs", f"{BASE}-job-state.fifo")
    dead_letter_arn = arn("sqs", f"{BASE}-job-state-dlq.fifo")
    queue = one(run, QUEUE, f"{BASE}-job-state.fifo")
    assert queue["fifoQueue"] is True
    assert queue["contentBasedDeduplication"] is True
    function = one(run, FUNCTION, f"{BASE}-orchestrator")
    # "at least six times" the function timeout (Lambda developer guide, SQS event sources).
    assert queue["visibilityTimeoutSeconds"] >= 6 * function["timeout"]
    assert json.loads(queue["redrivePolicy"]) == {
        "deadLetterTargetArn": dead_letter_arn,
        "maxReceiveCount": job_state_queue.MAX_RECEIVE_COUNT,
    }
    assert one(run, QUEUE, f"{BASE}-job-state-dlq.fifo")["fifoQueue"] is True
    (statement,) = json.loads(one(run, QUEUE_POLICY, f"{BASE}-job-state.fifo-policy")["policy"])[
        "Statement"
    ]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == ["sqs:SendMessage"]
    assert statement["Resource"] == [queue_arn]
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": JOB_STATE_RULE_ARN},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    mapping = one(run, "aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping["eventSourceArn"] == queue_arn
    assert mapping["batchSize"] == 1
    assert mapping["functionName"] == arn("lambda", f"function:{BASE}-orchestrator")
    alarm = one(run, ALARM, f"{BASE}-job-state-dlq-messages")
    assert alarm["alarmDescription"].startswith(contract.PLATFORM_HEALTH_PREFIX)
    assert alarm["dimensions"] == {"QueueName": f"{BASE}-job-state-dlq.fifo"}


@pytest.mark.parametrize(("kind", "orchestrator"), COMBINATIONS)
def test_job_outcomes_and_failures_notify_the_team_topic(
    deployed: Upstream, kind: str, orchestrator: str
) -> None:
    run = run_retraining(deployed, preview=False, overrides=combination(kind, orchestrator))
    topic_arn = deployed.topic_arn("fraud")

    if orchestrator == "lambda":
        # Lambda: through the FIFO queue to the function, which publishes one message per job.
        rule = one(run, RULE, f"{BASE}-job-state")
        pattern = notification_events.job_state_event_pattern(PREFIX)
        assert json.loads(rule["eventPattern"]) == pattern
        target = one(run, TARGET, f"{BASE}-job-state-target")
        assert target["arn"] == arn("sqs", f"{BASE}-job-state.fifo")
        assert target["sqsTarget"] == {"messageGroupId": BASE}
        assert target["inputTransformer"] == {
            "inputPaths": dict(job_state_queue.INPUT_PATHS),
            "inputTemplate": job_state_queue.INPUT_TEMPLATE,
        }
        assert target["deadLetterConfig"] == {"arn": SCHEDULE_DLQ_ARN}
    else:
        # The state machine publishes each occurrence's one outcome: a job-state rule would
        # send a second copy.
        assert f"{BASE}-job-state" not in {r.name for r in run.of_type(RULE)}
        definition = json.loads(one(run, STATE_MACHINE)["definition"])
        publishes = {
            s["Parameters"]["TopicArn"]
            for s in definition["States"].values()
            if s["Type"] == "Task" and s["Resource"].endswith(":sns:publish")
        }
        assert publishes == {topic_arn}

    alarms = {r.name: dict(r.inputs) for r in run.of_type(ALARM)}
    assert alarms, "no alarms"
    for name, alarm in alarms.items():
        assert name.startswith(f"{BASE}-")
        # Alarms report the platform's health, never a job's outcome.
        assert alarm["alarmDescription"].startswith(f"{PLATFORM_HEALTH_PREFIX}: "), name
        assert alarm["alarmActions"] == [topic_arn], name
        assert alarm["threshold"] == 1.0
        assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["treatMissingData"] == "notBreaching"
    signals = {
        (a["namespace"], a["metricName"], tuple(sorted(a["dimensions"].items())))
        for a in alarms.values()
    }
    expected = {
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            (("QueueName", f"{BASE}-schedule-dlq"),),
        )
    }
    if orchestrator == "lambda":
        expected |= {
            ("AWS/Lambda", "Errors", (("FunctionName", f"{BASE}-orchestrator"),)),
            (
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                (("QueueName", f"{BASE}-orchestrator-dlq"),),
            ),
            (
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                (("QueueName", f"{BASE}-job-state-dlq.fifo"),),
            ),
        }
    else:
        expected |= {
            ("AWS/States", metric, (("StateMachineArn", STATE_MACHINE_ARN),))
            for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted")
        }
        # The fraud stack is gated: the state machine invokes its gate function.
        expected.add(("AWS/Lambda", "Errors", (("FunctionName", f"{BASE}-model-gate"),)))
    if kind == "rule":
        expected.add(("AWS/Events", "FailedInvocations", (("RuleName", f"{BASE}-schedule"),)))
    else:
        expected.add(("AWS/Scheduler", "InvocationDroppedCount", (("ScheduleGroup", BASE),)))
    assert signals == expected


def test_job_state_pattern_matches_this_stacks_outcomes_only(deployed: Upstream) -> None:
    from moto.events.models import EventPattern

    run = run_retraining(deployed, preview=False)
    pattern = EventPattern.load(one(run, RULE, f"{BASE}-job-state")["eventPattern"])

    def event(job: str, status: str) -> dict[str, Any]:
        return {
            "source": "aws.sagemaker",
            "detail-type": "SageMaker Training Job State Change",
            "detail": {"TrainingJobName": job, "TrainingJobStatus": status},
        }

    for status in ("Completed", "Failed", "Stopped"):
        assert pattern.matches_event(event(f"{PREFIX}202611260600", status))
    assert not pattern.matches_event(event(f"{PREFIX}202611260600", "InProgress"))
    # Another model of the same team, and another team's job with a look-alike name.
    assert not pattern.matches_event(event("fraud-dev-scoring2-202611260600", "Failed"))
    assert not pattern.matches_event(event("fraudx-dev-scoring-202611260600", "Failed"))


def test_lambda_orchestrator_runs_the_repository_handler_with_the_training_spec(
    deployed: Upstream,
) -> None:
    run = run_retraining(deployed, preview=False)
    team = deployed.team("fraud")
    network = deployed.network.plain_outputs()
    function = one(run, FUNCTION, f"{BASE}-orchestrator")
    # Pinned, not "newest the provider knows": a provider upgrade must not change it.
    assert function["runtime"] == "python3.13"
    assert function["handler"] == "lambda_function.handler.handler"
    assert function["role"] == team["lambda_orchestrator_role_arn"]
    assert function["reservedConcurrentExecutions"] == -1.0  # no reservation by default
    # botocore's worst case (every attempt of every call timing out) fits the timeout.
    assert function["timeout"] >= lambda_function.CALL_BUDGET.worst_case_seconds()
    assets = function["code"]["assets"]
    package = RETRAINING / "retraining_stack" / "lambda_function"
    # Every module of the package, each as the file it is (contract.py links to the pack's).
    assert {path: Path(asset["path"]) for path, asset in assets.items()} == {
        f"lambda_function/{source.name}": source.resolve() for source in package.glob("*.py")
    }
    assert function["loggingConfig"]["logFormat"] == "JSON"
    # Explicit levels: without an application level the runtime leaves the root logger at
    # WARNING and the handler's INFO records ("training job started") are dropped.
    assert function["loggingConfig"]["applicationLogLevel"] == "INFO"
    assert function["loggingConfig"]["systemLogLevel"] == "INFO"

    log_group = resource(run, LOG_GROUP, f"/aws/lambda/{BASE}-orchestrator")
    assert log_group.inputs["name"] == f"/aws/lambda/{BASE}-orchestrator"
    assert log_group.inputs["retentionInDays"] == 90.0
    function_resource = resource(run, FUNCTION, f"{BASE}-orchestrator")
    assert log_group.urn in function_resource.dependencies
    assert function["loggingConfig"]["logGroup"] == log_group.inputs["name"]

    variables = function["environment"]["variables"]
    spec = json.loads(variables["TRAINING_SPEC"])
    assert variables["TRAINING_JOB_NAME_PREFIX"] == PREFIX
    assert variables["NOTIFICATION_TOPIC_ARN"] == deployed.topic_arn("fraud")
    assert (
        variables[contract.ENV_TEAM],
        variables[contract.ENV_MODEL],
        variables[contract.ENV_ENVIRONMENT],
    ) == ("fraud", "scoring", "dev")
    assert variables["TRAINING_SUBNET_IDS"] == ",".join(network["private_subnet_ids"])
    assert variables["TRAINING_SECURITY_GROUP_IDS"] == network["training_security_group_id"]
    key_arn = network["team_kms_key_arns"]["fraud"]
    assert variables["TRAINING_KMS_KEY_ARN"] == key_arn
    assert variables["TRAINING_VOLUME_KMS_KEY_ARN"] == key_arn  # ml.m5: EBS volume
    # The fraud stack is gated: the report path runs the gate with its settings and group.
    assert json.loads(variables[contract.ENV_QUALITY_GATE])["metric"] == "validation:auc"
    assert variables[contract.ENV_MODEL_PACKAGE_GROUP] == BASE

    data, artifacts = team["data_bucket_name"], team["artifact_bucket_name"]
    assert spec == {
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-scoring:2026.11.1",
            "TrainingInputMode": "File",
            "MetricDefinitions": [
                {
                    "Name": "validation:auc",
                    "Regex": r"validation-auc:([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)",
                }
            ],
        },
        "RoleArn": team["sagemaker_execution_role_arn"],
        "InputDataConfig": [
            {
                "ChannelName": channel,
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataDistributionType": "FullyReplicated",
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{data}/scoring/{channel}/",
                    }
                },
                "InputMode": "File",
            }
            for channel in ("train", "validation")
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{artifacts}/scoring/output/"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.2xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 50,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 7200, "MaxWaitTimeInSeconds": 14400},
        "EnableManagedSpotTraining": True,
        "CheckpointConfig": {"S3Uri": f"s3://{artifacts}/scoring/checkpoints/"},
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
        "HyperParameters": {
            "objective": "binary:logistic",
            "max_depth": "6",
            "eta": "0.2",
            "num_round": "300",
        },
        "Environment": {},
        "Tags": [
            {"Key": "environment", "Value": "dev"},
            {"Key": "managed-by", "Value": "pulumi"},
            {"Key": "model", "Value": "scoring"},
            {"Key": "project", "Value": "retraining"},
            {"Key": "team", "Value": "fraud"},
        ],
    }
    assert len(json.dumps(variables, separators=(",", ":"))) <= 4096


def test_the_handler_accepts_the_stacks_environment_and_completes_the_request(
    deployed: Upstream,
) -> None:
    """The contract between stack and handler, end to end: what the stack deploys is what the
    handler parses, and the request it sends carries the VPC and KMS ids."""
    run = run_retraining(deployed, preview=False)
    network = deployed.network.plain_outputs()
    variables = dict(one(run, FUNCTION)["environment"]["variables"])
    security_group = network["training_security_group_id"]
    if not security_group.startswith("sg-"):
        # The mock runtime's simulated ids are not all AWS-shaped (`securi-...` for a security
        # group); the handler rightly insists on `sg-...`. Swap in an AWS-shaped id: this test is
        # about the variables' names and merge, which the swap leaves untouched.
        security_group = "sg-0123456789abcdef0"
        variables["TRAINING_SECURITY_GROUP_IDS"] = security_group
    scheduled_event = {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2026-11-27T06:00:00Z",
        "region": REGION,
        "resources": [SCHEDULE_RULE_ARN],
        "detail": {},
    }
    configuration = invocation.read_configuration(variables)
    occurrence, problems = invocation.scheduled_occurrence(scheduled_event)
    assert configuration.problems == problems == []
    assert occurrence is not None
    request = invocation.create_training_job_request(configuration, occurrence)
    assert request["TrainingJobName"] == f"{PREFIX}202611270600"
    assert request["VpcConfig"] == {
        "Subnets": network["private_subnet_ids"],
        "SecurityGroupIds": [security_group],
    }
    key_arn = network["team_kms_key_arns"]["fraud"]
    assert request["OutputDataConfig"]["KmsKeyId"] == key_arn
    assert request["ResourceConfig"]["VolumeKmsKeyId"] == key_arn


def test_instance_types_with_local_storage_get_no_volume_key(deployed: Upstream) -> None:
    training = _fraud_training() | {"instanceType": "ml.g5.2xlarge"}
    run = run_retraining(deployed, preview=False, overrides={"training": training})
    variables = one(run, FUNCTION)["environment"]["variables"]
    assert "TRAINING_VOLUME_KMS_KEY_ARN" not in variables
    assert variables["TRAINING_KMS_KEY_ARN"].startswith("arn:aws:kms:")


def test_step_functions_orchestrator_logs_traces_and_takes_the_ids_from_the_execution_input(
    deployed: Upstream,
) -> None:
    run = run_retraining(deployed, CHURN, preview=False)
    team = deployed.team("churn")
    machine = one(run, STATE_MACHINE, "churn-dev-forecast-orchestrator")
    assert machine["roleArn"] == team["step_functions_orchestrator_role_arn"]
    assert machine["type"] == "STANDARD"
    log_group_name = "/aws/vendedlogs/states/churn-dev-forecast-orchestrator"
    assert machine["loggingConfiguration"] == {
        "level": "ALL",
        "includeExecutionData": True,
        "logDestination": arn("logs", f"log-group:{log_group_name}:*"),
    }
    assert machine["tracingConfiguration"] == {"enabled": True}
    log_group = resource(run, LOG_GROUP, log_group_name)
    assert log_group.inputs["retentionInDays"] == 90.0
    assert log_group.urn in resource(run, STATE_MACHINE, machine["name"]).dependencies

    definition = json.loads(machine["definition"])
    (task,) = [
        state
        for state in definition["States"].values()
        if state.get("Resource", "").endswith(":sagemaker:createTrainingJob.sync")
    ]
    parameters = task["Parameters"]
    # network-iam's ids are read from the execution input, which the schedule target supplies;
    # none of them is in the definition.
    ids = infrastructure(deployed, "churn")
    for value in [*ids["subnetIds"], *ids["securityGroupIds"], ids["kmsKeyArn"]]:
        assert value not in machine["definition"]
    assert parameters["VpcConfig"] == {
        "Subnets.$": "$.trainingInfrastructure.subnetIds",
        "SecurityGroupIds.$": "$.trainingInfrastructure.securityGroupIds",
    }
    assert parameters["OutputDataConfig"]["KmsKeyId.$"] == "$.trainingInfrastructure.kmsKeyArn"
    # ml.g5 trains on local NVMe storage: AWS rejects a VolumeKmsKeyId for it.
    assert not {"VolumeKmsKeyId", "VolumeKmsKeyId.$"} & set(parameters["ResourceConfig"])
    target_input = json.loads(one(run, SCHEDULE)["target"]["input"])
    assert target_input["trainingInfrastructure"] == ids
    assert parameters["RoleArn"] == team["sagemaker_execution_role_arn"]
    assert parameters["StoppingCondition"] == {
        "MaxRuntimeInSeconds": 21600,
        "MaxWaitTimeInSeconds": 43200,
    }
    assert parameters["CheckpointConfig"] == {
        "S3Uri": f"s3://{team['artifact_bucket_name']}/forecast/checkpoints/"
    }
    assert parameters["HyperParameters"]["learning_rate"] == "0.001"


# --------------------------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "orchestrator"), COMBINATIONS)
def test_exports(deployed: Upstream, kind: str, orchestrator: str) -> None:
    before = datetime.now(UTC)
    run = run_retraining(deployed, preview=False, overrides=combination(kind, orchestrator))
    outputs = run.plain_outputs()
    if kind == "rule":
        assert outputs["event_rule_name"] == f"{BASE}-schedule"
        assert outputs["event_target_id"] == "orchestrator"
    elif orchestrator == "lambda":
        # No schedule rule: event_rule_name/event_target_id name the job-state rule.
        assert outputs["event_rule_name"] == f"{BASE}-job-state"
        assert outputs["event_target_id"] == "job-state-queue"
    else:
        # No rule at all: the state machine reports its outcomes itself; the exports are null
        # (the mock runtime leaves a null output out).
        assert outputs.get("event_rule_name") is None
        assert outputs.get("event_target_id") is None
    targets = {(r.inputs["rule"], r.inputs["targetId"]) for r in run.of_type(TARGET)}
    if outputs.get("event_rule_name") is not None:
        assert (outputs["event_rule_name"], outputs["event_target_id"]) in targets
    assert outputs["sns_topic_arn"] == deployed.topic_arn("fraud")
    assert outputs["schedule_expression"] == "cron(0 6 * * ? *)"
    assert outputs["schedule_kind"] == kind
    assert outputs["training_job_name_prefix"] == PREFIX
    assert outputs["orchestrator_arn"] == (
        FUNCTION_ARN if orchestrator == "lambda" else STATE_MACHINE_ARN
    )

    runs = outputs["next_run_times"]
    zone = "UTC" if kind == "rule" else "Europe/Berlin"
    assert set(runs) == ({"utc"} if kind == "rule" else {"utc", "Europe/Berlin"})
    utc_runs = [datetime.fromisoformat(t) for t in runs["utc"]]
    expected = schedule_grammar.next_run_times(
        "cron(0 6 * * ? *)", kind, count=3, timezone=zone, after=before
    )
    assert utc_runs == expected
    assert all(t.utcoffset() == UTC.utcoffset(None) for t in utc_runs)
    if kind == "scheduler":
        zoned = [datetime.fromisoformat(t) for t in runs["Europe/Berlin"]]
        assert zoned == utc_runs
        assert all(t.hour == 6 for t in zoned)  # 06:00 Berlin wall-clock time


# --------------------------------------------------------------------------------------------
# Preview: what the offline plan and the policy pack see
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "orchestrator"), COMBINATIONS)
def test_preview_keeps_what_the_policy_pack_checks_known(
    previewed: Upstream, kind: str, orchestrator: str
) -> None:
    run = run_retraining(previewed, preview=True, overrides=combination(kind, orchestrator))
    if kind == "rule":
        assert one(run, RULE, f"{BASE}-schedule")["scheduleExpression"] == "cron(0 6 * * ? *)"
    else:
        schedule = one(run, SCHEDULE)
        assert schedule["scheduleExpression"] == "cron(0 6 * * ? *)"
        assert schedule["target"]["arn"] != UNKNOWN
        assert schedule["target"]["deadLetterConfig"] == {"arn": SCHEDULE_DLQ_ARN}
    if kind == "rule" and orchestrator == "lambda":
        assert one(run, PERMISSION)["sourceArn"] == SCHEDULE_RULE_ARN
    for alarm in run.of_type(ALARM):
        assert alarm.inputs["alarmActions"] == [previewed.topic_arn("fraud")]
    if orchestrator == "lambda":
        job_state = one(run, RULE, f"{BASE}-job-state")
        assert json.loads(job_state["eventPattern"])["detail"]["TrainingJobName"] == [
            {"prefix": PREFIX}
        ]

    if orchestrator == "lambda":
        variables = one(run, FUNCTION)["environment"]["variables"]
        # The spec is known: the pack can judge it at preview ...
        spec = json.loads(variables["TRAINING_SPEC"])
        assert spec["StoppingCondition"]["MaxRuntimeInSeconds"] == 7200
        assert spec["RoleArn"] == previewed.team("fraud")["sagemaker_execution_role_arn"]
        # ... while the ids a new network-iam has not created yet are not, and are kept apart.
        assert variables["TRAINING_SUBNET_IDS"] == UNKNOWN
        assert variables["TRAINING_KMS_KEY_ARN"] == UNKNOWN
        assert "VpcConfig" not in spec
    else:
        # The definition is known: the pack judges the spec; the VPC and KMS ids are paths into
        # the execution input ...
        definition = json.loads(one(run, STATE_MACHINE)["definition"])
        parameters = definition["States"]["StartTrainingJob"]["Parameters"]
        assert parameters["StoppingCondition"]["MaxRuntimeInSeconds"] == 7200
        assert parameters["RoleArn"] == previewed.team("fraud")["sagemaker_execution_role_arn"]
        assert parameters["VpcConfig"]["Subnets.$"] == "$.trainingInfrastructure.subnetIds"
        assert parameters["ResourceConfig"]["VolumeKmsKeyId.$"] == (
            "$.trainingInfrastructure.kmsKeyArn"
        )
        # ... and the schedule target's input, which carries them, is what stays unknown.
        if kind == "rule":
            transformer = one(run, TARGET, f"{BASE}-schedule-target")["inputTransformer"]
            assert transformer["inputPaths"] == {"time": "$.time"}
            assert transformer["inputTemplate"] == UNKNOWN
        else:
            assert one(run, SCHEDULE)["target"]["input"] == UNKNOWN

    outputs = run.outputs
    for key in (
        "event_rule_name",
        "event_target_id",
        "sns_topic_arn",
        "schedule_expression",
        "schedule_kind",
        "training_job_name_prefix",
        "orchestrator_arn",
        "next_run_times",
    ):
        assert outputs.get(key) != UNKNOWN, key


# --------------------------------------------------------------------------------------------
# Bad configuration: one ConfigError listing every problem, nothing registered
# --------------------------------------------------------------------------------------------


def _fraud_training() -> dict[str, Any]:
    import yaml

    document = yaml.safe_load((RETRAINING / f"Pulumi.{FRAUD}.yaml").read_text())
    return dict(document["config"]["retraining:training"])


def _config_error(upstream: Upstream, overrides: Mapping[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        run_retraining(upstream, preview=True, overrides=overrides)
    return caught.value


def _problem_keys(error: ConfigError) -> list[str]:
    return [problem.key for problem in error.problems]


@pytest.mark.parametrize(
    ("kind", "expression", "reason"),
    [
        ("rule", "cron(0 6 * * * *)", "day-of-month"),
        ("rule", "cron(0 6 * * ?)", "needs exactly 6"),
        ("rule", "cron(0 24 * * ? *)", "hours"),
        ("rule", "rate(1 days)", "singular"),
        ("rule", "at(2030-01-01T00:00:00)", "EventBridge Scheduler"),
        ("scheduler", "at(2020-01-01T00:00:00)", "never runs"),
        ("scheduler", "every day", "cron("),
    ],
)
def test_a_bad_schedule_stops_the_program_before_any_resource(
    previewed: Upstream,
    registered_types: list[str],
    kind: str,
    expression: str,
    reason: str,
) -> None:
    error = _config_error(previewed, {"schedule": expression, "scheduleKind": kind})
    assert _problem_keys(error) == ["retraining:schedule"]
    assert reason in str(error)
    assert expression in str(error)
    assert registered_types == []


def test_every_bad_training_setting_is_reported_at_once(
    previewed: Upstream, registered_types: list[str]
) -> None:
    training = _fraud_training() | {
        "image": "fraud-scoring:latest",
        "instanceType": "m5.xlarge",
        "instanceCount": 0,
        "maxRuntimeSeconds": 29 * 24 * 3600,
        "volumeSizeGb": 0,
        "inputChannels": {"train": {"prefix": "/absolute/no-slash"}},
        "spotInstances": True,
    }
    error = _config_error(
        previewed,
        {"training": training, "scheduleKind": "cron", "orchestrator": "ecs", "nightly": True},
    )
    keys = _problem_keys(error)
    assert sorted(keys) == sorted(
        [
            "retraining:nightly",
            "retraining:scheduleKind",
            "retraining:orchestrator",
            "retraining:training.image",
            "retraining:training.instanceType",
            "retraining:training.instanceCount",
            "retraining:training.maxRuntimeSeconds",
            "retraining:training.volumeSizeGb",
            "retraining:training.inputChannels.train.prefix",
            "retraining:training.spotInstances",
        ]
    )
    message = str(error)
    assert "10 problems" in message
    assert "'rule' or 'scheduler'" in message
    assert "28 days" in message
    assert registered_types == []


def test_cross_field_problems_are_reported_with_the_others(
    previewed: Upstream, registered_types: list[str]
) -> None:
    training = _fraud_training() | {
        "maxRuntimeSeconds": 14400,
        "spot": {"enabled": True, "maxWaitSeconds": 14400},
    }
    error = _config_error(
        previewed,
        {
            "training": training,
            "schedule": "cron(0 6 * * * *)",
            "scheduleTimezone": "Europe/Berlin",
            "flexibleWindowMinutes": 30,
            "team": "Fraud-Team",
        },
    )
    assert sorted(_problem_keys(error)) == sorted(
        [
            "retraining:team",
            "retraining:schedule",
            "retraining:scheduleTimezone",
            "retraining:flexibleWindowMinutes",
            "retraining:training.spot",
        ]
    )
    message = str(error)
    assert "maxWaitSeconds (14400) must be greater than maxRuntimeSeconds (14400)" in message
    assert "rules run in UTC only" in message
    assert registered_types == []


def test_a_lambda_environment_over_4_kb_is_a_config_problem(
    previewed: Upstream, registered_types: list[str]
) -> None:
    training = _fraud_training() | {
        "hyperparameters": {f"feature_weight_{i:02d}": "0.0123456789" * 4 for i in range(60)}
    }
    error = _config_error(previewed, {"training": training, "schedule": "rate(1 days)"})
    assert sorted(_problem_keys(error)) == ["retraining:schedule", "retraining:training"]
    assert "4096 (4 KB)" in str(error)
    assert registered_types == []
    # The same spec is fine for Step Functions (no environment variables involved).
    run = run_retraining(
        previewed, preview=True, overrides={"training": training, "orchestrator": "stepfunctions"}
    )
    assert run.of_type(STATE_MACHINE)


def test_a_reservation_lands_on_the_function(previewed: Upstream) -> None:
    # -1 is Lambda's "no reserved concurrency" (the default); a number reserves it.
    run = run_retraining(previewed, preview=True, overrides={"lambdaReservedConcurrency": 1})
    assert one(run, FUNCTION, f"{BASE}-orchestrator")["reservedConcurrentExecutions"] == 1.0
    run = run_retraining(previewed, preview=True, overrides={"lambdaReservedConcurrency": 5})
    assert one(run, FUNCTION, f"{BASE}-orchestrator")["reservedConcurrentExecutions"] == 5.0


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        pytest.param(
            {"lambdaReservedConcurrency": 0},
            "0 disables the function: Lambda throttles every invocation",
            id="zero",
        ),
        pytest.param(
            {"lambdaReservedConcurrency": 1001},
            "is not a reserved concurrency Lambda accepts",
            id="above-1000",
        ),
        pytest.param(
            {"lambdaReservedConcurrency": 2, "orchestrator": "stepfunctions"},
            "applies to the Lambda orchestrator only",
            id="with-stepfunctions",
        ),
    ],
)
def test_a_bad_reserved_concurrency_stops_the_program_before_any_resource(
    previewed: Upstream,
    registered_types: list[str],
    overrides: dict[str, Any],
    reason: str,
) -> None:
    error = _config_error(previewed, overrides)
    assert _problem_keys(error) == ["retraining:lambdaReservedConcurrency"]
    message = str(error)
    assert reason in message
    # Plain config values reach the program as strings, quoted as such.
    assert f'(got "{overrides["lambdaReservedConcurrency"]}"; allowed: ' in message
    assert registered_types == []


def test_a_bad_reserved_concurrency_is_reported_with_the_other_problems(
    previewed: Upstream, registered_types: list[str]
) -> None:
    error = _config_error(
        previewed, {"lambdaReservedConcurrency": 0, "schedule": "cron(0 6 * * * *)"}
    )
    assert sorted(_problem_keys(error)) == [
        "retraining:lambdaReservedConcurrency",
        "retraining:schedule",
    ]
    assert registered_types == []


def test_a_team_the_upstream_stacks_do_not_know_stops_the_program(
    previewed: Upstream, registered_types: list[str]
) -> None:
    error = _config_error(previewed, {"team": "growth"})
    message = str(error)
    assert "retraining:networkIamStack" in message
    assert "retraining:notificationsStack" in message
    assert "has no team 'growth'" in message
    assert "churn, fraud" in message
    assert registered_types == []


def test_an_upstream_stack_of_another_environment_is_refused(
    previewed: Upstream, registered_types: list[str]
) -> None:
    # The upstream names are explicit here: left empty they would follow the environment.
    error = _config_error(
        previewed,
        {
            "environment": "prod",
            "networkIamStack": "organization/network-iam/dev",
            "notificationsStack": "organization/notifications/dev",
        },
    )
    assert "exports environment 'dev'" in str(error)
    assert registered_types == []


def test_stack_names_must_name_the_right_projects(
    previewed: Upstream, registered_types: list[str]
) -> None:
    error = _config_error(
        previewed,
        {
            "networkIamStack": "organization/notifications/dev",
            "notificationsStack": "notifications-dev",
        },
    )
    assert sorted(_problem_keys(error)) == [
        "retraining:networkIamStack",
        "retraining:notificationsStack",
    ]
    assert "not the 'network-iam' project" in str(error)
    assert registered_types == []


def test_an_upstream_stack_of_another_account_is_refused(
    previewed: Upstream, registered_types: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        run_program(
            RETRAINING,
            FRAUD,
            preview=True,
            stack_references=previewed.references,
            account_id="210987654321",
        )
    assert "exports account_id '123456789012'" in str(caught.value)
    assert "'210987654321'" in str(caught.value)
    assert registered_types == []


def test_a_network_iam_without_the_teams_key_is_refused(
    previewed: Upstream, registered_types: list[str]
) -> None:
    network_outputs = dict(previewed.network.outputs)
    network_outputs["team_kms_key_arns"] = {
        team: key for team, key in network_outputs["team_kms_key_arns"].items() if team != "fraud"
    }
    references = dict(previewed.references)
    references[previewed.network.full_name] = network_outputs
    with pytest.raises(ConfigError) as caught:
        run_program(RETRAINING, FRAUD, preview=True, stack_references=references)
    assert "exports no team_kms_key_arns.fraud" in str(caught.value)
    assert registered_types == []


def test_a_multi_instance_job_needs_a_network_that_lets_its_instances_talk(
    previewed: Upstream, registered_types: list[str]
) -> None:
    """churn's forecast model trains on 2 instances: without the security group's self
    reference (network-iam distributedTraining) its instances could not reach each other."""
    network_outputs = dict(previewed.network.outputs)
    network_outputs["distributed_training"] = False
    references = dict(previewed.references)
    references[previewed.network.full_name] = network_outputs
    with pytest.raises(ConfigError) as caught:
        run_program(RETRAINING, CHURN, preview=True, stack_references=references)
    assert "has distributedTraining off" in str(caught.value)
    assert "retraining:training.instanceCount is 2" in str(caught.value)
    assert registered_types == []
    # A single-instance job needs no such network.
    run_program(RETRAINING, FRAUD, preview=True, stack_references=references)


# --------------------------------------------------------------------------------------------
# The quality gate's Model Package Group (issue 12)
# --------------------------------------------------------------------------------------------

MODEL_PACKAGE_GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"


def test_a_gated_stack_creates_its_group_tagged_with_the_gate(previewed: Upstream) -> None:
    run = run_retraining(previewed, preview=True)
    [group] = run.of_type(MODEL_PACKAGE_GROUP)
    name = naming.model_package_group_name("fraud", "scoring", "dev")
    assert group.name == name == "fraud-dev-scoring"
    assert group.inputs["modelPackageGroupName"] == name
    tags = group.inputs["tags"]
    assert (tags["team"], tags["environment"], tags["model"]) == ("fraud", "dev", "scoring")
    assert {key: tags[key] for key in tags if key.startswith("quality-gate-")} == {
        quality_gate_tags.TAG_METRIC: "validation:auc",
        quality_gate_tags.TAG_DIRECTION: "maximize",
        quality_gate_tags.TAG_THRESHOLD: "0.85",
        quality_gate_tags.TAG_MIN_IMPROVEMENT: "0.005",
        quality_gate_tags.TAG_APPROVAL: "automatic",
    }
    assert quality_gate_tags.gate_problems(tags) == []
    assert run.plain_outputs()["model_package_group_name"] == name
    assert run.plain_outputs()["quality_gate"] == (
        "validation:auc >= 0.85 and at least 0.005 better than the latest approved version: "
        "registered in fraud-dev-scoring as Approved (automatic approval)"
    )


def test_the_manual_gate_is_said_in_the_plan(previewed: Upstream) -> None:
    run = run_retraining(previewed, CHURN, preview=True)
    assert [g.name for g in run.of_type(MODEL_PACKAGE_GROUP)] == ["churn-dev-forecast"]
    assert run.plain_outputs()["quality_gate"] == (
        "validation:rmse <= 12.5: registered in churn-dev-forecast as PendingManualApproval "
        "(manual approval)"
    )


def test_without_a_gate_no_group_and_the_plan_says_nothing_is_registered(
    previewed: Upstream,
) -> None:
    run = run_retraining(previewed, preview=True, overrides={"qualityGate": {}})
    assert run.of_type(MODEL_PACKAGE_GROUP) == []
    assert run.plain_outputs()["model_package_group_name"] == ""
    assert run.plain_outputs()["quality_gate"] == model_registry.NO_GATE_TEXT


def test_the_gate_environment_is_what_the_gate_function_reads() -> None:
    gate = QualityGateSettings.model_validate(
        {
            "metric": "validation:auc",
            "direction": "maximize",
            "threshold": 0.85,
            "approval": "manual",
        }
    )
    text = model_registry.gate_json(gate)
    assert list(json.loads(text)) == list(contract.QUALITY_GATE_KEYS)
    parsed = model_gate.parse_quality_gate(text)
    assert parsed == model_gate.QualityGate(
        metric="validation:auc",
        direction="maximize",
        threshold=0.85,
        min_improvement=None,
        approval="manual",
    )
    assert parsed.approval_status == "PendingManualApproval"


# The gate in each orchestrator mode.

GATE_FUNCTION = f"{BASE}-model-gate"
GATE_VARIABLES = (contract.ENV_QUALITY_GATE, contract.ENV_MODEL_PACKAGE_GROUP)


def test_a_lambda_stack_runs_the_gate_in_its_orchestrator_not_a_function_of_its_own(
    previewed: Upstream,
) -> None:
    run = run_retraining(previewed, preview=True)
    assert [f.name for f in run.of_type(FUNCTION)] == [f"{BASE}-orchestrator"]
    variables = one(run, FUNCTION, f"{BASE}-orchestrator")["environment"]["variables"]
    assert {key: variables[key] for key in GATE_VARIABLES} == (
        model_registry.gate_variables(
            QualityGateSettings.model_validate(
                {
                    "metric": "validation:auc",
                    "direction": "maximize",
                    "threshold": 0.85,
                    "minImprovement": 0.005,
                    "approval": "automatic",
                }
            ),
            BASE,
        )
    )
    # Ungated: no gate variables, the report path publishes Completed.
    ungated = run_retraining(previewed, preview=True, overrides={"qualityGate": {}})
    variables = one(ungated, FUNCTION, f"{BASE}-orchestrator")["environment"]["variables"]
    assert not set(GATE_VARIABLES) & set(variables)


def test_a_gated_step_functions_stack_invokes_its_gate_function_after_sync_success(
    deployed: Upstream,
) -> None:
    run = run_retraining(deployed, preview=False, overrides={"orchestrator": "stepfunctions"})
    team = deployed.team("fraud")
    gate = one(run, FUNCTION, GATE_FUNCTION)
    assert gate["handler"] == "lambda_function.model_gate.lambda_handler"
    assert gate["role"] == team["lambda_orchestrator_role_arn"]
    assert gate["runtime"] == "python3.13"
    assert gate["timeout"] >= lambda_function.GATE_CALL_BUDGET.worst_case_seconds()
    assert gate["loggingConfig"] == {
        "logFormat": "JSON",
        "logGroup": f"/aws/lambda/{GATE_FUNCTION}",
        "applicationLogLevel": "INFO",
        "systemLogLevel": "INFO",
    }
    assert set(gate["code"]["assets"]) == set(lambda_function.ARCHIVE_FILES)
    variables = gate["environment"]["variables"]
    assert variables[contract.ENV_MODEL_PACKAGE_GROUP] == BASE
    assert json.loads(variables[contract.ENV_QUALITY_GATE])["approval"] == "automatic"
    assert (
        variables[contract.ENV_TEAM],
        variables[contract.ENV_MODEL],
        variables[contract.ENV_ENVIRONMENT],
    ) == ("fraud", "scoring", "dev")
    log_group = resource(run, LOG_GROUP, f"/aws/lambda/{GATE_FUNCTION}")
    assert log_group.inputs["retentionInDays"] == 90.0
    assert log_group.urn in resource(run, FUNCTION, GATE_FUNCTION).dependencies
    machine = resource(run, STATE_MACHINE, f"{BASE}-orchestrator")
    assert resource(run, FUNCTION, GATE_FUNCTION).urn in machine.dependencies

    states = json.loads(machine.inputs["definition"])["States"]
    assert states[state_machine.GATE_INSERTION_STATE]["Next"] == gate_states.JUDGE_MODEL
    judge = states[gate_states.JUDGE_MODEL]
    assert judge["Parameters"]["FunctionName"] == arn("lambda", f"function:{GATE_FUNCTION}")
    assert states[gate_states.REPORT_GATE_OUTCOME]["Next"] == state_machine.REPORTED
    assert "ReportCompleted" not in states  # the gate's message replaces Completed


def test_an_ungated_step_functions_stack_reports_completed_and_has_no_gate_function(
    previewed: Upstream,
) -> None:
    run = run_retraining(
        previewed, preview=True, overrides={"orchestrator": "stepfunctions", "qualityGate": {}}
    )
    assert [f.name for f in run.of_type(FUNCTION)] == []
    states = json.loads(one(run, STATE_MACHINE)["definition"])["States"]
    assert gate_states.JUDGE_MODEL not in states
    assert states[state_machine.GATE_INSERTION_STATE]["Next"] == "ReportCompleted"
