"""The Step Functions definition, executed by moto's ASL interpreter.

moto executes request/response SageMaker tasks but not `.sync` (BRIEF §4), so executions use
`build_definition(..., sync=False)`; the `.sync` definition is checked for the one difference.
Each test runs one execution (see the `sfn_aws` fixture).
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from typing import Any

import boto3
import pytest
from conftest import (
    JOB_NAME_PREFIX,
    REGION,
    SAGEMAKER_ROLE_ARN,
    TOPIC_ARN,
    AwsAccount,
    scheduled_event,
    training_spec,
)
from orchestrator_fakes import (
    ACCOUNT_ID,
    AwsLikeSageMaker,
    apply_input_transformer,
    training_job_arn,
    validation_error,
)
from retraining_stack import state_machine
from retraining_stack.orchestrator import handler as orchestrator

JOB_NAME = f"{JOB_NAME_PREFIX}202611260600"
STATE_MACHINE_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/fraud-dev-sfn-orchestrator"


def execute(definition: dict[str, Any], execution_input: Any) -> dict[str, Any]:
    """Create the state machine, run one execution to its end, return DescribeExecution."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name="fraud-scoring-dev-orchestrator",
        definition=json.dumps(definition),
        roleArn=STATE_MACHINE_ROLE_ARN,
    )["stateMachineArn"]
    execution_arn = sfn.start_execution(
        stateMachineArn=arn, name=uuid.uuid4().hex, input=json.dumps(execution_input)
    )["executionArn"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            described["history"] = sfn.get_execution_history(executionArn=execution_arn)["events"]
            return dict(described)
        time.sleep(0.02)
    raise AssertionError("the execution did not finish within 20 s")


def entered_states(described: dict[str, Any]) -> list[str]:
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in described["history"]
        if "stateEnteredEventDetails" in event
    ]


def definition(sync: bool = False) -> dict[str, Any]:
    return state_machine.build_definition(training_spec(), TOPIC_ARN, JOB_NAME_PREFIX, sync=sync)


# --- Executed paths ------------------------------------------------------------------------------


def test_success_path_starts_the_job_and_notifies(sfn_aws: AwsAccount) -> None:
    described = execute(definition(), {"time": "2026-11-26T06:00:00Z"})

    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["output"]) == {
        "outcome": "started",
        "trainingJobName": JOB_NAME,
        "trainingJobArn": training_job_arn(JOB_NAME),
        "scheduledOccurrence": "2026-11-26T06:00:00Z",
    }
    assert entered_states(described) == [
        "CheckInput",
        "DeriveTrainingJobName",
        "StartTrainingJob",
        "NotifySuccess",
        "Succeeded",
    ]
    job = sfn_aws.sagemaker.describe_training_job(TrainingJobName=JOB_NAME)
    spec = training_spec()
    assert spec["AlgorithmSpecification"].items() <= job["AlgorithmSpecification"].items()
    for key in ("RoleArn", "InputDataConfig", "OutputDataConfig", "StoppingCondition"):
        assert job[key] == spec[key]
    assert sfn_aws.sagemaker.list_tags(ResourceArn=training_job_arn(JOB_NAME))["Tags"] == [
        *spec["Tags"],
        {"Key": "training-job-name-prefix", "Value": JOB_NAME_PREFIX},
        {"Key": "scheduled-occurrence", "Value": "2026-11-26T06:00:00Z"},
    ]
    [notice] = sfn_aws.notifications()
    assert notice.subject == f"Retraining started: {JOB_NAME}"
    assert notice.attributes == {
        "event": "RetrainingStarted",
        "trainingJobNamePrefix": JOB_NAME_PREFIX,
    }
    assert notice.body == {
        "event": "RetrainingStarted",
        "trainingJobName": JOB_NAME,
        "trainingJobNamePrefix": JOB_NAME_PREFIX,
        "trainingJobArn": training_job_arn(JOB_NAME),
        "scheduledOccurrence": "2026-11-26T06:00:00Z",
        "executionArn": described["executionArn"],
    }


@pytest.mark.parametrize(
    "time_",
    ["2026-11-26T06:00:43Z", "2026-02-28T23:59:00.250Z", "2027-01-01T00:00:00Z"],
)
def test_the_state_machine_names_jobs_exactly_like_the_lambda(
    time_: str, sfn_aws: AwsAccount
) -> None:
    import datetime as dt

    described = execute(definition(), {"time": time_})

    expected = orchestrator.job_name_for(JOB_NAME_PREFIX, dt.datetime.fromisoformat(time_))
    output = json.loads(described["output"])
    assert output["trainingJobName"] == expected
    assert output["scheduledOccurrence"] == orchestrator.occurrence_tag_value(
        dt.datetime.fromisoformat(time_)
    )
    assert sfn_aws.training_job_names() == [expected]


