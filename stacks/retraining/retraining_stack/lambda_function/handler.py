"""The Lambda orchestrator: one function, two kinds of invocation, one message per occurrence.

1. A schedule event (an EventBridge rule "Scheduled Event", or the Scheduler target input
   `invocation.scheduler_target_input()`) -> `start`: CreateTrainingJob named after the scheduled
   minute. Started -> no message (the job's end is reported by 2.). `ResourceInUse` -> the job of
   this occurrence exists (a redelivery, or botocore's retry after a lost answer): confirmed with
   DescribeTrainingJob, quiet. A transport error or a 5xx on botocore's last attempt may hide a
   created job: DescribeTrainingJob decides (found -> quiet). Anything else (a permanent error,
   the account quota, a transient error still failing after botocore's retries, a malformed
   event or configuration) -> ONE
   `NotStarted` message, and the function returns normally: a raise would make Lambda retry the
   event and repeat the message. Only an unusable topic variable raises (nowhere to report to:
   the Errors alarm and the on-failure queue are then the signal).
2. SQS records from the job-state FIFO queue (the rule's InputTransformer renders each SageMaker
   "Training Job State Change" to `contract.REPORT_KEYS`; content-based deduplication drops
   SageMaker's duplicate events within 5 minutes) -> `report`: ONE outcome message per job, then
   the tag `contract.TAG_REPORTED_OUTCOME` on the job, so a duplicate arriving later is skipped.
   The queue's single message group serializes reports: no two invocations race on one job.
   With a quality gate (`model_gate`, configured through the environment), a `Completed` job's
   one message is the gate's decision instead: `Registered` or `Rejected`.

AWS calls use botocore's `standard` retry mode and bounded timeouts (`CALL_BUDGET`); logs go
through `logging`, rendered as JSON by the runtime (the function's `logging_config`
`log_format = "JSON"`: awslambdaric's JsonFormatter writes each record's `extra` keys as fields).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from . import CALL_BUDGET, contract, model_gate
from .invocation import (
    TOPIC_ARN_PATTERN,
    Configuration,
    InvalidInvocationError,
    Problem,
    create_training_job_request,
    read_configuration,
    scheduled_occurrence,
    validate_topic_arn,
)

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sns import SNSClient

LOGGER: Final = logging.getLogger(__name__)
RESOURCE_IN_USE: Final = "ResourceInUse"
QUOTA_ERROR: Final = "ResourceLimitExceeded"
HTTP_SERVER_ERROR: Final = 500
SQS_EVENT_SOURCE: Final = "aws:sqs"
REPORTED_STATUSES: Final[Mapping[str, contract.OutcomeStatus]] = {
    "Completed": contract.OutcomeStatus.COMPLETED,
    "Failed": contract.OutcomeStatus.FAILED,
    "Stopped": contract.OutcomeStatus.STOPPED,
}


@dataclasses.dataclass(frozen=True)
class Clients:
    sagemaker: SageMakerClient
    sns: SNSClient


# botocore retries throttling, 5xx and transport errors itself (standard mode: exponential
# backoff with jitter, `CALL_BUDGET.max_attempts` attempts in all, the first included: botocore
# Config `total_max_attempts`; "Retry behavior", AWS SDKs and Tools
# reference guide); ResourceLimitExceeded is not among its retryable codes, so a quota error
# fails at once and the occurrence is skipped.
CLIENT_CONFIG: Final = Config(
    retries={"mode": "standard", "total_max_attempts": CALL_BUDGET.max_attempts},
    connect_timeout=CALL_BUDGET.connect_timeout_seconds,
    read_timeout=CALL_BUDGET.read_timeout_seconds,
)


@functools.cache
def default_clients() -> Clients:
    """Reused across warm invocations."""
    return Clients(
        boto3.client("sagemaker", config=CLIENT_CONFIG), boto3.client("sns", config=CLIENT_CONFIG)
    )


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The one message of an occurrence, before it is sent."""

    status: contract.OutcomeStatus
    job_name: str
    reason: str


def publish(clients: Clients, configuration: Configuration, outcome: Outcome) -> None:
    """Publish the outcome message (`contract.outcome_message`, attributes for filtering)."""
    names = (
        configuration.team or "unknown",
        configuration.model or "unknown",
        configuration.environment or "unknown",
    )
    topic = TOPIC_ARN_PATTERN.fullmatch(configuration.topic_arn)
    body = contract.job_outcome_message(
        status=outcome.status,
        team=names[0],
        model=names[1],
        environment=names[2],
        training_job_name=outcome.job_name,
        reason=outcome.reason,
        # No link when the topic ARN does not say where (console_url has none for "").
        partition=topic["partition"] if topic else "",
        region=topic["region"] if topic else "",
    )
    clients.sns.publish(
        TopicArn=configuration.topic_arn,
        Subject=body["subject"],
        Message=json.dumps(body, indent=2),
        MessageAttributes=contract.message_attributes(outcome.status, *names),  # type: ignore[arg-type]
    )
    LOGGER.info(
        "outcome published",
        extra={
            "status": outcome.status.value,
            "trainingJobName": outcome.job_name,
            "reason": outcome.reason,
        },
    )


