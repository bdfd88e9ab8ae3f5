"""The message-count matrix, Lambda rows, end to end under moto: each outcome of a scheduled
occurrence reaches the team topic's SQS subscriber as exactly one message.

Each scenario drives what AWS would: the schedule's deliveries of the occurrence to the function,
SageMaker's state-change events through the job-state route (InputTransformer -> FIFO queue with
content-based deduplication -> one record per invocation). Then the inbox is counted.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.sagemaker.models import sagemaker_backends
from orchestrator_fakes import (
    ACCOUNT_ID,
    REGION,
    ActedThenFailed,
    AwsLikeSageMaker,
    internal_failure,
    report_final_metrics,
    resource_limit_exceeded,
    throttling,
    validation_error,
)
from orchestrator_support import (
    ENVIRONMENT,
    JOB_NAME_PREFIX,
    MODEL,
    TEAM,
    LambdaAccount,
    contract,
    job_state_change,
    scheduled_event,
    scheduler_invocation,
)
from retraining_shared import naming
from retraining_stack import lambda_function

JOB_NAME = f"{JOB_NAME_PREFIX}202611260600"
MAX_ATTEMPTS = lambda_function.CALL_BUDGET.max_attempts
Status = contract.OutcomeStatus


def _job_ends(world: LambdaAccount, *events: dict[str, Any]) -> None:
    for event in events:
        world.job_state.deliver(event)
    world.job_state.poll(world.run)


def success(world: LambdaAccount, fake: AwsLikeSageMaker) -> None:
    world.run(scheduled_event())
    _job_ends(world, job_state_change(JOB_NAME, "Completed"))


def training_failure(world: LambdaAccount, fake: AwsLikeSageMaker) -> None:
    world.run(scheduled_event())
    _job_ends(world, job_state_change(JOB_NAME, "Failed", failure_reason="AlgorithmError: OOM"))


def stop(world: LambdaAccount, fake: AwsLikeSageMaker) -> None:
    world.run(scheduled_event())
    _job_ends(world, job_state_change(JOB_NAME, "Stopped", "MaxRuntimeExceeded"))


def start_failure_transient_then_ok(world: LambdaAccount, fake: AwsLikeSageMaker) -> None:
    fake.fail_next("CreateTrainingJob", *[throttling()] * (MAX_ATTEMPTS - 1))
    world.run(scheduled_event())
    _job_ends(world, job_state_change(JOB_NAME, "Completed"))


def start_failure_transient_persistent(world: LambdaAccount, fake: AwsLikeSageMaker) -> None:
    fake.fail_next("CreateTrainingJob", *[throttling()] * MAX_ATTEMPTS)
    world.run(scheduled_event())


def created_but_server_error(world: LambdaAccount, fake: AwsLikeSageMaker) -> None:
    # botocore's last attempt created the job and answered 500: no NotStarted, the job's end.
    fake.fail_next(
        "CreateTrainingJob",
        *[throttling()] * (MAX_ATTEMPTS - 1),
        ActedThenFailed(internal_failure()),
    )
    world.run(scheduled_event())
    _job_ends(world, job_state_change(JOB_NAME, "Completed"))


def start_failure_permanent(world: LambdaAccount, fake: AwsLikeSageMaker) -> None:
    fake.fail_next("CreateTrainingJob", validation_error("image not found"))
    world.run(scheduled_event())


def redelivered_schedule_event(world: LambdaAccount, fake: AwsLikeSageMaker) -> None:
    world.run(scheduled_event())
    world.run(scheduled_event())  # EventBridge at-least-once delivery
    world.run(scheduler_invocation())  # and a retry through Scheduler: the same minute
    _job_ends(world, job_state_change(JOB_NAME, "Completed"))


def duplicate_state_change_event(world: LambdaAccount, fake: AwsLikeSageMaker) -> None:
    world.run(scheduled_event())
    # SageMaker "may send multiple events ... for each state change": two inside the FIFO
    # queue's deduplication window, one after it (past the window: the reported-outcome tag).
    _job_ends(
        world,
        job_state_change(JOB_NAME, "Completed", event_id="a"),
        job_state_change(JOB_NAME, "Completed", event_id="b"),
    )
    _job_ends(world, job_state_change(JOB_NAME, "Completed", event_id="c"))


def quota(world: LambdaAccount, fake: AwsLikeSageMaker) -> None:
    fake.fail_next("CreateTrainingJob", resource_limit_exceeded())
    world.run(scheduled_event())


@dataclasses.dataclass(frozen=True)
class Row:
    scenario: Callable[[LambdaAccount, AwsLikeSageMaker], None]
    status: contract.OutcomeStatus
    reason: Callable[[str], bool]


ROWS = [
    Row(success, Status.COMPLETED, lambda reason: reason == ""),
    Row(training_failure, Status.FAILED, lambda reason: reason == "AlgorithmError: OOM"),
    Row(stop, Status.STOPPED, lambda reason: reason == "MaxRuntimeExceeded"),
    Row(start_failure_transient_then_ok, Status.COMPLETED, lambda reason: reason == ""),
    Row(
        start_failure_transient_persistent,
        Status.NOT_STARTED,
        lambda reason: "ThrottlingException" in reason,
    ),
    Row(created_but_server_error, Status.COMPLETED, lambda reason: reason == ""),
    Row(
        start_failure_permanent, Status.NOT_STARTED, lambda reason: "ValidationException" in reason
    ),
    Row(redelivered_schedule_event, Status.COMPLETED, lambda reason: reason == ""),
    Row(duplicate_state_change_event, Status.COMPLETED, lambda reason: reason == ""),
    Row(quota, Status.NOT_STARTED, lambda r: r.startswith(contract.QUOTA_REASON_PREFIX)),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.scenario.__name__ for row in ROWS])
def test_lambda_outcome_sends_exactly_one_message(
    lambda_aws: LambdaAccount, aws_like_sagemaker: AwsLikeSageMaker, row: Row
) -> None:
    row.scenario(lambda_aws, aws_like_sagemaker)
    received = lambda_aws.account.notifications()
    assert [message.attributes["status"] for message in received] == [row.status.value]
    (message,) = received
    assert tuple(message.body) == contract.MESSAGE_KEYS
    assert message.body["status"] == row.status.value
    assert message.body["trainingJobName"] == JOB_NAME
    assert row.reason(message.body["reason"]), message.body["reason"]


# --- Gated stacks: the quality gate's one message replaces Completed -----------------------------
#
# moto's registry is real (CreateModelPackage, ListModelPackages with its approval filter and
# sort, DescribeModelPackage); moto fixes a job's FinalMetricDataList at `train:progress`, so a
# scenario sets the metrics the job "reported" on moto's own job record, as test_model_gate does.

GROUP = naming.model_package_group_name(TEAM, MODEL, ENVIRONMENT)
METRIC = "validation:auc"
GATE = {
    "metric": METRIC,
    "direction": "maximize",
    "threshold": 0.85,
    "minImprovement": 0.01,
    "approval": "automatic",
}
EARLIER_JOB = f"{JOB_NAME_PREFIX}202611250600"


@pytest.fixture
def gated_lambda_aws(lambda_aws: LambdaAccount) -> Iterator[LambdaAccount]:
    """The module's account with the stack's gate in the function's environment and an empty
    Model Package Group."""
    backend = sagemaker_backends[ACCOUNT_ID][REGION]
    backend.model_packages.clear()
    backend.model_package_name_mapping.clear()
    if GROUP not in backend.model_package_groups:
        lambda_aws.account.sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    yield dataclasses.replace(
        lambda_aws,
        environment=lambda_aws.environment
        | {
            contract.ENV_QUALITY_GATE: json.dumps(GATE),
            contract.ENV_MODEL_PACKAGE_GROUP: GROUP,
        },
    )
    backend.model_packages.clear()
    backend.model_package_name_mapping.clear()


def _occurrence(
    world: LambdaAccount, job_name: str, metrics: dict[str, float], time: str, *events_ids: str
) -> None:
    """One scheduled occurrence end to end: started, trained (`metrics`), reported."""
    world.run(scheduled_event(time, event_id=f"start-{job_name}"))
    report_final_metrics(job_name, metrics)
    _job_ends(world, *(job_state_change(job_name, "Completed", event_id=i) for i in events_ids))


def _approved_baseline(world: LambdaAccount, value: float) -> None:
    """An earlier occurrence that passed (automatic approval): the group's Approved baseline.
    Its own message is consumed, so the inbox then holds only the occurrence under test."""
    _occurrence(world, EARLIER_JOB, {METRIC: value}, "2026-11-25T06:00:00Z", "earlier")
    [earlier] = world.account.notifications()
    assert earlier.attributes["status"] == Status.REGISTERED.value


def gated_first_version(world: LambdaAccount) -> None:
    _occurrence(world, JOB_NAME, {METRIC: 0.91, "train:auc": 0.95}, "2026-11-26T06:00:00Z", "e")


def gated_registered_over_baseline(world: LambdaAccount) -> None:
    _approved_baseline(world, 0.90)
    _occurrence(world, JOB_NAME, {METRIC: 0.93}, "2026-11-26T06:00:00Z", "e")


def gated_rejected_threshold(world: LambdaAccount) -> None:
    _occurrence(world, JOB_NAME, {METRIC: 0.80}, "2026-11-26T06:00:00Z", "e")


def gated_rejected_no_improvement(world: LambdaAccount) -> None:
    _approved_baseline(world, 0.90)
    _occurrence(world, JOB_NAME, {METRIC: 0.905}, "2026-11-26T06:00:00Z", "e")


def gated_missing_metric(world: LambdaAccount) -> None:
    _occurrence(world, JOB_NAME, {"train:auc": 0.95}, "2026-11-26T06:00:00Z", "e")


def gated_redelivered_completed_event(world: LambdaAccount) -> None:
    # Two deliveries inside the FIFO deduplication window, then one after it.
    _occurrence(world, JOB_NAME, {METRIC: 0.91}, "2026-11-26T06:00:00Z", "a", "b")
    world.account.sqs.purge_queue(QueueUrl=world.job_state.url)  # past the window
    _job_ends(world, job_state_change(JOB_NAME, "Completed", event_id="c"))


@dataclasses.dataclass(frozen=True)
class GatedRow:
    scenario: Callable[[LambdaAccount], None]
    status: contract.OutcomeStatus
    reason: str
    versions: int
    """Versions in the group afterwards (the baseline's included)."""


FIRST_VERSION_REASON = (
    f"version 1 of {GROUP} registered, approval status Approved: validation:auc 0.91 vs no "
    "approved version to compare with (first version); threshold 0.85 (maximize), "
    "minImprovement 0.01"
)
GATED_ROWS = [
    GatedRow(gated_first_version, Status.REGISTERED, FIRST_VERSION_REASON, 1),
    GatedRow(
        gated_registered_over_baseline,
        Status.REGISTERED,
        f"version 2 of {GROUP} registered, approval status Approved: validation:auc 0.93 vs "
        "baseline 0.9 (approved version 1); threshold 0.85 (maximize), minImprovement 0.01",
        2,
    ),
    GatedRow(
        gated_rejected_threshold,
        Status.REJECTED,
        "validation:auc 0.8 is below the threshold 0.85 (maximize); nothing registered",
        0,
    ),
    GatedRow(
        gated_rejected_no_improvement,
        Status.REJECTED,
        "validation:auc 0.905 vs baseline 0.9 (approved version 1): improvement 0.005 is less "
        "than minImprovement 0.01 (maximize); nothing registered",
        1,
    ),
    GatedRow(
        gated_missing_metric,
        Status.REJECTED,
        "the job reported no finite validation:auc (its final metrics: train:auc); check "
        "qualityGate.metric and, for a custom image, training.metricDefinitions; nothing "
        "registered",
        0,
    ),
    GatedRow(gated_redelivered_completed_event, Status.REGISTERED, FIRST_VERSION_REASON, 1),
]


@pytest.mark.parametrize("row", GATED_ROWS, ids=[row.scenario.__name__ for row in GATED_ROWS])
def test_gated_lambda_outcome_sends_exactly_one_message(
    gated_lambda_aws: LambdaAccount, row: GatedRow
) -> None:
    row.scenario(gated_lambda_aws)
    received = gated_lambda_aws.account.notifications()
    assert [message.attributes["status"] for message in received] == [row.status.value]
    (message,) = received
    assert tuple(message.body) == contract.MESSAGE_KEYS
    assert message.body["trainingJobName"] == JOB_NAME
    assert message.body["reason"] == row.reason
    assert message.subject == contract.outcome_subject(row.status, TEAM, MODEL, ENVIRONMENT)
    summaries = gated_lambda_aws.account.sagemaker.list_model_packages(ModelPackageGroupName=GROUP)[
        "ModelPackageSummaryList"
    ]
    assert len(summaries) == row.versions
    # The reported-outcome tag records the gate's status (a later duplicate is skipped).
    job = gated_lambda_aws.account.sagemaker.describe_training_job(TrainingJobName=JOB_NAME)
    tags = gated_lambda_aws.account.sagemaker.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]
    assert {"Key": contract.TAG_REPORTED_OUTCOME, "Value": row.status.value} in tags


