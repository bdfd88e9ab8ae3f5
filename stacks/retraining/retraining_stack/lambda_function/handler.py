"""Lambda orchestrator: start exactly one SageMaker training job per scheduled occurrence.

This file is the whole function code (the stack zips it alone), so it depends on the Python
standard library and on boto3/botocore from the Lambda runtime only. boto3 and botocore are imported
lazily, inside the functions that call AWS, so that the Pulumi program (whose virtualenv has no
boto3) can import the constants and validators below.

Invocations accepted
--------------------
1. An EventBridge rule "Scheduled Event", delivered as is::

       {"source": "aws.events", "detail-type": "Scheduled Event",
        "time": "2026-11-26T06:00:00Z", "resources": ["arn:aws:events:...:rule/<name>"], ...}

2. An EventBridge Scheduler invocation whose target `Input` is `scheduler_target_input()`::

       {"source": "aws.scheduler", "scheduledTime": "<aws.scheduler.scheduled-time>",
        "scheduleArn": "<aws.scheduler.schedule-arn>",
        "executionId": "<aws.scheduler.execution-id>",
        "attemptNumber": "<aws.scheduler.attempt-number>"}

   `source` and `scheduledTime` are required; the other keys are optional context for logs and
   notifications. Scheduler substitutes the `<aws.scheduler.*>` keywords at invocation time.

Configuration (environment variables)
-------------------------------------
- `TRAINING_SPEC`: the CreateTrainingJob request as JSON, without TrainingJobName.
- `TRAINING_JOB_NAME_PREFIX`: `<team>-<env>-<model>-`.
- `NOTIFICATION_TOPIC_ARN`: the team topic (standard, not FIFO).
- Values the provider computes and a preview cannot know (kept out of TRAINING_SPEC so the policy
  pack can read the spec at preview), merged into the request here:
  `TRAINING_SUBNET_IDS` + `TRAINING_SECURITY_GROUP_IDS` (comma-separated) -> VpcConfig,
  `TRAINING_KMS_KEY_ARN` -> OutputDataConfig.KmsKeyId,
  `TRAINING_VOLUME_KMS_KEY_ARN` (optional) -> ResourceConfig.VolumeKmsKeyId.
  Setting one of these and the same field in TRAINING_SPEC is an error (one source of truth).
  VpcConfig and OutputDataConfig.KmsKeyId are required, from here or from TRAINING_SPEC: the
  orchestrator role allows CreateTrainingJob only with both (IAM `Null` conditions), so a
  configuration without them is an `InvalidInvocationError`, not an AccessDenied from AWS.

Idempotency
-----------
CreateTrainingJob has no client token: the job name is the idempotency key. The name is
`TRAINING_JOB_NAME_PREFIX` + `YYYYMMDDHHMM` of the scheduled occurrence in UTC (seconds dropped), so
a redelivered event, a Lambda async retry or a Scheduler retry of the same occurrence all ask for
the same name. When SageMaker answers `ResourceInUse` for it, the handler confirms the job with
DescribeTrainingJob and reports outcome "already_started" without publishing a second "started"
message: the invocation that created the job already announced it. Exception: if one of this
invocation's own earlier attempts ended without a definite answer (read timeout, connection reset,
5xx), the job is most likely this invocation's, so the "started" message is published, labelled
`"confirmation": "describe-after-ambiguous-response"`.

Failures
--------
- Malformed event or environment: `InvalidInvocationError` listing every problem (field, value,
  what is expected); nothing is called on AWS.
- Throttling, ResourceLimitExceeded, 5xx and transport errors are retried with exponential backoff
  and full jitter (`RetryPolicy`), bounded by attempts and by the Lambda's remaining time.
- Anything else, or retries exhausted: a "retraining failed to start" message is published, then
  `TrainingJobStartError` is raised so the function's Errors alarm and on-failure destination fire.
- The job started but the "started" message could not be published: `NotificationPublishError` is
  raised (the Errors alarm fires; a Lambda retry of the event then finds the job and stays quiet).

Logs are one JSON object per line on stdout, each with the request id and, once known, the job name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import os
import random
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, TextIO, TypeVar

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sns import SNSClient

# --- The contract with the stack -----------------------------------------------------------------

HANDLER_ENTRYPOINT: Final = "handler.handler"
ENV_TRAINING_SPEC: Final = "TRAINING_SPEC"
ENV_JOB_NAME_PREFIX: Final = "TRAINING_JOB_NAME_PREFIX"
ENV_TOPIC_ARN: Final = "NOTIFICATION_TOPIC_ARN"
# Values the provider computes (unknown during a preview of a new stack) travel in their own
# variables so that TRAINING_SPEC stays known at preview for the policy pack; the handler merges
# them into the request. An empty value counts as unset. The network and the output key are
# required (here or in TRAINING_SPEC): the orchestrator role denies a job without them. The
# volume key is optional (instance types with local NVMe storage must not set it).
ENV_SUBNET_IDS: Final = "TRAINING_SUBNET_IDS"  # comma-separated, with the security groups
ENV_SECURITY_GROUP_IDS: Final = "TRAINING_SECURITY_GROUP_IDS"  # comma-separated
ENV_OUTPUT_KMS_KEY: Final = "TRAINING_KMS_KEY_ARN"  # -> OutputDataConfig.KmsKeyId
ENV_VOLUME_KMS_KEY: Final = "TRAINING_VOLUME_KMS_KEY_ARN"  # -> ResourceConfig.VolumeKmsKeyId

EVENTBRIDGE_RULE_SOURCE: Final = "aws.events"
EVENTBRIDGE_RULE_DETAIL_TYPE: Final = "Scheduled Event"
SCHEDULER_SOURCE: Final = "aws.scheduler"
SCHEDULER_TARGET_INPUT: Final[Mapping[str, str]] = {
    "source": SCHEDULER_SOURCE,
    "scheduledTime": "<aws.scheduler.scheduled-time>",
    "scheduleArn": "<aws.scheduler.schedule-arn>",
    "executionId": "<aws.scheduler.execution-id>",
    "attemptNumber": "<aws.scheduler.attempt-number>",
}

# Tags the orchestrator owns; a training spec that sets them itself is rejected.
TAG_JOB_NAME_PREFIX: Final = "training-job-name-prefix"
TAG_SCHEDULED_OCCURRENCE: Final = "scheduled-occurrence"
ORCHESTRATOR_TAG_KEYS: Final = frozenset({TAG_JOB_NAME_PREFIX, TAG_SCHEDULED_OCCURRENCE})

# SageMaker's own limits (CreateTrainingJob API reference).
JOB_NAME_PATTERN: Final = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
MAX_JOB_NAME_LENGTH: Final = 63
MAX_TAGS_PER_RESOURCE: Final = 50
OCCURRENCE_NAME_FORMAT: Final = "%Y%m%d%H%M"
OCCURRENCE_NAME_LENGTH: Final = 12
MAX_JOB_NAME_PREFIX_LENGTH: Final = MAX_JOB_NAME_LENGTH - OCCURRENCE_NAME_LENGTH

# The prefix is `<team>-<env>-<model>-`: it must end with "-" so that IAM scoping on
# `training-job/<prefix>*` can never match another model's jobs.
JOB_NAME_PREFIX_PATTERN: Final = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*-$")
ROLE_ARN_PATTERN: Final = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::\d{12}:role/[\w+=,.@/-]{1,512}$"
)
# Standard topics only: publishing to a FIFO topic needs a MessageGroupId this handler never sets.
TOPIC_ARN_PATTERN: Final = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sns:(?P<region>[a-z]{2}(-[a-z]+)+-\d):\d{12}:[A-Za-z0-9_-]{1,256}$"
)
SUBNET_ID_PATTERN: Final = re.compile(r"^subnet-[0-9a-f]{8,17}$")
SECURITY_GROUP_ID_PATTERN: Final = re.compile(r"^sg-[0-9a-f]{8,17}$")
MAX_SUBNETS: Final = 16  # CreateTrainingJob VpcConfig limits
MAX_SECURITY_GROUPS: Final = 5
KMS_KEY_PATTERN: Final = re.compile(
    r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+"
    r"|alias/[A-Za-z0-9/_-]+|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)
REQUIRED_SPEC_KEYS: Final[Mapping[str, str]] = {
    "AlgorithmSpecification": (
        "an object with TrainingImage or AlgorithmName, and TrainingInputMode"
    ),
    "RoleArn": "the SageMaker execution role ARN, arn:<partition>:iam::<account>:role/<name>",
    "OutputDataConfig": "an object with S3OutputPath (s3://bucket/prefix)",
    "ResourceConfig": "an object with InstanceType, InstanceCount and VolumeSizeInGB",
    "StoppingCondition": "an object with MaxRuntimeInSeconds",
}

# Where a job can be looked at. Partitions without a public console get no link.
CONSOLE_DOMAINS: Final[Mapping[str, str]] = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}

EVENT_STARTED: Final = "RetrainingStarted"
EVENT_START_FAILED: Final = "RetrainingStartFailed"

# Error codes worth another attempt: throttling (each service spells it its own way), SageMaker's
# instance quota (frees up when a running job ends) and the documented transient server errors.
RETRYABLE_ERROR_CODES: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "Throttled",  # SNS
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "KMSThrottling",  # SNS publishing to a KMS-encrypted topic
        "ResourceLimitExceeded",  # SageMaker instance/job quota
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
RESOURCE_IN_USE: Final = "ResourceInUse"

# Per-call network budget. CreateTrainingJob, DescribeTrainingJob and Publish answer in well under a
# second; a call that takes longer than this is retried rather than waited on.
CONNECT_TIMEOUT_SECONDS: Final = 3
READ_TIMEOUT_SECONDS: Final = 10
# Stop retrying when less than this is left before the Lambda timeout, so the failure message can
# still be published and the error raised before the runtime kills the invocation.
FINAL_REPORT_RESERVE_SECONDS: Final = 2 * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS)


def scheduler_target_input() -> str:
    """The EventBridge Scheduler target `Input` this handler understands (a JSON string)."""
    return json.dumps(dict(SCHEDULER_TARGET_INPUT), sort_keys=True)


# --- Errors --------------------------------------------------------------------------------------


class _Missing:
    """Marks a value that is absent (as opposed to present and null)."""

    def __repr__(self) -> str:
        return "missing"


MISSING: Final = _Missing()


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with an invocation: where, what was found, what is expected."""

    field: str
    value: object
    expected: str

    def __str__(self) -> str:
        found = repr(self.value)
        if len(found) > 120:
            found = found[:117] + "..."
        return f"{self.field}: expected {self.expected}; got {found}"