def _error_text(error: Exception) -> tuple[str, str]:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return str(details.get("Code", "Unknown")), str(details.get("Message", error))
    return type(error).__name__, str(error)


def _job_exists(sagemaker: SageMakerClient, job_name: str) -> bool | None:
    """True when DescribeTrainingJob finds the job, False when it says there is none, None when
    it cannot tell."""
    try:
        described = sagemaker.describe_training_job(TrainingJobName=job_name)
    except ClientError as error:
        if _error_text(error)[0] == "ValidationException":  # "Requested resource not found"
            return False
        LOGGER.warning("DescribeTrainingJob failed", extra={"error": _error_text(error)})
        return None
    except BotoCoreError as error:
        LOGGER.warning("DescribeTrainingJob failed", extra={"error": _error_text(error)})
        return None
    LOGGER.info(
        "training job exists",
        extra={"trainingJobName": job_name, "trainingJobStatus": described["TrainingJobStatus"]},
    )
    return True


def _may_have_created(error: ClientError | BotoCoreError) -> bool:
    """Whether CreateTrainingJob may have created the job although its last attempt failed: a
    transport error (the answer lost), or a 5xx, which botocore's standard mode retries
    (botocore/retries/standard.py, `_TRANSIENT_STATUS_CODES` 500/502/503/504) but which the
    service may answer after acting on the request. A 4xx is the service refusing the request."""
    if not isinstance(error, ClientError):
        return True
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status >= HTTP_SERVER_ERROR


def _reason_not_started(error: Exception) -> str:
    code, message = _error_text(error)
    if code == QUOTA_ERROR:
        # The occurrence is skipped: capacity frees in hours, the next occurrence tries again.
        return f"{contract.QUOTA_REASON_PREFIX} ({code}): {message}"
    return f"CreateTrainingJob failed: {code}: {message}"


def start(event: object, configuration: Configuration, clients: Clients) -> dict[str, str]:
    """Start the job of the event's scheduled occurrence; at most one NotStarted message."""
    occurrence, event_problems = scheduled_occurrence(event)
    problems: list[Problem] = configuration.problems + event_problems
    job_name = ""
    if occurrence is not None and not any(
        p.field == contract.ENV_JOB_NAME_PREFIX for p in problems
    ):
        job_name = contract.training_job_name(configuration.job_name_prefix, occurrence)
    if problems or occurrence is None:
        LOGGER.error(
            "invalid invocation; no job started", extra={"problems": [str(p) for p in problems]}
        )
        reason = "invalid invocation: " + "; ".join(str(problem) for problem in problems)
        return _not_started(
            clients, configuration, Outcome(contract.OutcomeStatus.NOT_STARTED, job_name, reason)
        )
    request = create_training_job_request(configuration, occurrence)
    try:
        created = clients.sagemaker.create_training_job(**request)
    except ParamValidationError as error:  # botocore's own check of the request shape; not sent
        return _not_started(
            clients,
            configuration,
            Outcome(
                contract.OutcomeStatus.NOT_STARTED, job_name, f"invalid training spec: {error}"
            ),
        )
    except (ClientError, BotoCoreError) as error:
        if _error_text(error)[0] == RESOURCE_IN_USE:
            # The name is taken: this occurrence's job exists, whoever created it; its end is
            # reported by the job-state path. Describe only confirms it for the log.
            _job_exists(clients.sagemaker, job_name)
            return {"outcome": "AlreadyStarted", "trainingJobName": job_name}
        if _may_have_created(error) and _job_exists(clients.sagemaker, job_name):
            # The job of this occurrence exists: the job-state route reports its end.
            return {"outcome": "AlreadyStarted", "trainingJobName": job_name}
        LOGGER.error(
            "training job not started",
            extra={"trainingJobName": job_name, "error": _error_text(error)},
        )
        return _not_started(
            clients,
            configuration,
            Outcome(contract.OutcomeStatus.NOT_STARTED, job_name, _reason_not_started(error)),
        )
    LOGGER.info(
        "training job started",
        extra={"trainingJobName": job_name, "trainingJobArn": created["TrainingJobArn"]},
    )
    return {"outcome": "Started", "trainingJobName": job_name}


def _not_started(
    clients: Clients, configuration: Configuration, outcome: Outcome
) -> dict[str, str]:
    publish(clients, configuration, outcome)
    return {
        "outcome": outcome.status.value,
        "trainingJobName": outcome.job_name,
        "reason": outcome.reason,
    }


@dataclasses.dataclass(frozen=True)
class JobReport:
    """One job-state record, as the rule's InputTransformer rendered it (`contract.REPORT_KEYS`)."""

    job_name: str
    job_arn: str
    status: str
    secondary_status: str
    failure_reason: str


