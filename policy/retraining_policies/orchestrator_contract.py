"""The orchestration contract: what every part of a retraining stack must agree on, said once.

Everything that starts a job, reports on it or checks it reads these facts from here:
- the policy pack, which owns this file: the pack is published (`pulumi policy publish` uploads
  policy/ alone) and run from its own folder, so it holds its own files, none of them a link to
  the rest of the repository, and the others link to it, as with the schedule grammar. The pack
  reads the orchestrator's environment variable names from it (`training/specs.py`,
  `notifications/queue_routes.py`, `notifications/notifications_required.py`);
- the Lambda function code: `retraining_stack/lambda_function/contract.py` is a symlink to this
  file and the function's zip holds its content (`lambda_function.ARCHIVE_FILES`), so this
  module is standard library only;
- the retraining stack (environment variables it sets, the state machine's `States.Format`);
- `retraining_shared.orchestrator_contract`, another symlink to this file, for the shared
  library (`naming.training_job_name`) and the tools.

One message per outcome
-----------------------
Each scheduled occurrence ends in exactly one message to the team topic, with one of the
`OutcomeStatus` values; the message body is the JSON object `outcome_message(...)` builds (the
state machine builds the same keys with intrinsic functions), and the SNS message attributes
`MESSAGE_ATTRIBUTE_*` carry status, team, model and environment so that subscribers can filter.
Alarms are not outcomes: they report the platform's health and say so (`PLATFORM_HEALTH_PREFIX`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

# --- The training job name: prefix + the scheduled minute in UTC --------------------------------

# The name is the idempotency key of CreateTrainingJob (it has no client token): every delivery of
# one occurrence asks for the same name and SageMaker answers ResourceInUse to all but the first.
OCCURRENCE_NAME_FORMAT: Final = "%Y%m%d%H%M"
OCCURRENCE_NAME_LENGTH: Final = 12
# How the occurrence is written in the `scheduled-occurrence` tag and in messages.
OCCURRENCE_TEXT_FORMAT: Final = "%Y-%m-%dT%H:%M:00Z"
MAX_JOB_NAME_LENGTH: Final = 63  # CreateTrainingJob API reference, TrainingJobName
MAX_JOB_NAME_PREFIX_LENGTH: Final = MAX_JOB_NAME_LENGTH - OCCURRENCE_NAME_LENGTH


def occurrence_stamp(occurrence: dt.datetime) -> str:
    """`YYYYMMDDHHMM` of an aware datetime, in UTC (seconds dropped)."""
    if occurrence.tzinfo is None or occurrence.utcoffset() is None:
        raise ValueError(
            f"scheduled occurrence {occurrence.isoformat()} has no time zone; an aware datetime "
            "is required (guessing the zone could start a job twice)"
        )
    return occurrence.astimezone(dt.UTC).strftime(OCCURRENCE_NAME_FORMAT)


def occurrence_text(occurrence: dt.datetime) -> str:
    """The occurrence as written in the `scheduled-occurrence` tag and in messages."""
    occurrence_stamp(occurrence)  # the same aware-datetime check
    return occurrence.astimezone(dt.UTC).strftime(OCCURRENCE_TEXT_FORMAT)


def training_job_name(job_name_prefix: str, occurrence: dt.datetime) -> str:
    """`<team>-<env>-<model>-` + `YYYYMMDDHHMM`: the one job name of one scheduled occurrence."""
    return job_name_prefix + occurrence_stamp(occurrence)


def occurrence_text_of_job_name(job_name: str) -> str:
    """The occurrence a job name was derived from, as `occurrence_text` writes it ("" when the
    name does not end in a `YYYYMMDDHHMM` stamp)."""
    stamp = job_name[-OCCURRENCE_NAME_LENGTH:]
    if len(stamp) != OCCURRENCE_NAME_LENGTH or not stamp.isdigit():
        return ""
    try:
        occurrence = dt.datetime.strptime(stamp, OCCURRENCE_NAME_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        return ""
    return occurrence_text(occurrence)


# --- Environment variables of the Lambda function ----------------------------------------------

ENV_TRAINING_SPEC: Final = "TRAINING_SPEC"
ENV_JOB_NAME_PREFIX: Final = "TRAINING_JOB_NAME_PREFIX"
ENV_TOPIC_ARN: Final = "NOTIFICATION_TOPIC_ARN"
ENV_TEAM: Final = "RETRAINING_TEAM"
ENV_MODEL: Final = "RETRAINING_MODEL"
ENV_ENVIRONMENT: Final = "RETRAINING_ENVIRONMENT"
# Values the provider computes (unknown during a preview of a new stack) travel in their own
# variables so that TRAINING_SPEC stays known at preview for the policy pack.
ENV_SUBNET_IDS: Final = "TRAINING_SUBNET_IDS"  # comma-separated
ENV_SECURITY_GROUP_IDS: Final = "TRAINING_SECURITY_GROUP_IDS"  # comma-separated
ENV_OUTPUT_KMS_KEY: Final = "TRAINING_KMS_KEY_ARN"  # -> OutputDataConfig.KmsKeyId
ENV_VOLUME_KMS_KEY: Final = "TRAINING_VOLUME_KMS_KEY_ARN"  # -> ResourceConfig.VolumeKmsKeyId

# Tags the orchestrator owns on every job; a training spec that sets them itself is rejected.
TAG_JOB_NAME_PREFIX: Final = "training-job-name-prefix"
TAG_SCHEDULED_OCCURRENCE: Final = "scheduled-occurrence"
# Lambda mode: the outcome already reported for a job (AddTags after the message), so a
# job-state event redelivered after the FIFO queue's 5-minute deduplication window is skipped.
TAG_REPORTED_OUTCOME: Final = "retraining-reported-outcome"
# Step Functions mode: the execution that created the job (`$$.Execution.Id`, the execution ARN,
# at most 80 + 80 characters of state machine and execution name plus ~80 of the rest, within
# SageMaker's 256-character tag value). A retried create that answers ResourceInUse reads it back
# (ListTags) to tell its own job, created by an attempt whose answer was an error, from a
# redelivery's.
TAG_ORCHESTRATOR_EXECUTION: Final = "retraining-execution"
ORCHESTRATOR_TAG_KEYS: Final = frozenset(
    {
        TAG_JOB_NAME_PREFIX,
        TAG_SCHEDULED_OCCURRENCE,
        TAG_REPORTED_OUTCOME,
        TAG_ORCHESTRATOR_EXECUTION,
    }
)

# Lambda mode: the job-state rule's InputTransformer renders each SageMaker "Training Job State
# Change" event into this JSON body (no event id or time, so EventBridge's duplicate events
# render the same body and the FIFO queue's content-based deduplication drops them).
REPORT_KEYS: Final = (
    "trainingJobName",
    "trainingJobArn",
    "status",
    "secondaryStatus",
    "failureReason",
)


# --- The one message per outcome ------------------------------------------------------------------


class OutcomeStatus(StrEnum):
    """How one scheduled occurrence ended; exactly one message per occurrence carries one."""

    NOT_STARTED = "NotStarted"  # no job was created; `reason` says why (quota: QUOTA_REASON...)
    COMPLETED = "Completed"  # the job completed (no quality gate configured)
    FAILED = "Failed"  # the job failed; `reason` is SageMaker's FailureReason
    STOPPED = "Stopped"  # the job stopped (by a person, MaxRuntime, MaxWaitTime for spot)
    REGISTERED = "Registered"  # the job completed, passed the quality gate, version registered
    REJECTED = "Rejected"  # the job completed and the quality gate rejected the model


# The reason of a NotStarted outcome caused by an account quota (ResourceLimitExceeded): the
# occurrence is skipped, not retried for hours; the next occurrence tries again.
QUOTA_REASON_PREFIX: Final = "skipped: quota"

# SNS message attributes (DataType String) on every outcome message.
MESSAGE_ATTRIBUTE_STATUS: Final = "status"
MESSAGE_ATTRIBUTE_TEAM: Final = "team"
MESSAGE_ATTRIBUTE_MODEL: Final = "model"
MESSAGE_ATTRIBUTE_ENVIRONMENT: Final = "environment"

# Keys of the JSON message body, in this order.
MESSAGE_KEYS: Final = (
    "subject",
    "status",
    "team",
    "model",
    "environment",
    "scheduledOccurrence",
    "trainingJobName",
    "reason",
    "consoleUrl",
)

# SNS Publish: Subject is at most 100 printable ASCII characters, no line breaks (SNS API
# reference, Publish).
MAX_SUBJECT_LENGTH: Final = 100

# Alarm descriptions start with this: an alarm is about the platform, never a job's outcome.
PLATFORM_HEALTH_PREFIX: Final = "Platform health"

STATUS_WORDS: Final[dict[OutcomeStatus, str]] = {
    OutcomeStatus.NOT_STARTED: "did not start",
    OutcomeStatus.COMPLETED: "completed",
    OutcomeStatus.FAILED: "failed",
    OutcomeStatus.STOPPED: "stopped",
    OutcomeStatus.REGISTERED: "registered a new model version",
    OutcomeStatus.REJECTED: "model rejected by the quality gate",
}

# Where a job can be looked at. Partitions without a public console get no link ("").
CONSOLE_DOMAINS: Final[dict[str, str]] = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}


def console_url(partition: str, region: str, job_name: str) -> str:
    domain = CONSOLE_DOMAINS.get(partition)
    if domain is None or not job_name:
        return ""
    return f"https://{domain}/sagemaker/home?region={region}#/jobs/{job_name}"


def outcome_subject(status: OutcomeStatus, team: str, model: str, environment: str) -> str:
    """`Retraining <team>/<model> (<env>): <status words>`, cut to SNS's 100-character limit."""
    subject = f"Retraining {team}/{model} ({environment}): {STATUS_WORDS[status]}"
    return subject[:MAX_SUBJECT_LENGTH]


