"""The Step Functions orchestrator: one message per scheduled occurrence, for every outcome.

What runs where (honestly):
- moto 5.2's ASL interpreter executes the definition, but not `.sync` (it has no `.sync`
  integration) and only one execution per account and region (see the `sfn_aws` fixture). The
  executed tests use `build_definition(..., sync=False)`: request/response CreateTrainingJob
  followed by DescribeTrainingJob, which stands in for the final description `.sync` returns;
  every other state is the deployed one. Messages are counted where a subscriber sees them: an
  SQS queue subscribed to the team topic.
- A job that ENDS Failed or Stopped reaches a `.sync` task as `States.TaskFailed`; those rows
  execute the deployed states after `StartTrainingJob` by substituting it with a Pass that
  produces that error, with a Cause nothing can parse (the machine reads the job's description
  instead), and let moto's DescribeTrainingJob say how the job ended.
- A create that created the job but answered 500 is scripted in moto's backend
  (`ActedThenFailed`); its retry, which on AWS fires on `SageMaker.AmazonSageMakerException`, is
  made to fire on the name moto gives every SageMaker error (`retried_create`). The own-job poll
  runs with a 0 s Wait and 1 s describe retries (`without_waiting`); everything else as deployed.
- moto's interpreter cannot carry a whole DescribeTrainingJob (botocore datetimes) in the state;
  `timestamps_as_sent` keeps the timestamps as SageMaker sent them, as AWS's integration does.
- moto reports every failed service call as `States.Runtime` (AWS: `SageMaker.<Exception>`), so
  Retry on SageMaker error names never fires under moto: the transient-then-ok row is checked on
  the definition (a retrier covers the transient names; after it, the success path is the
  executed Completed row).
- `test_no_path_publishes_twice` walks every path of the deployed (`.sync`) definition.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import botocore.parsers
import pytest
from moto.sagemaker import models as sagemaker_models
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from orchestrator_fakes import (
    ACCOUNT_ID,
    ActedThenFailed,
    AwsLikeSageMaker,
    apply_input_transformer,
    internal_failure,
    report_final_metrics,
    resource_limit_exceeded,
    training_job_arn,
    validation_error,
)
from orchestrator_support import (
    ARNS,
    ENVIRONMENT,
    GATE_FUNCTION_NAME,
    JOB_NAME_PREFIX,
    KMS_KEY_ARN,
    MODEL,
    REGION,
    SAGEMAKER_ROLE_ARN,
    SECURITY_GROUP_IDS,
    SUBNET_IDS,
    TEAM,
    TRAINING_INFRASTRUCTURE,
    AwsAccount,
    Notification,
    execution_input,
    quality_gate,
    run_execution,
    scheduled_event,
    state_machine_definition,
    training_spec,
)
from retraining_shared import naming
from retraining_stack import gate_states, state_machine
from retraining_stack.lambda_function import contract, model_gate
from retraining_stack.lambda_function.contract import OutcomeStatus

JOB_NAME = f"{JOB_NAME_PREFIX}202611260600"
OCCURRENCE = "2026-11-26T06:00:00Z"
CONSOLE_URL = f"https://console.aws.amazon.com/sagemaker/home?region={REGION}#/jobs/{JOB_NAME}"
STATE_MACHINE_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/fraud-dev-sfn-orchestrator"
INFRASTRUCTURE = state_machine.training_infrastructure(
    subnet_ids=SUBNET_IDS, security_group_ids=SECURITY_GROUP_IDS, kms_key_arn=KMS_KEY_ARN
)


def execute(definition: dict[str, Any], execution_input: Any) -> dict[str, Any]:
    """Create the state machine, run one execution to its end, return DescribeExecution."""
    return run_execution(
        definition,
        execution_input,
        name="fraud-dev-scoring-orchestrator",
        role_arn=STATE_MACHINE_ROLE_ARN,
    )


def entered_states(described: dict[str, Any]) -> list[str]:
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in described["history"]
        if "stateEnteredEventDetails" in event
    ]


def definition(sync: bool = False, volume_kms_key: bool = True) -> dict[str, Any]:
    return state_machine_definition(sync=sync, volume_kms_key=volume_kms_key)


# What the Cause of a failed `.sync` task holds is not documented and is capped at 32,768
# characters (Step Functions API reference, TaskFailedEventDetails): the machine must not read it.
UNPARSEABLE_CAUSE = '{"TrainingJobName": "' + JOB_NAME + '", "HyperParameters": {"a": "xxxx'


def ended_sync_job() -> dict[str, Any]:
    """The definition with `StartTrainingJob` replaced by what a `.sync` task reports when the job
    it waited for ended Failed or Stopped: States.TaskFailed, with a Cause nothing can parse."""
    probe = without_waiting(definition())
    probe["States"]["StartTrainingJob"] = {
        "Type": "Pass",
        "Result": {"Error": "States.TaskFailed", "Cause": UNPARSEABLE_CAUSE},
        "ResultPath": "$.failure",
        "Next": state_machine.CLASSIFY_START_FAILURE,
    }
    return probe


def jobs_end_as(monkeypatch: pytest.MonkeyPatch, *descriptions: dict[str, str]) -> None:
    """moto's DescribeTrainingJob answers each of `descriptions` (over its own description) in
    turn, then the last one again: a job that runs and ends as SageMaker would report it."""
    describe = sagemaker_models.SageMakerModelBackend.describe_training_job
    pending = list(descriptions)

    def ended(self: Any, training_job_name: str) -> dict[str, Any]:
        fields = pending.pop(0) if len(pending) > 1 else pending[0]
        return {**describe(self, training_job_name), **fields}

    monkeypatch.setattr(sagemaker_models.SageMakerModelBackend, "describe_training_job", ended)


@pytest.fixture
def timestamps_as_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole DescribeTrainingJob in the state data: AWS's AWS SDK integration writes its
    timestamps into the JSON state; moto's interpreter keeps botocore's datetime objects and
    cannot serialize them. botocore's parsers keep the value as SageMaker sent it instead (an
    epoch number) for the clients created during the test."""
    monkeypatch.setattr(botocore.parsers, "DEFAULT_TIMESTAMP_PARSER", lambda value: value)