@dataclasses.dataclass(frozen=True)
class ApiModelProblem(Problem):
    """A problem found by botocore's validator, which words the whole finding itself."""

    def __str__(self) -> str:
        return f"{self.field}: {self.value}"


class OrchestratorError(Exception):
    """Base class of every error this handler raises on purpose."""


class InvalidInvocationError(OrchestratorError, ValueError):
    """The event or the function's configuration is malformed; nothing was called on AWS."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"refusing to start a training job: {len(self.problems)} problem(s) in the invocation "
            f"(nothing was called on AWS):\n{lines}"
        )


class _CallFailedError(OrchestratorError, RuntimeError):
    """An AWS call failed for good (not retryable, or retries exhausted)."""

    outcome = "{job_name}: the call failed"

    def __init__(self, job_name: str, error_code: str, attempts: int, detail: str) -> None:
        self.job_name = job_name
        self.error_code = error_code
        self.attempts = attempts
        super().__init__(
            f"{self.outcome.format(job_name=job_name)} after {attempts} attempt(s): "
            f"{error_code}: {detail}"
        )


class TrainingJobStartError(_CallFailedError):
    """CreateTrainingJob failed for good (not retryable, or retries exhausted)."""

    outcome = "training job {job_name} was not started"


class NotificationPublishError(_CallFailedError):
    """The job started but the "retraining started" message could not be published."""

    outcome = "training job {job_name} started, but the notification could not be published"


# --- Configuration and event validation (standard library only) ----------------------------------


def validate_job_name_prefix(prefix: object, field: str = ENV_JOB_NAME_PREFIX) -> list[Problem]:
    """Problems with a training job name prefix (empty when it is usable)."""
    if not isinstance(prefix, str) or not JOB_NAME_PREFIX_PATTERN.fullmatch(prefix):
        return [
            Problem(
                field,
                prefix,
                "letters, digits and hyphens, starting with a letter or digit and ending with '-' "
                "(e.g. 'fraud-dev-scoring-')",
            )
        ]
    if len(prefix) > MAX_JOB_NAME_PREFIX_LENGTH:
        return [
            Problem(
                field,
                prefix,
                f"at most {MAX_JOB_NAME_PREFIX_LENGTH} characters, so that prefix + YYYYMMDDHHMM "
                f"fits SageMaker's {MAX_JOB_NAME_LENGTH}-character job name limit "
                f"(got {len(prefix)})",
            )
        ]
    return []


def validate_topic_arn(topic_arn: object, field: str = ENV_TOPIC_ARN) -> list[Problem]:
    """Problems with the notification topic ARN (empty when it is usable)."""
    if isinstance(topic_arn, str) and TOPIC_ARN_PATTERN.fullmatch(topic_arn):
        return []
    return [
        Problem(
            field,
            topic_arn,
            "a standard (non-FIFO) SNS topic ARN, arn:<partition>:sns:<region>:<account>:<name>",
        )
    ]


def _validate_tags(tags: object, field: str) -> list[Problem]:
    if not isinstance(tags, list):
        return [Problem(field, tags, 'a list of {"Key": str, "Value": str} objects')]
    problems: list[Problem] = []
    for index, tag in enumerate(tags):
        where = f"{field}[{index}]"
        if (
            not isinstance(tag, dict)
            or set(tag) != {"Key", "Value"}
            or not isinstance(tag["Key"], str)
            or not isinstance(tag["Value"], str)
        ):
            problems.append(Problem(where, tag, 'an object {"Key": str, "Value": str}'))
        elif tag["Key"] in ORCHESTRATOR_TAG_KEYS:
            problems.append(
                Problem(
                    f"{where}.Key",
                    tag["Key"],
                    f"a key other than {sorted(ORCHESTRATOR_TAG_KEYS)} "
                    "(the orchestrator sets those itself)",
                )
            )
    limit = MAX_TAGS_PER_RESOURCE - len(ORCHESTRATOR_TAG_KEYS)
    if len(tags) > limit:
        problems.append(
            Problem(
                field,
                f"{len(tags)} tags",
                f"at most {limit} tags (SageMaker allows {MAX_TAGS_PER_RESOURCE}; "
                f"the orchestrator adds {len(ORCHESTRATOR_TAG_KEYS)})",
            )
        )
    return problems


def validate_training_spec(spec: object, field: str = ENV_TRAINING_SPEC) -> list[Problem]:
    """Structural problems with a training spec (the CreateTrainingJob request minus its name).

    Deliberately shallow: the exact request shape is checked against the SageMaker API model by
    botocore in the handler (`_validate_request_against_api_model`), and the stack validates its
    own config. This catches what would otherwise surface as a confusing API error.
    """
    if not isinstance(spec, dict):
        return [Problem(field, spec, "a JSON object in the CreateTrainingJob request shape")]
    problems: list[Problem] = []
    if "TrainingJobName" in spec:
        problems.append(
            Problem(
                f"{field}.TrainingJobName",
                spec["TrainingJobName"],
                "no TrainingJobName (the orchestrator derives it from the scheduled occurrence)",
            )
        )
    for key, expected in REQUIRED_SPEC_KEYS.items():
        value = spec.get(key, MISSING)
        if key == "RoleArn":
            if not isinstance(value, str) or not ROLE_ARN_PATTERN.fullmatch(value):
                problems.append(Problem(f"{field}.{key}", value, expected))
        elif not isinstance(value, dict):
            problems.append(Problem(f"{field}.{key}", value, expected))
    if "Tags" in spec:
        problems.extend(_validate_tags(spec["Tags"], f"{field}.Tags"))
    return problems


def job_name_for(prefix: str, occurrence: dt.datetime) -> str:
    """The deterministic job name of one scheduled occurrence (UTC, minute precision)."""
    name = prefix + occurrence.astimezone(dt.UTC).strftime(OCCURRENCE_NAME_FORMAT)
    if len(name) > MAX_JOB_NAME_LENGTH or not JOB_NAME_PATTERN.fullmatch(name):
        # Unreachable for a prefix that passed validate_job_name_prefix; kept as a guard because
        # a wrong name here would silently break idempotency and IAM scoping.
        raise ValueError(f"derived job name {name!r} is not a valid SageMaker training job name")
    return name


def occurrence_tag_value(occurrence: dt.datetime) -> str:
    """The scheduled occurrence as written in the `scheduled-occurrence` tag and messages."""
    return occurrence.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:00Z")


@dataclasses.dataclass(frozen=True)
class OrchestratorConfig:
    training_spec: Mapping[str, Any]
    job_name_prefix: str
    topic_arn: str


@dataclasses.dataclass(frozen=True)
class ScheduledOccurrence:
    """The occurrence an invocation is for, floored to the minute, in UTC."""

    time: dt.datetime
    source: str
    trigger_arn: str | None
    delivery: Mapping[str, str]


def _configuration_problems(
    environ: Mapping[str, str],
) -> tuple[list[Problem], OrchestratorConfig | None]:
    problems: list[Problem] = []
    prefix = environ.get(ENV_JOB_NAME_PREFIX, MISSING)
    topic_arn = environ.get(ENV_TOPIC_ARN, MISSING)
    problems.extend(validate_job_name_prefix(prefix))
    problems.extend(validate_topic_arn(topic_arn))
    raw_spec = environ.get(ENV_TRAINING_SPEC, MISSING)
    spec: object = MISSING
    if isinstance(raw_spec, str):
        try:
            spec = json.loads(raw_spec)
        except json.JSONDecodeError as error:
            problems.append(
                Problem(
                    ENV_TRAINING_SPEC,
                    raw_spec,
                    f"valid JSON (parse error at line {error.lineno} column {error.colno}: "
                    f"{error.msg})",
                )
            )
    if spec is not MISSING or not isinstance(raw_spec, str):
        problems.extend(validate_training_spec(spec))
    if isinstance(spec, dict) and not problems:
        problems.extend(_merge_provider_values(spec, environ))
    if (
        problems
        or not isinstance(spec, dict)
        or not isinstance(prefix, str)
        or not isinstance(topic_arn, str)
    ):
        return problems, None
    return [], OrchestratorConfig(spec, prefix, topic_arn)


def _id_list(
    environ: Mapping[str, str], name: str, pattern: re.Pattern[str], limit: int, example: str
) -> tuple[list[str], list[Problem]]:
    raw = environ.get(name, "")
    if not raw:
        return [], []
    ids = [item.strip() for item in raw.split(",")]
    if len(ids) > limit or not all(pattern.fullmatch(item) for item in ids):
        return [], [Problem(name, raw, f"1 to {limit} comma-separated ids like {example}")]
    return ids, []


# The orchestrator roles allow CreateTrainingJob only when the request carries a VpcConfig and an
# output KMS key (IAM `Null` conditions in retraining_shared.iam.TRAINING_JOB_GUARDRAILS). A
# configuration without them is rejected here, naming what is missing, instead of letting AWS
# answer AccessDenied after retries and a failure message.
NEEDS_TRAINING_NETWORK: Final = (
    "subnet and security group ids (or a VpcConfig in TRAINING_SPEC): the orchestrator role allows "
    "CreateTrainingJob only inside the training network (IAM conditions sagemaker:VpcSubnets and "
    "sagemaker:VpcSecurityGroupIds must be present)"
)
NEEDS_OUTPUT_KMS_KEY: Final = (
    "a KMS key ARN, key id, alias ARN or alias name (or OutputDataConfig.KmsKeyId in "
    "TRAINING_SPEC): the orchestrator role allows CreateTrainingJob only with encrypted output "
    "(IAM condition sagemaker:OutputKmsKeyArn must be present)"
)


def _is_vpc_config(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(value.get(key), list) and value[key] for key in ("Subnets", "SecurityGroupIds")
    )


def _merge_provider_values(spec: dict[str, Any], environ: Mapping[str, str]) -> list[Problem]:
    """Merge the TRAINING_* provider values into `spec` (in place); problems when they clash or
    when the request would lack the VpcConfig or output KMS key the orchestrator role requires."""
    subnets, problems = _id_list(
        environ, ENV_SUBNET_IDS, SUBNET_ID_PATTERN, MAX_SUBNETS, "subnet-0abc1234def567890"
    )
    groups, group_problems = _id_list(
        environ,
        ENV_SECURITY_GROUP_IDS,
        SECURITY_GROUP_ID_PATTERN,
        MAX_SECURITY_GROUPS,
        "sg-0abc1234def567890",
    )
    problems.extend(group_problems)
    network_variables = f"{ENV_SUBNET_IDS}/{ENV_SECURITY_GROUP_IDS}"
    network_values = {
        ENV_SUBNET_IDS: environ.get(ENV_SUBNET_IDS, MISSING),
        ENV_SECURITY_GROUP_IDS: environ.get(ENV_SECURITY_GROUP_IDS, MISSING),
    }
    if bool(subnets) != bool(groups) and not problems:
        problems.append(
            Problem(
                network_variables,
                network_values,
                "both set (a VPC training job needs subnets and security groups)",
            )
        )
    elif not subnets and not groups and not problems and "VpcConfig" not in spec:
        problems.append(Problem(network_variables, network_values, NEEDS_TRAINING_NETWORK))
    elif not subnets and not groups and not problems and not _is_vpc_config(spec["VpcConfig"]):
        problems.append(
            Problem(
                f"{ENV_TRAINING_SPEC}.VpcConfig",
                spec["VpcConfig"],
                'an object {"Subnets": [ids], "SecurityGroupIds": [ids]}, both lists non-empty '
                f"({NEEDS_TRAINING_NETWORK})",
            )
        )
    if subnets and groups:
        if "VpcConfig" in spec:
            problems.append(
                Problem(
                    f"{ENV_TRAINING_SPEC}.VpcConfig",
                    spec["VpcConfig"],
                    f"no VpcConfig when {ENV_SUBNET_IDS} and {ENV_SECURITY_GROUP_IDS} are set "
                    "(one source of truth)",
                )
            )
        else:
            spec["VpcConfig"] = {"Subnets": subnets, "SecurityGroupIds": groups}
    for variable, section, key in (
        (ENV_OUTPUT_KMS_KEY, "OutputDataConfig", "KmsKeyId"),
        (ENV_VOLUME_KMS_KEY, "ResourceConfig", "VolumeKmsKeyId"),
    ):
        value = environ.get(variable, "")
        if not value:
            if variable == ENV_OUTPUT_KMS_KEY and not spec[section].get(key):
                problems.append(
                    Problem(variable, environ.get(variable, MISSING), NEEDS_OUTPUT_KMS_KEY)
                )
            continue
        if not KMS_KEY_PATTERN.fullmatch(value):
            problems.append(
                Problem(variable, value, "a KMS key ARN, key id, alias ARN or alias name")
            )
        elif key in spec[section]:
            problems.append(
                Problem(
                    f"{ENV_TRAINING_SPEC}.{section}.{key}",
                    spec[section][key],
                    f"no {key} when {variable} is set (one source of truth)",
                )
            )
        else:
            spec[section][key] = value
    return problems


def _parse_timestamp(value: object, field: str) -> tuple[dt.datetime | None, list[Problem]]:
    expected = "an ISO 8601 timestamp with a UTC offset, e.g. '2026-11-26T06:00:00Z'"
    if not isinstance(value, str):
        return None, [Problem(field, value, expected)]
    if value.startswith("<aws.scheduler."):
        return None, [
            Problem(
                field,
                value,
                "a time substituted by EventBridge Scheduler; the keyword arrived unreplaced, "
                "so this was not a Scheduler invocation",
            )
        ]
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None, [Problem(field, value, expected)]
    if parsed.tzinfo is None:
        return None, [Problem(field, value, expected + " (this one has no offset)")]
    floored = parsed.astimezone(dt.UTC).replace(second=0, microsecond=0)
    return floored, []


def _optional_string(
    event: Mapping[str, object], key: str, field: str, problems: list[Problem]
) -> str | None:
    value = event.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(Problem(field, value, "a string when present"))
        return None
    return value


def _occurrence_problems(event: object) -> tuple[list[Problem], ScheduledOccurrence | None]:
    if not isinstance(event, dict):
        return [
            Problem(
                "event",
                event,
                "a JSON object: an EventBridge 'Scheduled Event' or the Scheduler target input "
                f"{scheduler_target_input()}",
            )
        ], None
    source = event.get("source", MISSING)
    problems: list[Problem] = []
    if source == EVENTBRIDGE_RULE_SOURCE:
        detail_type = event.get("detail-type", MISSING)
        if detail_type != EVENTBRIDGE_RULE_DETAIL_TYPE:
            problems.append(
                Problem("event.detail-type", detail_type, f"{EVENTBRIDGE_RULE_DETAIL_TYPE!r}")
            )
        occurrence, time_problems = _parse_timestamp(event.get("time", MISSING), "event.time")
        problems.extend(time_problems)
        resources = event.get("resources", [])
        trigger_arn: str | None = None
        if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
            problems.append(Problem("event.resources", resources, "a list of rule ARNs"))
        elif resources:
            trigger_arn = resources[0]
        event_id = _optional_string(event, "id", "event.id", problems)
        delivery = {"eventId": event_id} if event_id else {}
    elif source == SCHEDULER_SOURCE:
        occurrence, time_problems = _parse_timestamp(
            event.get("scheduledTime", MISSING), "event.scheduledTime"
        )
        problems.extend(time_problems)
        trigger_arn = _optional_string(event, "scheduleArn", "event.scheduleArn", problems)
        delivery = {}
        for key in ("executionId", "attemptNumber"):
            value = _optional_string(event, key, f"event.{key}", problems)
            if value is not None:
                delivery[key] = value
    else:
        return [
            Problem(
                "event.source",
                source,
                f"{EVENTBRIDGE_RULE_SOURCE!r} (an EventBridge rule 'Scheduled Event') or "
                f"{SCHEDULER_SOURCE!r} (the Scheduler target input {scheduler_target_input()})",
            )
        ], None
    if problems or occurrence is None:
        return problems, None
    return [], ScheduledOccurrence(occurrence, str(source), trigger_arn, delivery)


def parse_invocation(
    event: object, environ: Mapping[str, str]
) -> tuple[OrchestratorConfig, ScheduledOccurrence]:
    """Validate the configuration and the event together; raise one error listing every problem."""
    config_problems, config = _configuration_problems(environ)
    event_problems, occurrence = _occurrence_problems(event)
    problems = config_problems + event_problems
    if problems or config is None or occurrence is None:
        raise InvalidInvocationError(problems)
    return config, occurrence


def build_create_training_job_request(
    config: OrchestratorConfig, occurrence: ScheduledOccurrence
) -> dict[str, Any]:
    """The CreateTrainingJob request: the configured spec, the derived name, our two tags."""
    job_name = job_name_for(config.job_name_prefix, occurrence.time)
    request: dict[str, Any] = json.loads(json.dumps(config.training_spec))  # deep copy
    request["TrainingJobName"] = job_name
    request["Tags"] = [
        *request.get("Tags", []),
        {"Key": TAG_JOB_NAME_PREFIX, "Value": config.job_name_prefix},
        {"Key": TAG_SCHEDULED_OCCURRENCE, "Value": occurrence_tag_value(occurrence.time)},
    ]
    return request


def console_url(partition: str, region: str, job_name: str) -> str | None:
    domain = CONSOLE_DOMAINS.get(partition)
    if domain is None:
        return None
    return f"https://{domain}/sagemaker/home?region={region}#/jobs/{job_name}"


# --- Logging -------------------------------------------------------------------------------------


class JsonLogger:
    """One JSON object per line; `bind` adds fields (request id, job name) to every later line."""

    def __init__(self, stream: TextIO, fields: Mapping[str, object] | None = None) -> None:
        self._stream = stream
        self._fields: dict[str, object] = dict(fields or {})

    def bind(self, **fields: object) -> None:
        self._fields.update(fields)

    def log(self, level: str, message: str, **fields: object) -> None:
        record = {
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "level": level,
            "message": message,
            **self._fields,
            **fields,
        }
        self._stream.write(json.dumps(record, default=str, sort_keys=False) + "\n")
        self._stream.flush()

    def info(self, message: str, **fields: object) -> None:
        self.log("INFO", message, **fields)

    def warning(self, message: str, **fields: object) -> None:
        self.log("WARNING", message, **fields)

    def error(self, message: str, **fields: object) -> None:
        self.log("ERROR", message, **fields)


# --- Retries -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: after failed attempt n, sleep U(0, cap(n)).

    cap(n) = min(max_delay_seconds, base_delay_seconds * 2^(n-1)).
    """

    max_attempts: int = 5
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 16.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay_seconds < 0 or self.max_delay_seconds < 0:
            raise ValueError(f"invalid retry policy {self}")

    def delay_cap(self, failed_attempts: int) -> float:
        return float(
            min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (failed_attempts - 1))
        )

    def worst_case_seconds(self) -> float:
        """Longest one retried call can take: every attempt times out, every sleep is maximal."""
        sleeps = sum(self.delay_cap(n) for n in range(1, self.max_attempts))
        return sleeps + self.max_attempts * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS)