def outcome_message(
    *,
    status: OutcomeStatus,
    team: str,
    model: str,
    environment: str,
    scheduled_occurrence: str,
    training_job_name: str,
    reason: str,
    console_link: str,
) -> dict[str, str]:
    """The JSON body of the one message of an outcome (keys in `MESSAGE_KEYS` order)."""
    return {
        "subject": outcome_subject(status, team, model, environment),
        "status": status.value,
        "team": team,
        "model": model,
        "environment": environment,
        "scheduledOccurrence": scheduled_occurrence,
        "trainingJobName": training_job_name,
        "reason": reason,
        "consoleUrl": console_link,
    }


def job_outcome_message(
    *,
    status: OutcomeStatus,
    team: str,
    model: str,
    environment: str,
    training_job_name: str,
    reason: str,
    partition: str,
    region: str,
) -> dict[str, str]:
    """`outcome_message` of a job this contract named: the occurrence read back from the job
    name, the console link from the partition and region ("" where there is none)."""
    return outcome_message(
        status=status,
        team=team,
        model=model,
        environment=environment,
        scheduled_occurrence=occurrence_text_of_job_name(training_job_name),
        training_job_name=training_job_name,
        reason=reason,
        console_link=console_url(partition, region, training_job_name),
    )


def message_attributes(
    status: OutcomeStatus, team: str, model: str, environment: str
) -> dict[str, dict[str, str]]:
    """SNS Publish `MessageAttributes` of an outcome message."""
    return {
        name: {"DataType": "String", "StringValue": value}
        for name, value in (
            (MESSAGE_ATTRIBUTE_STATUS, status.value),
            (MESSAGE_ATTRIBUTE_TEAM, team),
            (MESSAGE_ATTRIBUTE_MODEL, model),
            (MESSAGE_ATTRIBUTE_ENVIRONMENT, environment),
        )
    }


