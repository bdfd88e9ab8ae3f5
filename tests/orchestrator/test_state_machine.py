"""The Step Functions definition, executed by moto's ASL interpreter.

moto 5.2 executes request/response SageMaker tasks but not `.sync` (its Step Functions
interpreter has no `.sync` integration), so executions use
`build_definition(..., sync=False)`; the `.sync` definition is checked for the one difference.
Each test runs one execution (see the `sfn_aws` fixture). Executions get the input the schedule
targets produce: the occurrence's `time` plus `trainingInfrastructure` (subnets, security group,
KMS key), which the definition passes to CreateTrainingJob with JSONPath parameters.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from typing import Any

import boto3
import pytest
from orchestrator_fakes import (
    ACCOUNT_ID,
    AwsLikeSageMaker,
    apply_input_transformer,
    training_job_arn,
    validation_error,
)
from orchestrator_support import (
    JOB_NAME_PREFIX,
    KMS_KEY_ARN,
    REGION,
    SAGEMAKER_ROLE_ARN,
    SECURITY_GROUP_IDS,
    SUBNET_IDS,
    TOPIC_ARN,
    TRAINING_INFRASTRUCTURE,
    AwsAccount,
    execution_input,
    scheduled_event,
    training_spec,
)
from retraining_stack import state_machine
from retraining_stack.lambda_function import contract

JOB_NAME = f"{JOB_NAME_PREFIX}202611260600"
STATE_MACHINE_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/fraud-dev-sfn-orchestrator"
INFRASTRUCTURE = state_machine.training_infrastructure(
    subnet_ids=SUBNET_IDS, security_group_ids=SECURITY_GROUP_IDS, kms_key_arn=KMS_KEY_ARN
)


def execute(definition: dict[str, Any], execution_input: Any) -> dict[str, Any]:
    """Create the state machine, run one execution to its end, return DescribeExecution."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name="fraud-dev-scoring-orchestrator",
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


def definition(sync: bool = False, volume_kms_key: bool = True) -> dict[str, Any]:
    return state_machine.build_definition(
        training_spec(), TOPIC_ARN, JOB_NAME_PREFIX, volume_kms_key=volume_kms_key, sync=sync
    )


# --- Executed paths ------------------------------------------------------------------------------


def test_success_path_starts_the_job_and_notifies(sfn_aws: AwsAccount) -> None:
    described = execute(definition(), execution_input())

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
    for key in ("RoleArn", "InputDataConfig", "StoppingCondition"):
        assert job[key] == spec[key]
    # The ids came from the execution input, not from the definition.
    assert job["VpcConfig"] == {"Subnets": SUBNET_IDS, "SecurityGroupIds": SECURITY_GROUP_IDS}
    assert job["OutputDataConfig"] == {**spec["OutputDataConfig"], "KmsKeyId": KMS_KEY_ARN}
    assert job["ResourceConfig"] == {**spec["ResourceConfig"], "VolumeKmsKeyId": KMS_KEY_ARN}
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


def test_local_storage_instances_get_the_output_key_only(sfn_aws: AwsAccount) -> None:
    # ml.g5 trains on NVMe instance storage: CreateTrainingJob rejects a VolumeKmsKeyId for it.
    spec = training_spec()
    spec["ResourceConfig"]["InstanceType"] = "ml.g5.2xlarge"
    built = state_machine.build_definition(
        spec, TOPIC_ARN, JOB_NAME_PREFIX, volume_kms_key=False, sync=False
    )

    described = execute(built, execution_input())

    assert described["status"] == "SUCCEEDED", described.get("cause")
    job = sfn_aws.sagemaker.describe_training_job(TrainingJobName=JOB_NAME)
    assert job["ResourceConfig"] == spec["ResourceConfig"]
    assert "VolumeKmsKeyId" not in job["ResourceConfig"]
    assert job["OutputDataConfig"]["KmsKeyId"] == KMS_KEY_ARN
    assert job["VpcConfig"] == {"Subnets": SUBNET_IDS, "SecurityGroupIds": SECURITY_GROUP_IDS}