# --- Gated stacks: an AWS error of the gate is retried through the queue, never a Rejected -------


def _gated_job_completes(world: LambdaAccount) -> None:
    world.run(scheduled_event())
    report_final_metrics(JOB_NAME, {METRIC: 0.91})
    world.job_state.deliver(job_state_change(JOB_NAME, "Completed"))


def _reported_tags(world: LambdaAccount) -> list[dict[str, str]]:
    job = world.account.sagemaker.describe_training_job(TrainingJobName=JOB_NAME)
    tags = world.account.sagemaker.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]
    return [tag for tag in tags if tag["Key"] == contract.TAG_REPORTED_OUTCOME]


@pytest.mark.parametrize(
    ("operation", "faults"),
    [
        # A throttled registry lookup, still throttled after botocore's attempts.
        ("ListModelPackages", [throttling()] * MAX_ATTEMPTS),
        # The version was created, but every answer was a 500: the retried record must find it
        # and register nothing twice.
        (
            "CreateModelPackage",
            [ActedThenFailed(internal_failure())] + [internal_failure()] * (MAX_ATTEMPTS - 1),
        ),
    ],
    ids=["list-throttled", "create-then-500"],
)
def test_a_gate_aws_error_retries_the_record_then_sends_one_message(
    gated_lambda_aws: LambdaAccount,
    aws_like_sagemaker: AwsLikeSageMaker,
    operation: str,
    faults: list[Exception],
) -> None:
    world = gated_lambda_aws
    _gated_job_completes(world)
    aws_like_sagemaker.fail_next(operation, *faults)

    # The report raises: the queue keeps the record; nothing published, no reported tag.
    with pytest.raises(ClientError):
        world.job_state.poll(world.run)
    assert world.account.notifications() == []
    assert _reported_tags(world) == []

    # The redelivered record is judged again, now that the registry answers.
    assert world.job_state.poll(world.run) == [{"reported": [JOB_NAME], "skipped": []}]
    [message] = world.account.notifications()
    assert message.attributes["status"] == Status.REGISTERED.value
    assert message.body["reason"] == FIRST_VERSION_REASON
    summaries = world.account.sagemaker.list_model_packages(ModelPackageGroupName=GROUP)[
        "ModelPackageSummaryList"
    ]
    assert len(summaries) == 1
    assert _reported_tags(world) == [{"Key": contract.TAG_REPORTED_OUTCOME, "Value": "Registered"}]