DEFAULT_RETRY_POLICY: Final = RetryPolicy()
# At most three retried calls per invocation: CreateTrainingJob, DescribeTrainingJob, Publish.
RECOMMENDED_TIMEOUT_SECONDS: Final = 30 * math.ceil(
    3 * DEFAULT_RETRY_POLICY.worst_case_seconds() / 30
)


@dataclasses.dataclass(frozen=True)
class RetryContext:
    policy: RetryPolicy
    sleep: Callable[[float], None]
    rng: random.Random
    remaining_seconds: Callable[[], float | None]
    logger: JsonLogger


T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Attempted(Generic[T]):
    value: T
    attempts: int
    ambiguous_failures: int


class AwsCallFailedError(Exception):
    """Internal: one AWS call failed for good; carries what the final report needs."""

    def __init__(self, action: str, error_code: str, detail: str, attempts: int) -> None:
        self.action = action
        self.error_code = error_code
        self.detail = detail
        self.attempts = attempts
        super().__init__(f"{action} failed after {attempts} attempt(s): {error_code}: {detail}")


def _classify(error: Exception) -> tuple[bool, bool, str, str]:
    """(retryable, ambiguous, error code, message) of an exception raised by a botocore call.

    Ambiguous means the request may have been processed although no answer arrived.
    """
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError  # noqa: PLC0415 - boto3 is imported lazily, see the module docstring

    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", "Unknown"))
        message = str(error.response.get("Error", {}).get("Message", str(error)))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        server_error = status >= 500
        return (code in RETRYABLE_ERROR_CODES or server_error), server_error, code, message
    if isinstance(error, ConnectionError):  # never reached the service
        return True, False, type(error).__name__, str(error)
    if isinstance(error, HTTPClientError):  # sent; the answer was lost (read timeout, reset)
        return True, True, type(error).__name__, str(error)
    return False, False, type(error).__name__, str(error)