def test_failure_path_publishes_the_error_and_cause_then_fails(
    sfn_aws: AwsAccount, aws_like_sagemaker: AwsLikeSageMaker
) -> None:
    message = f"Could not assume role {SAGEMAKER_ROLE_ARN}. Please ensure that the role exists."
    aws_like_sagemaker.fail_next("CreateTrainingJob", validation_error(message))

    described = execute(definition(), {"time": "2026-11-26T06:00:00Z"})

    assert described["status"] == "FAILED"
    assert described["error"] == "RetrainingFailed"
    assert message in described["cause"]
    assert entered_states(described)[-3:] == ["ClassifyFailure", "NotifyFailure", "Failed"]
    assert sfn_aws.training_job_names() == []
    [notice] = sfn_aws.notifications()
    assert notice.subject == f"Retraining failed for {JOB_NAME_PREFIX.rstrip('-')}"
    assert notice.attributes["event"] == "RetrainingFailed"
    assert notice.body["event"] == "RetrainingFailed"
    assert notice.body["trainingJobName"] == JOB_NAME
    assert notice.body["scheduledOccurrence"] == "2026-11-26T06:00:00Z"
    assert "ValidationException" in notice.body["cause"]
    assert message in notice.body["cause"]
    # moto reports a failed SageMaker call as States.Runtime; AWS as SageMaker.<Exception>.
    assert notice.body["error"] in {"States.Runtime", "SageMaker.AmazonSageMakerException"}
    assert notice.body["executionArn"] == described["executionArn"]


def test_duplicate_delivery_of_an_occurrence_ends_quietly(sfn_aws: AwsAccount) -> None:
    # The occurrence's job already exists (an earlier execution, or the Lambda, started it).
    spec = training_spec()
    sfn_aws.sagemaker.create_training_job(TrainingJobName=JOB_NAME, **spec)

    described = execute(definition(), {"time": "2026-11-26T06:00:00Z"})

    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["output"]) == {
        "outcome": "already_started",
        "trainingJobName": JOB_NAME,
        "trainingJobArn": training_job_arn(JOB_NAME),
        "trainingJobStatus": "Completed",
        "scheduledOccurrence": "2026-11-26T06:00:00Z",
    }
    assert entered_states(described)[-3:] == [
        "ClassifyFailure",
        "DescribeExistingTrainingJob",
        "AlreadyStarted",
    ]
    assert sfn_aws.training_job_names() == [JOB_NAME]
    assert sfn_aws.notifications() == []


@pytest.mark.parametrize(
    "execution_input",
    [
        {"tim": "2026-11-26T06:00:00Z"},
        {"time": "2026-11-26 06:00"},
        {"time": 1764136800},
        {"time": "2026-11-26T06:00:00+00:00"},  # EventBridge and Scheduler always send Z
    ],
    ids=["misspelled-key", "not-iso", "a-number", "offset-not-z"],
)
def test_malformed_input_is_reported_not_dropped(execution_input: Any, sfn_aws: AwsAccount) -> None:
    described = execute(definition(), execution_input)

    assert described["status"] == "FAILED"
    assert described["error"] == "RetrainingFailed"
    assert entered_states(described) == ["CheckInput", "RejectInput", "NotifyFailure", "Failed"]
    [notice] = sfn_aws.notifications()
    assert notice.body["error"] == "RetrainingInputInvalid"
    assert notice.body["trainingJobName"] is None
    assert json.dumps(execution_input, separators=(",", ":")) in notice.body["cause"]
    assert sfn_aws.training_job_names() == []


def test_a_failed_sync_job_is_not_mistaken_for_a_duplicate(sfn_aws: AwsAccount) -> None:
    # With .sync a failed training job surfaces as States.TaskFailed whose cause is the job's
    # description, which may mention anything, even ResourceInUse. ClassifyFailure must report it.
    probe = definition()
    probe["States"]["StartTrainingJob"] = {
        "Type": "Pass",
        "Result": {
            "Error": "States.TaskFailed",
            "Cause": json.dumps(
                {"TrainingJobStatus": "Failed", "FailureReason": "ClientError: ResourceInUse"}
            ),
        },
        "ResultPath": "$.failure",
        "Next": "ClassifyFailure",
    }

    described = execute(probe, {"time": "2026-11-26T06:00:00Z"})

    assert described["status"] == "FAILED"
    assert "DescribeExistingTrainingJob" not in entered_states(described)
    [notice] = sfn_aws.notifications()
    assert notice.body["error"] == "States.TaskFailed"


def test_an_untransformed_scheduled_event_is_accepted_too(sfn_aws: AwsAccount) -> None:
    # The input only needs a top-level "time": a rule target wired without the input
    # transformer still starts the right job instead of failing.
    described = execute(definition(), scheduled_event())

    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["output"])["trainingJobName"] == JOB_NAME