def without_waiting(built: dict[str, Any]) -> dict[str, Any]:
    """The deployed states, but the own-job poll does not wait a minute between describes, and
    the describes retry at once (the same number of attempts)."""
    built["States"][state_machine.WAIT_FOR_OWN_JOB]["Seconds"] = 0
    for name in (state_machine.DESCRIBE_ENDED_JOB, state_machine.DESCRIBE_OWN_JOB):
        for retrier in built["States"][name]["Retry"]:
            retrier.update(IntervalSeconds=1, BackoffRate=1.0)
            retrier.pop("JitterStrategy", None)
    return built


def the_one_message(account: AwsAccount, status: OutcomeStatus) -> Notification:
    """Exactly one message reached the subscriber; it is a well-formed `status` outcome."""
    [message] = account.notifications()
    assert message.attributes == {
        contract.MESSAGE_ATTRIBUTE_STATUS: status.value,
        contract.MESSAGE_ATTRIBUTE_TEAM: TEAM,
        contract.MESSAGE_ATTRIBUTE_MODEL: MODEL,
        contract.MESSAGE_ATTRIBUTE_ENVIRONMENT: ENVIRONMENT,
    }
    assert message.subject == contract.outcome_subject(status, TEAM, MODEL, ENVIRONMENT)
    assert isinstance(message.body, dict)
    assert tuple(message.body) == contract.MESSAGE_KEYS
    assert message.body["subject"] == message.subject
    assert message.body["status"] == status.value
    return message


# --- The message-count matrix, executed ---------------------------------------------------------


def test_success_sends_one_completed_message(sfn_aws: AwsAccount) -> None:
    described = execute(definition(), execution_input())

    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert entered_states(described) == [
        "CheckInput",
        "DeriveTrainingJobName",
        "StartTrainingJob",
        "DescribeStartedJob",
        "TrainingEnded",
        state_machine.GATE_INSERTION_STATE,
        "ReportCompleted",
        "NotifyCompleted",
        "Reported",
    ]
    message = the_one_message(sfn_aws, OutcomeStatus.COMPLETED)
    assert message.body == contract.outcome_message(
        status=OutcomeStatus.COMPLETED,
        team=TEAM,
        model=MODEL,
        environment=ENVIRONMENT,
        scheduled_occurrence=OCCURRENCE,
        training_job_name=JOB_NAME,
        reason="",
        console_link=CONSOLE_URL,
    )
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
        {"Key": contract.TAG_JOB_NAME_PREFIX, "Value": JOB_NAME_PREFIX},
        {"Key": contract.TAG_SCHEDULED_OCCURRENCE, "Value": OCCURRENCE},
        {"Key": contract.TAG_ORCHESTRATOR_EXECUTION, "Value": described["executionArn"]},
    ]