def call_with_retries(action: str, operation: Callable[[], T], retry: RetryContext) -> Attempted[T]:
    """Run `operation`, retrying retryable failures; raise AwsCallFailedError when done trying."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - boto3 is imported lazily, see the module docstring

    ambiguous_failures = 0
    for attempt in range(1, retry.policy.max_attempts + 1):
        try:
            return Attempted(operation(), attempt, ambiguous_failures)
        except (ClientError, BotoCoreError) as error:
            retryable, ambiguous, code, message = _classify(error)
            ambiguous_failures += int(ambiguous)
            if not retryable:
                raise AwsCallFailedError(action, code, message, attempt) from error
            if attempt == retry.policy.max_attempts:
                raise AwsCallFailedError(action, code, message, attempt) from error
            delay = retry.rng.uniform(0, retry.policy.delay_cap(attempt))
            remaining = retry.remaining_seconds()
            if remaining is not None and remaining - delay < FINAL_REPORT_RESERVE_SECONDS:
                retry.logger.error(
                    f"{action}: not retrying, the invocation is about to time out",
                    attempt=attempt,
                    errorCode=code,
                    remainingSeconds=round(remaining, 3),
                )
                raise AwsCallFailedError(action, code, message, attempt) from error
            retry.logger.warning(
                f"{action}: retrying after a transient error",
                attempt=attempt,
                errorCode=code,
                errorMessage=message,
                delaySeconds=round(delay, 3),
            )
            retry.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


# --- AWS -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AwsClients:
    sagemaker: SageMakerClient
    sns: SNSClient


@functools.cache
def default_aws_clients() -> AwsClients:
    """Clients reused across warm invocations. botocore's own retries are off: RetryPolicy is the
    single source of truth, so attempts are bounded and visible in the logs."""
    import boto3  # noqa: PLC0415 - imported lazily, see the module docstring
    from botocore.config import Config  # noqa: PLC0415 - imported lazily, see the module docstring

    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"total_max_attempts": 1, "mode": "standard"},
        user_agent_extra="retraining-orchestrator",
    )
    session = boto3.session.Session()
    return AwsClients(
        sagemaker=session.client("sagemaker", config=config),
        sns=session.client("sns", config=config),
    )


def _validate_request_against_api_model(
    request: Mapping[str, Any], sagemaker: SageMakerClient
) -> None:
    """Check the full request against the SageMaker API model (what botocore would reject)."""
    from botocore.validate import ParamValidator  # noqa: PLC0415 - imported lazily, see the module docstring

    input_shape = sagemaker.meta.service_model.operation_model("CreateTrainingJob").input_shape
    if input_shape is None:  # pragma: no cover - CreateTrainingJob always has an input shape
        raise RuntimeError("the SageMaker API model has no CreateTrainingJob input shape")
    report = ParamValidator().validate(dict(request), input_shape)
    if report.has_errors():
        raise InvalidInvocationError(
            [
                ApiModelProblem(
                    ENV_TRAINING_SPEC, line.strip(), "the CreateTrainingJob request shape"
                )
                for line in report.generate_report().splitlines()
                if line.strip() and not line.startswith("Parameter validation failed")
            ]
        )


@dataclasses.dataclass(frozen=True)
class StartedJob:
    """The job of this occurrence, as created now or as found already existing."""

    arn: str
    status: str
    found_existing: bool
    attempts: int
    ambiguous_failures: int


@dataclasses.dataclass(frozen=True)
class _NameTaken:
    message: str


def _create_training_job(
    sagemaker: SageMakerClient, request: Mapping[str, Any]
) -> str | _NameTaken:
    """The new job's ARN, or _NameTaken when SageMaker answers ResourceInUse for the name."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - imported lazily, see the module docstring

    try:
        response = sagemaker.create_training_job(**request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == RESOURCE_IN_USE:
            return _NameTaken(str(error.response.get("Error", {}).get("Message", "")))
        raise
    return response["TrainingJobArn"]


def _start_or_find_training_job(
    sagemaker: SageMakerClient, request: Mapping[str, Any], retry: RetryContext
) -> StartedJob:
    """CreateTrainingJob; on ResourceInUse confirm with DescribeTrainingJob that the job is ours."""
    job_name = str(request["TrainingJobName"])
    created = call_with_retries(
        "CreateTrainingJob", lambda: _create_training_job(sagemaker, request), retry
    )
    if not isinstance(created.value, _NameTaken):
        return StartedJob(
            created.value, "InProgress", False, created.attempts, created.ambiguous_failures
        )
    retry.logger.info(
        "job name already in use; confirming the job exists",
        errorCode=RESOURCE_IN_USE,
        errorMessage=created.value.message,
    )
    existing = call_with_retries(
        "DescribeTrainingJob",
        lambda: sagemaker.describe_training_job(TrainingJobName=job_name),
        retry,
    ).value
    if existing.get("TrainingJobName") != job_name:
        raise AwsCallFailedError(
            "DescribeTrainingJob",
            "UnexpectedResponse",
            f"SageMaker reported {RESOURCE_IN_USE} for {job_name} but describes "
            f"{existing.get('TrainingJobName')!r}",
            1,
        )
    return StartedJob(
        str(existing["TrainingJobArn"]),
        str(existing["TrainingJobStatus"]),
        True,
        created.attempts,
        created.ambiguous_failures,
    )


def _publish(
    sns: SNSClient,
    *,
    topic_arn: str,
    subject: str,
    body: Mapping[str, object],
    event_name: str,
    prefix: str,
) -> None:
    sns.publish(
        TopicArn=topic_arn,
        Subject=subject,
        Message=json.dumps(body, indent=2, sort_keys=True),
        MessageAttributes={
            "event": {"DataType": "String", "StringValue": event_name},
            "trainingJobNamePrefix": {"DataType": "String", "StringValue": prefix},
        },
    )


# --- The invocation ------------------------------------------------------------------------------


def run(
    event: object,
    *,
    environ: Mapping[str, str],
    clients: AwsClients | Callable[[], AwsClients],
    request_id: str,
    retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    remaining_seconds: Callable[[], float | None] = lambda: None,
    log_stream: TextIO | None = None,
) -> dict[str, object]:
    """Start the training job of the invocation's scheduled occurrence (see the module docstring).

    `clients` may be a factory so that a malformed invocation is rejected before any client exists.
    """
    logger = JsonLogger(log_stream or sys.stdout, {"requestId": request_id})
    try:
        config, occurrence = parse_invocation(event, environ)
    except InvalidInvocationError as error:
        logger.error(
            "invalid invocation; nothing was called on AWS",
            problems=[str(problem) for problem in error.problems],
        )
        raise

    request = build_create_training_job_request(config, occurrence)
    job_name: str = request["TrainingJobName"]
    scheduled = occurrence_tag_value(occurrence.time)
    logger.bind(trainingJobName=job_name, scheduledOccurrence=scheduled)
    aws = clients() if callable(clients) else clients
    try:
        _validate_request_against_api_model(request, aws.sagemaker)
    except InvalidInvocationError as error:
        logger.error(
            "training spec does not match the CreateTrainingJob API; nothing was called on AWS",
            problems=[str(problem) for problem in error.problems],
        )
        raise

    # Jitter only spreads retries out; it needs no cryptographic randomness.
    jitter = rng or random.Random()  # noqa: S311
    retry = RetryContext(retry_policy, sleep, jitter, remaining_seconds, logger)
    partition = ROLE_ARN_PATTERN.fullmatch(str(request["RoleArn"]))
    region = str(aws.sagemaker.meta.region_name)
    trigger = {"source": occurrence.source, "arn": occurrence.trigger_arn, **occurrence.delivery}
    message_base: dict[str, object] = {
        "trainingJobName": job_name,
        "trainingJobNamePrefix": config.job_name_prefix,
        "scheduledOccurrence": scheduled,
        "trigger": trigger,
        "consoleUrl": console_url(partition["partition"] if partition else "", region, job_name),
        "lambdaRequestId": request_id,
    }
    logger.info("starting training job", trigger=trigger)

    try:
        started = _start_or_find_training_job(aws.sagemaker, request, retry)
    except AwsCallFailedError as failure:
        logger.error(
            "training job not started",
            action=failure.action,
            errorCode=failure.error_code,
            errorMessage=failure.detail,
            attempts=failure.attempts,
        )
        _report_start_failure(aws, config, message_base, failure, retry)
        raise TrainingJobStartError(
            job_name, failure.error_code, failure.attempts, failure.detail
        ) from failure

    arn, status = started.arn, started.status
    if started.found_existing and started.ambiguous_failures == 0:
        logger.info(
            "training job already started for this occurrence; no second notification",
            trainingJobArn=arn,
            trainingJobStatus=status,
            attempts=started.attempts,
        )
        return {
            "outcome": "already_started",
            "trainingJobName": job_name,
            "trainingJobArn": arn,
            "trainingJobStatus": status,
            "scheduledOccurrence": scheduled,
            "notified": False,
        }
    confirmation = (
        "describe-after-ambiguous-response"
        if started.found_existing
        else "create-training-job-response"
    )
    logger.info(
        "training job started",
        trainingJobArn=arn,
        attempts=started.attempts,
        confirmation=confirmation,
    )
    body = {
        "event": EVENT_STARTED,
        **message_base,
        "trainingJobArn": arn,
        "confirmation": confirmation,
    }
    try:
        call_with_retries(
            "Publish",
            lambda: _publish(
                aws.sns,
                topic_arn=config.topic_arn,
                subject=f"Retraining started: {job_name}",
                body=body,
                event_name=EVENT_STARTED,
                prefix=config.job_name_prefix,
            ),
            retry,
        )
    except AwsCallFailedError as failure:
        logger.error(
            "started notification not published",
            errorCode=failure.error_code,
            errorMessage=failure.detail,
            attempts=failure.attempts,
        )
        raise NotificationPublishError(
            job_name, failure.error_code, failure.attempts, failure.detail
        ) from failure
    logger.info("started notification published")
    return {
        "outcome": "started",
        "trainingJobName": job_name,
        "trainingJobArn": arn,
        "trainingJobStatus": status,
        "scheduledOccurrence": scheduled,
        "notified": True,
        "confirmation": confirmation,
    }


def _report_start_failure(
    aws: AwsClients,
    config: OrchestratorConfig,
    message_base: Mapping[str, object],
    failure: AwsCallFailedError,
    retry: RetryContext,
) -> None:
    """Publish the failure message; a publish failure is logged, the start error still raised."""
    job_name = str(message_base["trainingJobName"])
    body = {
        "event": EVENT_START_FAILED,
        **message_base,
        "failedAction": failure.action,
        "errorCode": failure.error_code,
        "errorMessage": failure.detail,
        "attempts": failure.attempts,
        "note": (
            "The invocation raises after this message, so the function's Errors alarm and its "
            "on-failure destination fire. If Lambda retries the event and the job then starts, "
            "a 'Retraining started' message for the same job name follows."
        ),
    }
    try:
        call_with_retries(
            "Publish",
            lambda: _publish(
                aws.sns,
                topic_arn=config.topic_arn,
                subject=f"Retraining failed to start: {job_name}",
                body=body,
                event_name=EVENT_START_FAILED,
                prefix=config.job_name_prefix,
            ),
            retry,
        )
    except AwsCallFailedError as publish_failure:
        retry.logger.error(
            "failure notification not published",
            errorCode=publish_failure.error_code,
            errorMessage=publish_failure.detail,
            attempts=publish_failure.attempts,
        )
    else:
        retry.logger.info("failure notification published")


class LambdaContext(Protocol):
    """The parts of the Lambda context object this handler uses."""

    aws_request_id: str

    def get_remaining_time_in_millis(self) -> int: ...


def handler(event: object, context: LambdaContext) -> dict[str, object]:
    """Lambda entry point (`handler.handler`)."""
    return run(
        event,
        environ=os.environ,
        clients=default_aws_clients,
        request_id=context.aws_request_id,
        remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000,
    )