# --- The quality gate and the model registry (issue 12) ------------------------------------------

# Environment variables of the functions that run the gate (`model_gate`): the Lambda
# orchestrator's report path and, with Step Functions, the gate function the state machine invokes.
# No ENV_QUALITY_GATE: no gate, nothing registered, the occurrence ends `Completed`.
ENV_QUALITY_GATE: Final = "RETRAINING_QUALITY_GATE"  # JSON of the keys QUALITY_GATE_KEYS
ENV_MODEL_PACKAGE_GROUP: Final = "MODEL_PACKAGE_GROUP_NAME"

# Keys of the ENV_QUALITY_GATE JSON object (the stack config's `qualityGate`, camelCase).
QUALITY_GATE_KEYS: Final = ("metric", "direction", "threshold", "minImprovement", "approval")
GATE_DIRECTIONS: Final = ("maximize", "minimize")
# `approval` -> the ModelApprovalStatus of a version that passes (CreateModelPackage API
# reference: ModelApprovalStatus is one of Approved | Rejected | PendingManualApproval).
GATE_APPROVAL_STATUS: Final[dict[str, str]] = {
    "manual": "PendingManualApproval",
    "automatic": "Approved",
}

# CustomerMetadataProperties the gate writes on every version it registers (CreateModelPackage
# API reference: 1-50 entries, keys 1-128 and values 1-256 characters of letters, digits, spaces
# and _.:/=+-@). The gate reads the baseline's value back from METADATA_METRIC_VALUE.
METADATA_METRIC_NAME: Final = "quality-gate-metric"
METADATA_METRIC_VALUE: Final = "quality-gate-value"
METADATA_BASELINE_VALUE: Final = "quality-gate-baseline"  # NO_BASELINE for the first version
METADATA_BASELINE_VERSION: Final = "quality-gate-baseline-version"  # NO_BASELINE likewise
METADATA_TRAINING_JOB: Final = "training-job-name"
METADATA_SCHEDULED_OCCURRENCE: Final = "scheduled-occurrence"
NO_BASELINE: Final = "none"
# The error name the Step Functions gate task raises when an AWS call of the gate still fails
# after botocore's retries (`model_gate.GateAwsError`): a Lambda task's error name is the raised
# exception's class name, the runtime's `errorType` ("Handling error conditions using a Step
# Functions state machine", Step Functions developer guide), so the state machine retries it.
GATE_AWS_ERROR: Final = "GateAwsError"

# The gate function the state machine invokes as a Lambda task (`<base>` + this suffix, named by
# `retraining_shared.naming.model_gate_function_name`).
MODEL_GATE_FUNCTION_SUFFIX: Final = "-model-gate"