@pytest.mark.parametrize(
    ("description", "status", "reason"),
    [
        (
            {
                "TrainingJobStatus": "Failed",
                "SecondaryStatus": "Failed",
                "FailureReason": 'AlgorithmError: ExecuteUserScriptError: "train.py" exited 1',
            },
            OutcomeStatus.FAILED,
            'AlgorithmError: ExecuteUserScriptError: "train.py" exited 1',
        ),
        (
            {"TrainingJobStatus": "Stopped", "SecondaryStatus": "MaxWaitTimeExceeded"},
            OutcomeStatus.STOPPED,
            "MaxWaitTimeExceeded",
        ),
        (
            # A cause that mentions ResourceInUse is still the job's own end, not a duplicate.
            {"TrainingJobStatus": "Failed", "FailureReason": "ClientError: ResourceInUse"},
            OutcomeStatus.FAILED,
            "ClientError: ResourceInUse",
        ),
        (
            {"TrainingJobStatus": "Failed", "SecondaryStatus": "Failed"},
            OutcomeStatus.FAILED,
            "the training job did not complete and SageMaker gave no reason",
        ),
    ],
    ids=["failed", "stopped-spot", "failed-mentioning-resource-in-use", "failed-without-reason"],
)
@pytest.mark.usefixtures("timestamps_as_sent")
def test_a_job_that_ended_badly_sends_one_message_with_the_reason(
    description: dict[str, str],
    status: OutcomeStatus,
    reason: str,
    sfn_aws: AwsAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The job ran (the .sync task waited for it) and ended: its description says how.
    sfn_aws.sagemaker.create_training_job(TrainingJobName=JOB_NAME, **training_spec())
    jobs_end_as(monkeypatch, description)

    described = execute(ended_sync_job(), execution_input())

    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert entered_states(described)[-7:-4] == [
        state_machine.CLASSIFY_START_FAILURE,
        state_machine.DESCRIBE_ENDED_JOB,
        state_machine.TRAINING_ENDED,
    ]
    message = the_one_message(sfn_aws, status)
    assert message.body["reason"] == reason
    assert message.body["trainingJobName"] == JOB_NAME
    assert message.body["consoleUrl"] == CONSOLE_URL


def test_a_job_the_description_says_stopped_is_reported_stopped(
    sfn_aws: AwsAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whether `.sync` ends a Stopped job as success or as States.TaskFailed, the outcome is the
    # same: TrainingEnded reads the final description either way.
    describe = sagemaker_models.SageMakerModelBackend.describe_training_job

    def stopped(self: Any, training_job_name: str) -> dict[str, Any]:
        return {
            **describe(self, training_job_name),
            "TrainingJobStatus": "Stopped",
            "SecondaryStatus": "MaxRuntimeExceeded",
        }

    monkeypatch.setattr(sagemaker_models.SageMakerModelBackend, "describe_training_job", stopped)

    described = execute(definition(), execution_input())

    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert the_one_message(sfn_aws, OutcomeStatus.STOPPED).body["reason"] == "MaxRuntimeExceeded"


def test_a_permanent_start_failure_sends_one_not_started_message(
    sfn_aws: AwsAccount, aws_like_sagemaker: AwsLikeSageMaker
) -> None:
    problem = f"Could not assume role {SAGEMAKER_ROLE_ARN}. Please ensure that the role exists."
    aws_like_sagemaker.fail_next("CreateTrainingJob", validation_error(problem))

    described = execute(definition(), execution_input())

    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert entered_states(described)[-5:] == [
        state_machine.CLASSIFY_START_FAILURE,
        "StartFailed",
        "ReportNotStarted",
        "NotifyNotStarted",
        "Reported",
    ]
    assert sfn_aws.training_job_names() == []
    message = the_one_message(sfn_aws, OutcomeStatus.NOT_STARTED)
    assert message.body["reason"].startswith("CreateTrainingJob failed: ")
    assert "ValidationException" in message.body["reason"]
    assert problem in message.body["reason"]
    assert message.body["trainingJobName"] == JOB_NAME
    assert message.body["consoleUrl"] == ""  # no job to look at


def test_quota_skips_the_occurrence_with_one_message(
    sfn_aws: AwsAccount, aws_like_sagemaker: AwsLikeSageMaker
) -> None:
    # Under moto the error is States.Runtime (no retry fires); on AWS the bounded quota retry
    # runs first (test_quota_and_transient_errors_are_retried_a_bounded_time).
    aws_like_sagemaker.fail_next("CreateTrainingJob", resource_limit_exceeded())

    described = execute(definition(), execution_input())

    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert "SkippedForQuota" in entered_states(described)
    message = the_one_message(sfn_aws, OutcomeStatus.NOT_STARTED)
    assert message.body["reason"].startswith(contract.QUOTA_REASON_PREFIX)
    assert "ResourceLimitExceeded" in message.body["reason"]


def test_an_ended_job_whose_description_cannot_be_read_still_sends_one_message(
    sfn_aws: AwsAccount, aws_like_sagemaker: AwsLikeSageMaker
) -> None:
    # DescribeTrainingJob keeps failing (every attempt of the Retry): Catch, one message.
    sfn_aws.sagemaker.create_training_job(TrainingJobName=JOB_NAME, **training_spec())
    aws_like_sagemaker.fail_next("DescribeTrainingJob", *[internal_failure()] * 5)

    described = execute(ended_sync_job(), execution_input())

    message = unreadable_description_reported(
        sfn_aws, described, state_machine.DESCRIBE_ENDED_JOB, state_machine.ENDED_JOB_UNREADABLE
    )
    assert message.body["reason"].startswith("the training job ended without completing, but")
    assert message.body["consoleUrl"] == CONSOLE_URL


def unreadable_description_reported(
    account: AwsAccount, described: dict[str, Any], describe: str, unreadable: str
) -> Notification:
    """The execution went from `describe` to its Catch `unreadable` and sent one Failed message
    carrying the service's error."""
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert entered_states(described)[-5:-3] == [describe, unreadable]
    message = the_one_message(account, OutcomeStatus.FAILED)
    assert "We encountered an internal error." in message.body["reason"]  # the service's
    return message


def retried_create() -> dict[str, Any]:
    """The deployed states; StartTrainingJob's transient retrier matches what moto names every
    SageMaker error (States.Runtime; AWS: SageMaker.AmazonSageMakerException for a 5xx), once."""
    built = without_waiting(definition())
    task = built["States"][state_machine.START_TRAINING_JOB]
    [transient] = [
        r
        for r in task["Retry"]
        if r["ErrorEquals"] == list(state_machine.SAGEMAKER_TRANSIENT_ERRORS)
    ]
    transient.update(ErrorEquals=["States.Runtime"], IntervalSeconds=1, MaxAttempts=1)
    transient.pop("JitterStrategy")
    return built


@pytest.mark.parametrize(
    "row",
    [
        ([{"TrainingJobStatus": "Completed"}], OutcomeStatus.COMPLETED, "", 1),
        (
            [
                {"TrainingJobStatus": "InProgress", "SecondaryStatus": "Training"},
                {"TrainingJobStatus": "Stopping", "SecondaryStatus": "Stopping"},
                {
                    "TrainingJobStatus": "Failed",
                    "SecondaryStatus": "Failed",
                    "FailureReason": "AlgorithmError: out of memory",
                },
            ],
            OutcomeStatus.FAILED,
            "AlgorithmError: out of memory",
            3,
        ),
        (
            [
                {"TrainingJobStatus": "InProgress", "SecondaryStatus": "Training"},
                {"TrainingJobStatus": "Stopped", "SecondaryStatus": "MaxRuntimeExceeded"},
            ],
            OutcomeStatus.STOPPED,
            "MaxRuntimeExceeded",
            2,
        ),
    ],
    ids=["completed", "failed-after-polls", "stopped-after-a-poll"],
)
@pytest.mark.usefixtures("timestamps_as_sent")
def test_a_create_that_answered_an_error_after_creating_reports_its_job_once(
    row: tuple[list[dict[str, str]], OutcomeStatus, str, int],
    sfn_aws: AwsAccount,
    aws_like_sagemaker: AwsLikeSageMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`row`: what each poll's description says, the outcome, its reason, how many polls."""
    descriptions, status, reason, polls = row
    # CreateTrainingJob creates the job and answers 500; the retry answers ResourceInUse. The job
    # carries this execution's tag: the execution waits for it and sends its one message.
    aws_like_sagemaker.fail_next("CreateTrainingJob", ActedThenFailed(internal_failure()))
    jobs_end_as(monkeypatch, {}, *descriptions)  # ConfirmExistingJob, then the polls

    described = execute(retried_create(), execution_input())

    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert aws_like_sagemaker.backend_calls.count("CreateTrainingJob") == 2
    entered = entered_states(described)
    assert entered[entered.index(state_machine.CLASSIFY_START_FAILURE) :][:5] == [
        state_machine.CLASSIFY_START_FAILURE,
        state_machine.CONFIRM_EXISTING_JOB,
        state_machine.READ_JOB_OWNER,
        state_machine.COMPARE_JOB_OWNER,
        state_machine.IS_OWN_JOB,
    ]
    assert entered.count(state_machine.DESCRIBE_OWN_JOB) == polls
    assert entered.count(state_machine.COUNT_OWN_JOB_POLL) == polls - 1
    assert state_machine.TRAINING_ENDED in entered
    message = the_one_message(sfn_aws, status)
    assert message.body["reason"] == reason
    assert message.body["trainingJobName"] == JOB_NAME
    assert sfn_aws.training_job_names() == [JOB_NAME]


@pytest.mark.usefixtures("timestamps_as_sent")
def test_one_parsed_definition_serves_every_execution_of_it(
    new_sfn_account: Callable[[], contextlib.AbstractContextManager[AwsAccount]],
    aws_like_sagemaker: AwsLikeSageMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tests parse each definition text once per process and execute that one program
    (tests/orchestrator/process_caches.py): what an execution counts, such as a Retry's
    attempts, must stay in that execution. Two executions of one definition whose retrier
    allows a single retry: each makes its own retry, then reports its job."""
    definition = retried_create()
    runs = []
    for _ in range(2):
        with new_sfn_account() as account:
            creates_before = aws_like_sagemaker.backend_calls.count("CreateTrainingJob")
            aws_like_sagemaker.fail_next("CreateTrainingJob", ActedThenFailed(internal_failure()))
            jobs_end_as(monkeypatch, {}, {"TrainingJobStatus": "Completed"})
            described = execute(definition, execution_input())
            creates = aws_like_sagemaker.backend_calls.count("CreateTrainingJob") - creates_before
            the_one_message(account, OutcomeStatus.COMPLETED)
            runs.append((described["status"], creates, entered_states(described)))
    assert runs[0][:2] == ("SUCCEEDED", 2), "the create failed once and was retried once"
    assert runs[1] == runs[0]


def test_an_own_job_whose_state_cannot_be_read_still_sends_one_message(
    sfn_aws: AwsAccount, aws_like_sagemaker: AwsLikeSageMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_like_sagemaker.fail_next("CreateTrainingJob", ActedThenFailed(internal_failure()))
    describe = sagemaker_models.SageMakerModelBackend.describe_training_job
    calls: list[str] = []

    def readable_once(self: Any, training_job_name: str) -> dict[str, Any]:
        # ConfirmExistingJob reads the job; every attempt of the poll's describe fails.
        calls.append(training_job_name)
        if len(calls) > 1:
            raise internal_failure()
        return dict(describe(self, training_job_name))

    monkeypatch.setattr(
        sagemaker_models.SageMakerModelBackend, "describe_training_job", readable_once
    )

    described = execute(retried_create(), execution_input())

    message = unreadable_description_reported(
        sfn_aws, described, state_machine.DESCRIBE_OWN_JOB, state_machine.OWN_JOB_UNREADABLE
    )
    assert message.body["reason"].startswith("the training job was started, but the orchestrator")


def test_a_redelivered_occurrence_sends_nothing_more(sfn_aws: AwsAccount) -> None:
    # The occurrence's job already exists, tagged by the execution of the first delivery, which
    # sends its one outcome message (the rows above); this delivery must add none.
    first = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:execution:fraud-dev-scoring-orchestrator:first"
    spec = training_spec()
    spec["Tags"] = [*spec["Tags"], {"Key": contract.TAG_ORCHESTRATOR_EXECUTION, "Value": first}]
    sfn_aws.sagemaker.create_training_job(TrainingJobName=JOB_NAME, **spec)

    described = execute(without_waiting(definition()), execution_input())

    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert entered_states(described)[-6:] == [
        state_machine.CLASSIFY_START_FAILURE,
        state_machine.CONFIRM_EXISTING_JOB,
        state_machine.READ_JOB_OWNER,
        state_machine.COMPARE_JOB_OWNER,
        state_machine.IS_OWN_JOB,
        state_machine.ALREADY_STARTED_ELSEWHERE,
    ]
    assert json.loads(described["output"])["existingTrainingJob"] == {
        "TrainingJobArn": training_job_arn(JOB_NAME),
        "TrainingJobStatus": "Completed",
    }
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
def test_malformed_input_sends_one_not_started_message(malformed: Any, sfn_aws: AwsAccount) -> None:
    described = execute(definition(), malformed)

    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert entered_states(described) == [
        "CheckInput",
        "RejectInput",
        "ReportNotStarted",
        "NotifyNotStarted",
        "Reported",
    ]
    message = the_one_message(sfn_aws, OutcomeStatus.NOT_STARTED)
    assert message.body["trainingJobName"] == ""
    assert "trainingInfrastructure" in message.body["reason"]
    assert json.dumps(malformed, separators=(",", ":")) in message.body["reason"]
    assert sfn_aws.training_job_names() == []


@pytest.mark.parametrize(
    "time_",
    ["2026-11-26T06:00:43Z", "2026-02-28T23:59:00.250Z", "2027-01-01T00:00:00Z"],
)
def test_the_state_machine_names_jobs_exactly_like_the_contract(
    time_: str, sfn_aws: AwsAccount
) -> None:
    described = execute(definition(), execution_input(time_))

    occurrence = dt.datetime.fromisoformat(time_)
    expected = contract.training_job_name(JOB_NAME_PREFIX, occurrence)
    message = the_one_message(sfn_aws, OutcomeStatus.COMPLETED)
    assert message.body["trainingJobName"] == expected
    assert message.body["scheduledOccurrence"] == contract.occurrence_text(occurrence)
    assert sfn_aws.training_job_names() == [expected]
    assert described["status"] == "SUCCEEDED"


def test_local_storage_instances_get_the_output_key_only(sfn_aws: AwsAccount) -> None:
    # ml.g5 trains on NVMe instance storage: CreateTrainingJob rejects a VolumeKmsKeyId for it.
    spec = training_spec()
    spec["ResourceConfig"]["InstanceType"] = "ml.g5.2xlarge"
    built = state_machine_definition(spec, sync=False, volume_kms_key=False)

    described = execute(built, execution_input())

    assert described["status"] == "SUCCEEDED", described.get("cause")
    job = sfn_aws.sagemaker.describe_training_job(TrainingJobName=JOB_NAME)
    assert job["ResourceConfig"] == spec["ResourceConfig"]
    assert "VolumeKmsKeyId" not in job["ResourceConfig"]
    assert job["OutputDataConfig"]["KmsKeyId"] == KMS_KEY_ARN
    assert job["VpcConfig"] == {"Subnets": SUBNET_IDS, "SecurityGroupIds": SECURITY_GROUP_IDS}


# --- The message-count matrix, gated stacks: the gate's one message replaces Completed ----------
#
# moto cannot run a Lambda function (no container runtime here), so the one step that stands in
# for AWS is Lambda itself: moto's ASL interpreter invokes the gate function through
# `lambda_eval_utils._invoke_lambda_function`, which these tests replace by a call of the real
# handler (`model_gate.lambda_handler`) with the payload the deployed JudgeModel state built,
# the gate function's environment, and moto's SageMaker (the registry is moto's). Everything
# else (the machine's states, the publish of the gate's message) is executed as deployed.

GATE_METRIC = "validation:auc"
GATE_GROUP = naming.model_package_group_name(TEAM, MODEL, ENVIRONMENT)
GATE_ENVIRONMENT = {
    contract.ENV_QUALITY_GATE: json.dumps(
        {
            "metric": GATE_METRIC,
            "direction": "maximize",
            "threshold": 0.85,
            "minImprovement": 0.01,
            "approval": "manual",
        }
    ),
    contract.ENV_MODEL_PACKAGE_GROUP: GATE_GROUP,
    contract.ENV_TEAM: TEAM,
    contract.ENV_MODEL: MODEL,
    contract.ENV_ENVIRONMENT: ENVIRONMENT,
}


@dataclasses.dataclass
class GateFunction:
    """The gate function as Lambda would run it: what the job reported, how often Step
    Functions invoked it, what it returned."""

    sagemaker: Any
    reported_metrics: dict[str, float]
    invocations: int = 0
    lost_answers: int = 0
    """Invocations whose answer is lost before Step Functions sees it (Retry invokes again)."""

    def __call__(self, parameters: dict[str, Any], region: str, state_credentials: Any) -> Any:
        assert parameters["FunctionName"] == ARNS.lambda_function(GATE_FUNCTION_NAME)
        payload = parameters["Payload"]
        event = json.loads(payload) if isinstance(payload, str | bytes) else payload
        report_final_metrics(JOB_NAME, self.reported_metrics)

        class Context:
            invoked_function_arn = parameters["FunctionName"]

        output = {}
        for _ in range(1 + self.lost_answers):
            self.invocations += 1
            output = model_gate.lambda_handler(event, Context(), self.sagemaker)
        return {"StatusCode": 200, "Payload": json.loads(json.dumps(output))}


def _approved_baseline(sagemaker: Any, value: float) -> None:
    """An earlier occurrence's model, judged by the real gate with automatic approval: the
    group's Approved version 1 recording `value`."""
    earlier = f"{JOB_NAME_PREFIX}202611250600"
    spec = training_spec()
    spec.pop("Tags")
    sagemaker.create_training_job(TrainingJobName=earlier, **spec)
    report_final_metrics(earlier, {GATE_METRIC: value})
    automatic = dict(GATE_ENVIRONMENT)
    automatic[contract.ENV_QUALITY_GATE] = automatic[contract.ENV_QUALITY_GATE].replace(
        '"manual"', '"automatic"'
    )
    outcome = model_gate.run_gate(earlier, automatic, sagemaker)
    assert outcome is not None
    assert outcome.status is OutcomeStatus.REGISTERED, outcome.reason


@dataclasses.dataclass(frozen=True)
class GatedRow:
    name: str
    reported_metrics: dict[str, float]
    status: OutcomeStatus
    reason: str
    versions: int
    baseline: float | None = None
    lost_answers: int = 0


PENDING_FIRST = (
    f"version 1 of {GATE_GROUP} registered, approval status PendingManualApproval: "
    "validation:auc 0.91 vs no approved version to compare with (first version); threshold "
    "0.85 (maximize), minImprovement 0.01"
)
GATED_ROWS = [
    GatedRow("first_version", {GATE_METRIC: 0.91}, OutcomeStatus.REGISTERED, PENDING_FIRST, 1),
    GatedRow(
        "registered_over_baseline",
        {GATE_METRIC: 0.93},
        OutcomeStatus.REGISTERED,
        f"version 2 of {GATE_GROUP} registered, approval status PendingManualApproval: "
        "validation:auc 0.93 vs baseline 0.9 (approved version 1); threshold 0.85 (maximize), "
        "minImprovement 0.01",
        2,
        baseline=0.90,
    ),
    GatedRow(
        "rejected_threshold",
        {GATE_METRIC: 0.80},
        OutcomeStatus.REJECTED,
        "validation:auc 0.8 is below the threshold 0.85 (maximize); nothing registered",
        0,
    ),
    GatedRow(
        "rejected_no_improvement",
        {GATE_METRIC: 0.905},
        OutcomeStatus.REJECTED,
        "validation:auc 0.905 vs baseline 0.9 (approved version 1): improvement 0.005 is less "
        "than minImprovement 0.01 (maximize); nothing registered",
        1,
        baseline=0.90,
    ),
    GatedRow(
        "missing_metric",
        {"train:auc": 0.95},
        OutcomeStatus.REJECTED,
        "the job reported no finite validation:auc (its final metrics: train:auc); check "
        "qualityGate.metric and, for a custom image, training.metricDefinitions; nothing "
        "registered",
        0,
    ),
    # The task invoked again after a lost answer (Step Functions' Retry of JudgeModel): the
    # gate finds the version it registered, registers nothing twice, one message.
    GatedRow(
        "retried_gate_task",
        {GATE_METRIC: 0.91},
        OutcomeStatus.REGISTERED,
        PENDING_FIRST,
        1,
        lost_answers=1,
    ),
]


@pytest.mark.parametrize("row", GATED_ROWS, ids=[row.name for row in GATED_ROWS])
def test_a_gated_completed_job_sends_the_gates_one_message(
    row: GatedRow, sfn_aws: AwsAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    sfn_aws.sagemaker.create_model_package_group(ModelPackageGroupName=GATE_GROUP)
    if row.baseline is not None:
        _approved_baseline(sfn_aws.sagemaker, row.baseline)
    for key, value in GATE_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    gate_function = GateFunction(sfn_aws.sagemaker, row.reported_metrics, 0, row.lost_answers)
    monkeypatch.setattr(lambda_eval_utils, "_invoke_lambda_function", gate_function)

    gated = state_machine_definition(sync=False, quality_gate=quality_gate())
    described = execute(gated, execution_input())

    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert entered_states(described)[-4:] == [
        state_machine.GATE_INSERTION_STATE,
        gate_states.JUDGE_MODEL,
        gate_states.REPORT_GATE_OUTCOME,
        state_machine.REPORTED,
    ]
    assert gate_function.invocations == 1 + row.lost_answers
    message = the_one_message(sfn_aws, row.status)
    assert message.body["reason"] == row.reason
    assert message.body["trainingJobName"] == JOB_NAME
    assert message.body["scheduledOccurrence"] == OCCURRENCE
    assert message.body["consoleUrl"] == CONSOLE_URL
    versions = sfn_aws.sagemaker.list_model_packages(ModelPackageGroupName=GATE_GROUP)
    assert len(versions["ModelPackageSummaryList"]) == row.versions


# --- The deployed (.sync) definition, walked -----------------------------------------------------


def _successors(state: dict[str, Any]) -> list[str]:
    nexts = [state.get("Next"), state.get("Default")]
    nexts += [choice["Next"] for choice in state.get("Choices", [])]
    nexts += [catcher["Next"] for catcher in state.get("Catch", [])]
    return [name for name in nexts if isinstance(name, str)]


# The one loop of the definition: the poll for an own job after a lost create answer.
OWN_JOB_LOOP = (
    state_machine.WAIT_FOR_OWN_JOB,
    state_machine.DESCRIBE_OWN_JOB,
    state_machine.OWN_JOB_ENDED,
    state_machine.COUNT_OWN_JOB_POLL,
)


def _paths(
    states: dict[str, Any], name: str, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """Every path from `name` to an end, the own-job poll loop entered once (it holds no
    publish: test_the_only_loop_is_the_bounded_own_job_poll); any other cycle fails here."""
    if name in path:
        assert name == state_machine.WAIT_FOR_OWN_JOB, f"loop through {name}"
        assert path[-1] == state_machine.COUNT_OWN_JOB_POLL, path
        return
    path = (*path, name)
    successors = _successors(states[name])
    if not successors:
        yield path
    for successor in successors:
        yield from _paths(states, successor, path)


def _is_publish(state: dict[str, Any]) -> bool:
    return state["Type"] == "Task" and state["Resource"].endswith(":sns:publish")


@pytest.mark.parametrize("gated", [False, True], ids=["ungated", "gated"])
def test_no_path_publishes_twice(gated: bool) -> None:
    gate = quality_gate() if gated else None
    states = state_machine_definition(sync=True, quality_gate=gate)["States"]
    paths = list(_paths(states, "CheckInput"))
    ends = {}
    for path in paths:
        publishes = [name for name in path if _is_publish(states[name])]
        assert len(publishes) <= 1, path
        ends.setdefault(path[-1], set()).add(len(publishes))
    # Every outcome ends in Reported after exactly one publish; only another execution's job
    # ends quietly, and an own job SageMaker failed to stop fails the execution (an alarm).
    assert ends == {
        state_machine.REPORTED: {1},
        state_machine.ALREADY_STARTED_ELSEWHERE: {0},
        state_machine.OWN_JOB_OUTLIVED_ITS_LIMITS: {0},
    }
    assert states[state_machine.OWN_JOB_OUTLIVED_ITS_LIMITS]["Type"] == "Fail"
    reached = {name for path in paths for name in path}
    # Nothing unreachable (the poll count only leads back into the loop; executed above).
    assert reached | {state_machine.COUNT_OWN_JOB_POLL} == set(states)
    # A Task without a Catch can only fail the execution (ExecutionsFailed alarm), never skip or
    # repeat a message: the publishes themselves and the ResourceInUse owner lookup (whose job
    # it is cannot be known without it).
    uncaught = {n for n, s in states.items() if s["Type"] == "Task" and not s.get("Catch")}
    notified = set(state_machine.BASE_OUTCOMES) - ({OutcomeStatus.COMPLETED} if gated else set())
    gate_publishes = {gate_states.REPORT_GATE_OUTCOME, gate_states.REPORT_GATE_NOT_RUN}
    owner_lookup = {state_machine.CONFIRM_EXISTING_JOB, state_machine.READ_JOB_OWNER}
    assert uncaught == {f"Notify{status.value}" for status in notified} | owner_lookup | (
        gate_publishes if gated else set()
    )
    # The job's end is read from its description after States.TaskFailed, never from the Cause.
    assert "StringToJson" not in json.dumps(states)
    [task_failed] = [
        choice
        for choice in states[state_machine.CLASSIFY_START_FAILURE]["Choices"]
        if choice.get("StringEquals") == "States.TaskFailed"
    ]
    assert task_failed["Next"] == state_machine.DESCRIBE_ENDED_JOB


def test_the_only_loop_is_the_bounded_own_job_poll() -> None:
    states = definition(sync=True)["States"]
    for name in OWN_JOB_LOOP:
        assert not _is_publish(states[name]), name
    assert _successors(states[state_machine.COUNT_OWN_JOB_POLL]) == [state_machine.WAIT_FOR_OWN_JOB]
    # The poll count bound: the only way round the loop is below it.
    [keep_polling, outlived] = states[state_machine.OWN_JOB_ENDED]["Choices"]
    assert keep_polling["Next"] == state_machine.COUNT_OWN_JOB_POLL
    assert {"Variable": "$.jobOwner.polls", "NumericLessThan": 180} in keep_polling["And"]
    assert outlived["Next"] == state_machine.OWN_JOB_OUTLIVED_ITS_LIMITS
    # The spec stops the job after 3600 s (spot: 7200 s): 7200 s + 1 h grace, polls a minute
    # apart would be 180; they are spread so that no limit exceeds 1000 polls.
    assert states[state_machine.WAIT_FOR_OWN_JOB]["Seconds"] == 60
    wait = state_machine.own_job_wait({"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200})
    assert wait == state_machine.OwnJobWait(seconds=60, max_polls=180)
    longest = state_machine.own_job_wait({"MaxRuntimeInSeconds": 28 * 24 * 3600})
    assert longest.max_polls <= state_machine.OWN_JOB_MAX_POLLS
    assert longest.seconds * longest.max_polls >= 28 * 24 * 3600 + 3600


def test_the_own_job_poll_bound_follows_the_spec() -> None:
    spec = training_spec()
    spec["StoppingCondition"] = {"MaxRuntimeInSeconds": 86400}
    states = state_machine_definition(spec, sync=True)["States"]
    assert states[state_machine.WAIT_FOR_OWN_JOB]["Seconds"] == 90  # (86400 + 3600) / 1000
    [keep_polling, _] = states[state_machine.OWN_JOB_ENDED]["Choices"]
    assert {"Variable": "$.jobOwner.polls", "NumericLessThan": 1000} in keep_polling["And"]
    spec["StoppingCondition"] = {"MaxRuntimeInSeconds": "1 day", "MaxWaitTimeInSeconds": 0}
    with pytest.raises(state_machine.StateMachineDefinitionError) as raised:
        state_machine_definition(spec, sync=True)
    assert [problem.field for problem in raised.value.problems] == [
        "training_spec.StoppingCondition.MaxRuntimeInSeconds",
        "training_spec.StoppingCondition.MaxWaitTimeInSeconds",
    ]


def test_each_publish_sends_its_status_built_from_the_contract() -> None:
    states = definition(sync=True)["States"]
    for status in state_machine.BASE_OUTCOMES:
        report = states[state_machine.report_state(status)]
        notify = states[state_machine.notify_state(status)]
        assert tuple(key.removesuffix(".$") for key in report["Parameters"]) == (
            contract.MESSAGE_KEYS
        )
        assert report["Next"] == state_machine.notify_state(status)
        assert notify["Parameters"]["Message.$"] == "States.JsonToString($.message)"
        assert notify["Parameters"]["MessageAttributes"] == contract.message_attributes(
            status, TEAM, MODEL, ENVIRONMENT
        )
        assert notify["Parameters"]["Subject"] == contract.outcome_subject(
            status, TEAM, MODEL, ENVIRONMENT
        )
        assert notify["Next"] == state_machine.REPORTED


def test_quota_and_transient_errors_are_retried_a_bounded_time() -> None:
    task = definition(sync=True)["States"]["StartTrainingJob"]
    retried = {error: retrier for retrier in task["Retry"] for error in retrier["ErrorEquals"]}
    assert set(retried) == {
        "SageMaker.ResourceLimitExceededException",
        "SageMaker.AmazonSageMakerException",
        "SageMaker.ThrottlingException",
    }
    for retrier in task["Retry"]:
        # The longest a retrier can wait in total: a few minutes at most.
        waits = [
            min(
                retrier["IntervalSeconds"] * retrier["BackoffRate"] ** attempt,
                retrier.get("MaxDelaySeconds", float("inf")),
            )
            for attempt in range(retrier["MaxAttempts"])
        ]
        assert sum(waits) <= 180, retrier
        assert retrier["JitterStrategy"] == "FULL"
    assert "States.TaskFailed" not in retried  # a failed .sync job is reported, not re-run
    assert "States.ALL" not in retried
    assert task["Catch"] == [
        {
            "ErrorEquals": ["States.ALL"],
            "ResultPath": "$.failure",
            "Next": state_machine.CLASSIFY_START_FAILURE,
        }
    ]
    # After a retried transient error succeeds, the Task's Next is the success path (executed
    # above as the Completed row).
    assert task["Next"] == state_machine.TRAINING_ENDED


def test_the_quality_gate_is_inserted_after_a_completed_job() -> None:
    gate = state_machine.QualityGate(
        start_at="Gate",
        states={
            "Gate": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.trainingJob.TrainingJobStatus",
                        "StringEquals": "Completed",
                        "Next": state_machine.report_state(OutcomeStatus.REGISTERED),
                    }
                ],
                "Default": state_machine.report_state(OutcomeStatus.REJECTED),
            }
        },
        outcomes=(OutcomeStatus.REGISTERED, OutcomeStatus.REJECTED),
    )
    built = state_machine_definition(sync=True, quality_gate=gate)

    states = built["States"]
    assert states[state_machine.GATE_INSERTION_STATE]["Next"] == "Gate"
    assert states["NotifyRegistered"]["Parameters"]["MessageAttributes"]["status"] == {
        "DataType": "String",
        "StringValue": "Registered",
    }
    # Completed is no longer reachable: the gate's outcome replaces it, still one per path.
    paths = list(_paths(states, "CheckInput"))
    assert not any("NotifyCompleted" in path for path in paths)
    for path in paths:
        assert sum(_is_publish(states[name]) for name in path) <= 1, path
    clashing = state_machine.QualityGate(start_at="Reported", states={"Reported": {}})
    with pytest.raises(state_machine.StateMachineDefinitionError, match="Reported"):
        state_machine_definition(sync=True, quality_gate=clashing)


# --- Targets and the definition as deployed -------------------------------------------------------


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
        {"Key": "retraining-execution", "Value.$": "$$.Execution.Id"},
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
    # The test-only variant differs in the integration and the description standing in for
    # .sync's output only.
    assert (
        request_response["States"]["StartTrainingJob"]["Resource"]
        == "arn:aws:states:::sagemaker:createTrainingJob"
    )
    assert request_response["States"]["StartTrainingJob"]["Next"] == "DescribeStartedJob"
    assert request_response["States"]["DescribeStartedJob"]["Next"] == "TrainingEnded"
    assert set(request_response["States"]) - set(synced["States"]) == {"DescribeStartedJob"}
    for name in synced["States"]:
        if name != "StartTrainingJob":
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


def test_topic_and_partition_come_from_the_topic_arn() -> None:
    china_topic = "arn:aws-cn:sns:cn-north-1:123456789012:fraud-dev-retraining-notifications"
    spec = training_spec()
    spec["RoleArn"] = "arn:aws-cn:iam::123456789012:role/fraud-dev-sagemaker-execution"

    built = state_machine_definition(spec, sync=True, topic_arn=china_topic)

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
        state_machine_definition(
            spec, sync=True, topic_arn="arn:aws:sns:us-east-1:1:t", job_name_prefix="Fraud_scoring"
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
        state_machine_definition(spec, sync=True)

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
        "sagemaker:ListTags",  # whose job it is, after ResourceInUse
        "sagemaker:AddTags",
        "iam:PassRole",
        "sns:Publish",
    }
    unknown = definition()
    unknown["States"]["NotifyCompleted"]["Resource"] = "arn:aws:states:::ecs:runTask.sync"
    with pytest.raises(ValueError, match="unknown Step Functions integration"):
        state_machine.required_iam_actions(unknown)