def parse_report(body: str, job_name_prefix: str) -> JobReport:
    """The record body, checked: a job of this stack in a reported status."""
    try:
        fields = json.loads(body)
    except json.JSONDecodeError as error:
        raise InvalidInvocationError(
            [Problem("record.body", body[:80], f"JSON ({error.msg})")]
        ) from error
    problems = (
        []
        if isinstance(fields, dict) and set(fields) == set(contract.REPORT_KEYS)
        else [Problem("record.body", fields, f"an object with keys {list(contract.REPORT_KEYS)}")]
    )
    if not problems and (
        not isinstance(fields["trainingJobName"], str)
        or not fields["trainingJobName"].startswith(job_name_prefix)
    ):
        problems.append(
            Problem(
                "record.body.trainingJobName",
                fields["trainingJobName"],
                f"a job of this stack ({job_name_prefix}...)",
            )
        )
    if not problems and fields["status"] not in REPORTED_STATUSES:
        problems.append(
            Problem("record.body.status", fields["status"], f"one of {list(REPORTED_STATUSES)}")
        )
    if problems:
        raise InvalidInvocationError(problems)
    # The failure reason is the only element of a list: EventBridge omits a missing path's
    # variable (Completed and Stopped events have no FailureReason), so `[]` is valid JSON.
    reasons = [str(reason) for reason in fields["failureReason"] or [] if reason]
    return JobReport(
        fields["trainingJobName"],
        str(fields["trainingJobArn"]),
        fields["status"],
        str(fields["secondaryStatus"] or ""),
        "; ".join(reasons),
    )


def outcome_of(report: JobReport, clients: Clients, environ: Mapping[str, str]) -> Outcome:
    """The outcome a job-state report announces. With a quality gate configured, a Completed
    job's outcome is the gate's decision (`Registered` / `Rejected`, `model_gate.run_gate`)
    instead of `Completed`: still one message."""
    status = REPORTED_STATUSES[report.status]
    if status is contract.OutcomeStatus.FAILED:
        return Outcome(status, report.job_name, report.failure_reason)
    if status is contract.OutcomeStatus.STOPPED:
        return Outcome(status, report.job_name, report.secondary_status)
    gated = model_gate.run_gate(report.job_name, environ, clients.sagemaker)
    if gated is None:  # no gate configured
        return Outcome(status, report.job_name, "")
    return Outcome(gated.status, report.job_name, gated.reason)


def report(
    records: list[Mapping[str, Any]],
    configuration: Configuration,
    clients: Clients,
    environ: Mapping[str, str],
) -> dict[str, list[str]]:
    """Publish the outcome of each job-state record once; raise (the record is retried, then
    dead-lettered) if a record is malformed, the quality gate's AWS calls fail (`run_gate`), or
    the message cannot be published: nothing was published and no tag written, so the retry
    still sends the one message."""
    reported, skipped = [], []
    for record in records:
        job = parse_report(str(record.get("body", "")), configuration.job_name_prefix)
        tags = clients.sagemaker.list_tags(ResourceArn=job.job_arn).get("Tags", [])
        if any(tag["Key"] == contract.TAG_REPORTED_OUTCOME for tag in tags):
            LOGGER.info(
                "outcome already reported; duplicate event skipped",
                extra={"trainingJobName": job.job_name},
            )
            skipped.append(job.job_name)
            continue
        outcome = outcome_of(job, clients, environ)
        publish(clients, configuration, outcome)
        reported.append(job.job_name)
        try:
            clients.sagemaker.add_tags(
                ResourceArn=job.job_arn,
                Tags=[{"Key": contract.TAG_REPORTED_OUTCOME, "Value": outcome.status.value}],
            )
        except (ClientError, BotoCoreError) as error:
            # The message is out; a retry would repeat it. Only a duplicate event arriving after
            # the 5-minute deduplication window could now be reported twice.
            LOGGER.error(
                "reported-outcome tag not written",
                extra={"trainingJobName": job.job_name, "error": _error_text(error)},
            )
    return {"reported": reported, "skipped": skipped}


class LambdaContext(Protocol):
    aws_request_id: str


def is_job_state_batch(event: object) -> bool:
    records = event.get("Records") if isinstance(event, dict) else None
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(r, dict) and r.get("eventSource") == SQS_EVENT_SOURCE for r in records)
    )


def run(
    event: object, environ: Mapping[str, str], clients: Clients | None = None
) -> dict[str, Any]:
    """Dispatch on the event's shape (see the module docstring)."""
    configuration = read_configuration(environ)
    if validate_topic_arn(environ.get(contract.ENV_TOPIC_ARN)):
        LOGGER.error(
            "no usable topic to report to",
            extra={"problems": [str(p) for p in configuration.problems]},
        )
        raise InvalidInvocationError(configuration.problems)
    clients = clients or default_clients()
    if is_job_state_batch(event):
        assert isinstance(event, dict)  # noqa: S101 - narrowed by is_job_state_batch
        return report(event["Records"], configuration, clients, environ)
    return start(event, configuration, clients)


def handler(event: object, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point (`lambda_function.handler.handler`)."""
    return run(event, os.environ)
