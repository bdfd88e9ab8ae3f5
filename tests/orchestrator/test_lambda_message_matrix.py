"""The message-count matrix, Lambda rows, end to end under moto: each outcome of a scheduled
occurrence reaches the team topic's SQS subscriber as exactly one message.

Each scenario drives what AWS would: the schedule's deliveries of the occurrence to the function,
SageMaker's state-change events through the job-state route (InputTransformer -> FIFO queue with
content-based deduplication -> one record per invocation). Then the inbox is counted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from orchestrator_fakes import (
    AwsLikeSageMaker,
    resource_limit_exceeded,
    throttling,
    validation_error,
)
from orchestrator_support import (
    JOB_NAME_PREFIX,
    LambdaAccount,
    contract,
    job_state_change,
    scheduled_event,
    scheduler_invocation,
)
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