def test_rule_and_scheduler_targets_produce_the_execution_input() -> None:
    paths, template = state_machine.rule_target_input_transformer()
    assert apply_input_transformer(paths, template, scheduled_event()) == {
        "time": "2026-11-26T06:00:00Z"
    }
    scheduler_input = state_machine.scheduler_target_input().replace(
        "<aws.scheduler.scheduled-time>", "2026-11-26T06:00:00Z"
    )
    assert json.loads(scheduler_input) == {"time": "2026-11-26T06:00:00Z"}


# --- The definition as deployed ------------------------------------------------------------------


def test_deployed_definition_uses_sync_and_carries_the_spec_as_parameters() -> None:
    synced = definition(sync=True)
    request_response = definition(sync=False)

    task = synced["States"]["StartTrainingJob"]
    assert task["Resource"] == "arn:aws:states:::sagemaker:createTrainingJob.sync"
    spec = training_spec()
    # The policy pack reads the spec from here: every spec key unchanged, plus the name and tags.
    parameters = copy.deepcopy(task["Parameters"])
    assert parameters.pop("TrainingJobName.$") == "$.trainingJobName"
    assert parameters.pop("Tags") == [
        *spec.pop("Tags"),
        {"Key": "training-job-name-prefix", "Value": JOB_NAME_PREFIX},
        {"Key": "scheduled-occurrence", "Value.$": "$.scheduledOccurrence"},
    ]
    assert parameters == spec
    # The test-only variant differs in the integration and the success wording only.
    assert (
        request_response["States"]["StartTrainingJob"]["Resource"]
        == "arn:aws:states:::sagemaker:createTrainingJob"
    )
    assert synced["States"]["NotifySuccess"]["Parameters"]["Message"]["event"] == (
        "RetrainingSucceeded"
    )
    for name in synced["States"]:
        if name not in {"StartTrainingJob", "NotifySuccess", "Succeeded"}:
            assert synced["States"][name] == request_response["States"][name], name


def test_retries_cover_quota_and_throttling_but_never_rerun_a_failed_job() -> None:
    task = definition(sync=True)["States"]["StartTrainingJob"]
    retried = {error: retrier for retrier in task["Retry"] for error in retrier["ErrorEquals"]}
    assert set(retried) == {
        "SageMaker.ResourceLimitExceededException",
        "SageMaker.AmazonSageMakerException",
        "SageMaker.ThrottlingException",
    }
    for retrier in task["Retry"]:
        assert retrier["MaxAttempts"] <= 4
        assert retrier["BackoffRate"] > 1
        assert retrier["JitterStrategy"] == "FULL"
    assert "States.TaskFailed" not in retried  # a failed .sync job is reported, not re-run
    assert task["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "ClassifyFailure"}
    ]
    for name in ("DescribeExistingTrainingJob", "NotifySuccess", "NotifyFailure"):
        state = definition(sync=True)["States"][name]
        assert state["Retry"][0]["ErrorEquals"] == ["States.TaskFailed"], name


def test_topic_and_partition_come_from_the_topic_arn() -> None:
    china_topic = "arn:aws-cn:sns:cn-north-1:123456789012:fraud-dev-retraining-notifications"
    spec = training_spec()
    spec["RoleArn"] = "arn:aws-cn:iam::123456789012:role/fraud-dev-sagemaker-execution"

    built = state_machine.build_definition(spec, china_topic, JOB_NAME_PREFIX)

    tasks = [s for s in built["States"].values() if s["Type"] == "Task"]
    assert {t["Resource"].split(":")[1] for t in tasks} == {"aws-cn"}
    publishes = [t for t in tasks if t["Resource"].endswith(":sns:publish")]
    assert {t["Parameters"]["TopicArn"] for t in publishes} == {china_topic}


def test_bad_inputs_are_all_reported_before_anything_is_built() -> None:
    spec = training_spec()
    spec["TrainingJobName"] = "fixed"
    del spec["RoleArn"]

    with pytest.raises(state_machine.StateMachineDefinitionError) as raised:
        state_machine.build_definition(spec, "arn:aws:sns:us-east-1:1:t", "Fraud_scoring")

    assert [problem.field for problem in raised.value.problems] == [
        "training_spec.TrainingJobName",
        "training_spec.RoleArn",
        "topic_arn",
        "job_name_prefix",
    ]


def test_required_iam_actions_follow_the_integrations_used() -> None:
    assert state_machine.required_iam_actions(definition(sync=True)) == {
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:StopTrainingJob",
        "sagemaker:ListTags",
        "sagemaker:AddTags",
        "iam:PassRole",
        "events:PutTargets",
        "events:PutRule",
        "events:DescribeRule",
        "sns:Publish",
    }
    assert state_machine.required_iam_actions(definition(sync=False)) == {
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:AddTags",
        "iam:PassRole",
        "sns:Publish",
    }
    unknown = definition()
    unknown["States"]["NotifySuccess"]["Resource"] = "arn:aws:states:::lambda:invoke"
    with pytest.raises(ValueError, match="unknown Step Functions integration"):
        state_machine.required_iam_actions(unknown)