@pytest.mark.parametrize(
    "time_",
    ["2026-11-26T06:00:43Z", "2026-02-28T23:59:00.250Z", "2027-01-01T00:00:00Z"],
)
def test_the_state_machine_names_jobs_exactly_like_the_lambda(
    time_: str, sfn_aws: AwsAccount
) -> None:
    import datetime as dt

    described = execute(definition(), execution_input(time_))

    expected = contract.training_job_name(JOB_NAME_PREFIX, dt.datetime.fromisoformat(time_))
    output = json.loads(described["output"])
    assert output["trainingJobName"] == expected
    assert output["scheduledOccurrence"] == contract.occurrence_text(
        dt.datetime.fromisoformat(time_)
    )
    assert sfn_aws.training_job_names() == [expected]


def test_failure_path_publishes_the_error_and_cause_then_fails(
    sfn_aws: AwsAccount, aws_like_sagemaker: AwsLikeSageMaker
) -> None:
    message = f"Could not assume role {SAGEMAKER_ROLE_ARN}. Please ensure that the role exists."
    aws_like_sagemaker.fail_next("CreateTrainingJob", validation_error(message))

    described = execute(definition(), execution_input())

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

    described = execute(definition(), execution_input())

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


OTHER_ACCOUNT_KEY = KMS_KEY_ARN.replace(ACCOUNT_ID, "210987654321")


@pytest.mark.parametrize(
    "malformed",
    [
        {"tim": "2026-11-26T06:00:00Z", "trainingInfrastructure": INFRASTRUCTURE},
        execution_input("2026-11-26 06:00"),
        {"time": 1764136800, "trainingInfrastructure": INFRASTRUCTURE},
        execution_input("2026-11-26T06:00:00+00:00"),  # EventBridge and Scheduler always send Z
        {"time": "2026-11-26T06:00:00Z"},  # a hand-started execution without the ids
        scheduled_event(),  # a rule target wired without the input transformer
        execution_input(subnetIds=[]),
        execution_input(subnetIds=SUBNET_IDS[0]),  # a string, not a list
        execution_input(securityGroupIds=["default"]),
        execution_input(kmsKeyArn=None),
        execution_input(kmsKeyArn="alias/aws/sagemaker"),
        execution_input(kmsKeyArn=OTHER_ACCOUNT_KEY),
        execution_input(kmsKeyArn=KMS_KEY_ARN.replace(REGION, "eu-west-1")),
    ],
    ids=[
        "misspelled-key",
        "not-iso",
        "a-number",
        "offset-not-z",
        "no-infrastructure",
        "untransformed-scheduled-event",
        "no-subnets",
        "subnets-not-a-list",
        "security-group-name",
        "no-kms-key",
        "kms-alias",
        "kms-key-of-another-account",
        "kms-key-of-another-region",
    ],
)
def test_malformed_input_is_reported_not_dropped(malformed: Any, sfn_aws: AwsAccount) -> None:
    described = execute(definition(), malformed)

    assert described["status"] == "FAILED"
    assert described["error"] == "RetrainingFailed"
    assert entered_states(described) == ["CheckInput", "RejectInput", "NotifyFailure", "Failed"]
    [notice] = sfn_aws.notifications()
    assert notice.body["error"] == "RetrainingInputInvalid"
    assert notice.body["trainingJobName"] is None
    assert "trainingInfrastructure" in notice.body["cause"]
    assert json.dumps(malformed, separators=(",", ":")) in notice.body["cause"]
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

    described = execute(probe, execution_input())

    assert described["status"] == "FAILED"
    assert "DescribeExistingTrainingJob" not in entered_states(described)
    [notice] = sfn_aws.notifications()
    assert notice.body["error"] == "States.TaskFailed"


def test_rule_and_scheduler_targets_produce_the_execution_input() -> None:
    paths, template = state_machine.rule_target_input_transformer(INFRASTRUCTURE)
    assert apply_input_transformer(paths, template, scheduled_event()) == execution_input()
    scheduler_input = state_machine.scheduler_target_input(INFRASTRUCTURE).replace(
        "<aws.scheduler.scheduled-time>", "2026-11-26T06:00:00Z"
    )
    assert json.loads(scheduler_input) == execution_input()


def test_the_execution_input_contract_names() -> None:
    # README "Starting an execution by hand" documents these names for operators.
    assert INFRASTRUCTURE == TRAINING_INFRASTRUCTURE


# --- The definition as deployed ------------------------------------------------------------------


def test_deployed_definition_uses_sync_and_carries_the_spec_as_parameters() -> None:
    synced = definition(sync=True)
    request_response = definition(sync=False)

    task = synced["States"]["StartTrainingJob"]
    assert task["Resource"] == "arn:aws:states:::sagemaker:createTrainingJob.sync"
    spec = training_spec()
    # The policy pack reads the spec from here: every spec key unchanged, plus the name, tags and
    # the provider-computed ids as paths into the execution input.
    parameters = copy.deepcopy(task["Parameters"])
    assert parameters.pop("TrainingJobName.$") == "$.trainingJobName"
    assert parameters.pop("Tags") == [
        *spec.pop("Tags"),
        {"Key": "training-job-name-prefix", "Value": JOB_NAME_PREFIX},
        {"Key": "scheduled-occurrence", "Value.$": "$.scheduledOccurrence"},
    ]
    assert parameters.pop("VpcConfig") == {
        "Subnets.$": "$.trainingInfrastructure.subnetIds",
        "SecurityGroupIds.$": "$.trainingInfrastructure.securityGroupIds",
    }
    assert parameters["OutputDataConfig"].pop("KmsKeyId.$") == "$.trainingInfrastructure.kmsKeyArn"
    assert parameters["ResourceConfig"].pop("VolumeKmsKeyId.$") == (
        "$.trainingInfrastructure.kmsKeyArn"
    )
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


def test_the_definition_holds_no_infrastructure_value() -> None:
    # Known at preview whatever network-iam computes: nothing of INFRASTRUCTURE is inside, and
    # the volume key path is left out for local-storage instance types.
    text = json.dumps(definition(sync=True))
    for value in [*SUBNET_IDS, *SECURITY_GROUP_IDS, KMS_KEY_ARN]:
        assert value not in text
    without_volume_key = definition(sync=True, volume_kms_key=False)
    resource_config = without_volume_key["States"]["StartTrainingJob"]["Parameters"][
        "ResourceConfig"
    ]
    assert resource_config == training_spec()["ResourceConfig"]


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

    built = state_machine.build_definition(spec, china_topic, JOB_NAME_PREFIX, volume_kms_key=True)

    tasks = [s for s in built["States"].values() if s["Type"] == "Task"]
    assert {t["Resource"].split(":")[1] for t in tasks} == {"aws-cn"}
    publishes = [t for t in tasks if t["Resource"].endswith(":sns:publish")]
    assert {t["Parameters"]["TopicArn"] for t in publishes} == {china_topic}
    # The execution input's KMS key must be one of the deployment's account and region.
    [check] = built["States"]["CheckInput"]["Choices"]
    key_shapes = [
        c["StringMatches"]
        for c in check["And"]
        if c["Variable"] == "$.trainingInfrastructure.kmsKeyArn" and "StringMatches" in c
    ]
    assert key_shapes == ["arn:aws-cn:kms:cn-north-1:123456789012:key/*"]


def test_bad_inputs_are_all_reported_before_anything_is_built() -> None:
    spec = training_spec()
    spec["TrainingJobName"] = "fixed"
    del spec["RoleArn"]

    with pytest.raises(state_machine.StateMachineDefinitionError) as raised:
        state_machine.build_definition(
            spec, "arn:aws:sns:us-east-1:1:t", "Fraud_scoring", volume_kms_key=True
        )

    assert [problem.field for problem in raised.value.problems] == [
        "training_spec.TrainingJobName",
        "training_spec.RoleArn",
        "topic_arn",
        "job_name_prefix",
    ]


def test_a_spec_that_sets_the_infrastructure_itself_is_rejected() -> None:
    # One source of truth: the ids come from the execution input only.
    spec = training_spec()
    spec["VpcConfig"] = {"Subnets": SUBNET_IDS, "SecurityGroupIds": SECURITY_GROUP_IDS}
    spec["OutputDataConfig"]["KmsKeyId"] = KMS_KEY_ARN
    spec["ResourceConfig"]["VolumeKmsKeyId.$"] = "$.somewhereElse"

    with pytest.raises(state_machine.StateMachineDefinitionError) as raised:
        state_machine.build_definition(spec, TOPIC_ARN, JOB_NAME_PREFIX, volume_kms_key=True)

    assert [problem.field for problem in raised.value.problems] == [
        "training_spec.VpcConfig",
        "training_spec.OutputDataConfig.KmsKeyId",
        "training_spec.ResourceConfig.VolumeKmsKeyId.$",
    ]
    assert "trainingInfrastructure" in str(raised.value)


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
