"""What one scheduled invocation asks for: the function's configuration (environment variables),
the scheduled occurrence (the event), and the CreateTrainingJob request they make together.

Standard library only: the stack imports the validators (the state machine checks the same spec
and prefix), and the function imports this module before boto3. Every problem is reported at
once, naming the field, what was found and what is expected. The request shape itself is left to
botocore's own parameter validation (ParamValidationError at the call, before anything is sent).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any, Final

from . import contract

EVENTBRIDGE_RULE_SOURCE: Final = "aws.events"
EVENTBRIDGE_RULE_DETAIL_TYPE: Final = "Scheduled Event"
SCHEDULER_SOURCE: Final = "aws.scheduler"
# EventBridge Scheduler substitutes these context attributes in the target Input ("Adding context
# attributes to your target", EventBridge Scheduler user guide).
SCHEDULER_TARGET_INPUT: Final[Mapping[str, str]] = {
    "source": SCHEDULER_SOURCE,
    "scheduledTime": "<aws.scheduler.scheduled-time>",
    "scheduleArn": "<aws.scheduler.schedule-arn>",
}

MAX_TAGS_PER_RESOURCE: Final = 50  # CreateTrainingJob API reference, Tags
# `<team>-<env>-<model>-`: ending in "-" keeps IAM's `training-job/<prefix>*` off other models.
JOB_NAME_PREFIX_PATTERN: Final = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*-$")
ROLE_ARN_PATTERN: Final = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
# Standard topics only: publishing to a FIFO topic needs a MessageGroupId this function never sets.
TOPIC_ARN_PATTERN: Final = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sns:(?P<region>[a-z]{2}(-[a-z]+)+-\d):\d{12}:[A-Za-z0-9_-]{1,256}$"
)
ID_PATTERNS: Final = {
    contract.ENV_SUBNET_IDS: (re.compile(r"^subnet-[0-9a-f]{8,17}$"), 16),  # VpcConfig limits
    contract.ENV_SECURITY_GROUP_IDS: (re.compile(r"^sg-[0-9a-f]{8,17}$"), 5),
}
REQUIRED_SPEC_KEYS: Final[Mapping[str, str]] = {
    "AlgorithmSpecification": (
        "an object with TrainingImage or AlgorithmName, and TrainingInputMode"
    ),
    "RoleArn": "the SageMaker execution role ARN, arn:<partition>:iam::<account>:role/<name>",
    "OutputDataConfig": "an object with S3OutputPath (s3://bucket/prefix)",
    "ResourceConfig": "an object with InstanceType, InstanceCount and VolumeSizeInGB",
    "StoppingCondition": "an object with MaxRuntimeInSeconds",
}
# The orchestrator roles allow CreateTrainingJob only with a VpcConfig and an output KMS key (IAM
# `Null` conditions, retraining_shared.iam.TRAINING_JOB_GUARDRAILS): say so instead of AccessDenied.
NEEDS_NETWORK: Final = (
    f"subnet and security group ids (or a VpcConfig in {contract.ENV_TRAINING_SPEC}): the "
    "orchestrator role allows CreateTrainingJob only inside the training network"
)
NEEDS_OUTPUT_KEY: Final = (
    f"a KMS key (or OutputDataConfig.KmsKeyId in {contract.ENV_TRAINING_SPEC}): the orchestrator "
    "role allows CreateTrainingJob only with encrypted output"
)


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


class InvalidInvocationError(ValueError):
    """The event or the configuration is malformed; nothing was called on AWS."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(problem) for problem in problems))


def validate_job_name_prefix(
    prefix: object, field: str = contract.ENV_JOB_NAME_PREFIX
) -> list[Problem]:
    if not isinstance(prefix, str) or not JOB_NAME_PREFIX_PATTERN.fullmatch(prefix):
        expected = "letters, digits and hyphens, ending with '-' (e.g. 'fraud-dev-scoring-')"
        return [Problem(field, prefix, expected)]
    if len(prefix) > contract.MAX_JOB_NAME_PREFIX_LENGTH:
        expected = (
            f"at most {contract.MAX_JOB_NAME_PREFIX_LENGTH} characters, so that prefix + "
            f"YYYYMMDDHHMM fits SageMaker's {contract.MAX_JOB_NAME_LENGTH}-character job names"
        )
        return [Problem(field, prefix, expected)]
    return []


def validate_topic_arn(topic_arn: object, field: str = contract.ENV_TOPIC_ARN) -> list[Problem]:
    if isinstance(topic_arn, str) and TOPIC_ARN_PATTERN.fullmatch(topic_arn):
        return []
    expected = "a standard (non-FIFO) SNS topic ARN, arn:<partition>:sns:<region>:<account>:<name>"
    return [Problem(field, topic_arn, expected)]


def _tag_problems(tags: object, field: str) -> list[Problem]:
    if not isinstance(tags, list):
        return [Problem(field, tags, 'a list of {"Key": str, "Value": str} objects')]
    problems = [
        Problem(f"{field}[{index}]", tag, 'an object {"Key": str, "Value": str}')
        for index, tag in enumerate(tags)
        if not (isinstance(tag, dict) and set(tag) == {"Key", "Value"})
        or not all(isinstance(value, str) for value in tag.values())
    ]
    problems += [
        Problem(
            f"{field}[{index}].Key",
            tag["Key"],
            f"none of {sorted(contract.ORCHESTRATOR_TAG_KEYS)} (the orchestrator sets those)",
        )
        for index, tag in enumerate(tags)
        if isinstance(tag, dict) and tag.get("Key") in contract.ORCHESTRATOR_TAG_KEYS
    ]
    limit = MAX_TAGS_PER_RESOURCE - len(contract.ORCHESTRATOR_TAG_KEYS)
    if len(tags) > limit:
        problems.append(
            Problem(
                field,
                f"{len(tags)} tags",
                f"at most {limit} tags (SageMaker allows {MAX_TAGS_PER_RESOURCE}; the "
                f"orchestrator adds {len(contract.ORCHESTRATOR_TAG_KEYS)})",
            )
        )
    return problems


def validate_training_spec(spec: object, field: str = contract.ENV_TRAINING_SPEC) -> list[Problem]:
    """Structural problems of a training spec (the CreateTrainingJob request minus its name)."""
    if not isinstance(spec, dict):
        return [Problem(field, spec, "a JSON object in the CreateTrainingJob request shape")]
    problems = []
    if "TrainingJobName" in spec:
        expected = "no TrainingJobName (the orchestrator derives it from the scheduled occurrence)"
        problems.append(Problem(f"{field}.TrainingJobName", spec["TrainingJobName"], expected))
    for key, expected in REQUIRED_SPEC_KEYS.items():
        value = spec.get(key)
        valid = (
            ROLE_ARN_PATTERN.fullmatch(value)
            if key == "RoleArn" and isinstance(value, str)
            else isinstance(value, dict)
        )
        if not valid:
            problems.append(Problem(f"{field}.{key}", value, expected))
    if "Tags" in spec:
        problems += _tag_problems(spec["Tags"], f"{field}.Tags")
    return problems


@dataclasses.dataclass(frozen=True)
class Configuration:
    """The function's environment, checked. `problems` is empty when a job can be started."""

    topic_arn: str
    job_name_prefix: str
    team: str
    model: str
    environment: str
    spec: dict[str, Any]
    problems: list[Problem]


def _ids(environ: Mapping[str, str], name: str) -> tuple[list[str], list[Problem]]:
    raw = environ.get(name, "")
    pattern, limit = ID_PATTERNS[name]
    ids = [item.strip() for item in raw.split(",")] if raw else []
    if len(ids) > limit or not all(pattern.fullmatch(item) for item in ids):
        return [], [Problem(name, raw, f"1 to {limit} comma-separated ids")]
    return ids, []


def _merge_provider_values(spec: dict[str, Any], environ: Mapping[str, str]) -> list[Problem]:
    """Merge network-iam's ids (unknown at preview, so not in TRAINING_SPEC) into `spec`."""
    subnets, problems = _ids(environ, contract.ENV_SUBNET_IDS)
    groups, group_problems = _ids(environ, contract.ENV_SECURITY_GROUP_IDS)
    problems += group_problems
    network = f"{contract.ENV_SUBNET_IDS}/{contract.ENV_SECURITY_GROUP_IDS}"
    if subnets and groups and "VpcConfig" in spec:
        problems.append(
            Problem(
                f"{contract.ENV_TRAINING_SPEC}.VpcConfig",
                spec["VpcConfig"],
                f"no VpcConfig when {network} are set (one source of truth)",
            )
        )
    elif subnets and groups:
        spec["VpcConfig"] = {"Subnets": subnets, "SecurityGroupIds": groups}
    elif subnets or groups:
        problems.append(
            Problem(
                network, [subnets, groups], "both set (a VPC job needs subnets and security groups)"
            )
        )
    elif not problems and not isinstance(spec.get("VpcConfig"), dict):
        problems.append(Problem(network, "unset", NEEDS_NETWORK))
    for variable, section, key in (
        (contract.ENV_OUTPUT_KMS_KEY, "OutputDataConfig", "KmsKeyId"),
        (contract.ENV_VOLUME_KMS_KEY, "ResourceConfig", "VolumeKmsKeyId"),
    ):
        value = environ.get(variable, "")
        if value and key in spec[section]:
            problems.append(
                Problem(
                    f"{contract.ENV_TRAINING_SPEC}.{section}.{key}",
                    spec[section][key],
                    f"no {key} when {variable} is set (one source of truth)",
                )
            )
        elif value:
            spec[section][key] = value
        elif variable == contract.ENV_OUTPUT_KMS_KEY and not spec[section].get(key):
            problems.append(Problem(variable, "unset", NEEDS_OUTPUT_KEY))
    return problems


def read_configuration(environ: Mapping[str, str]) -> Configuration:
    """The configuration with every problem found; the topic is usable iff `topic_problems` of it
    is empty (then the problems can be reported on it)."""
    prefix = environ.get(contract.ENV_JOB_NAME_PREFIX)
    problems = validate_job_name_prefix(prefix) + validate_topic_arn(
        environ.get(contract.ENV_TOPIC_ARN)
    )
    identity = {}
    for name in (contract.ENV_TEAM, contract.ENV_MODEL, contract.ENV_ENVIRONMENT):
        identity[name] = environ.get(name, "")
        if not identity[name]:
            problems.append(Problem(name, environ.get(name), "a non-empty name"))
    spec: object = None
    try:
        spec = json.loads(environ.get(contract.ENV_TRAINING_SPEC, "null"))
    except json.JSONDecodeError as error:
        problems.append(
            Problem(contract.ENV_TRAINING_SPEC, error.doc[:40], f"valid JSON ({error.msg})")
        )
    else:
        spec_problems = validate_training_spec(spec)
        problems += spec_problems or _merge_provider_values(spec, environ)  # type: ignore[arg-type]
    return Configuration(
        topic_arn=environ.get(contract.ENV_TOPIC_ARN, ""),
        job_name_prefix=prefix or "",
        team=identity[contract.ENV_TEAM],
        model=identity[contract.ENV_MODEL],
        environment=identity[contract.ENV_ENVIRONMENT],
        spec=spec if isinstance(spec, dict) else {},
        problems=problems,
    )


def _timestamp(value: object, field: str) -> tuple[dt.datetime | None, list[Problem]]:
    expected = "an ISO 8601 timestamp with a UTC offset, e.g. '2026-11-26T06:00:00Z'"
    try:
        parsed = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        return None, [Problem(field, value, expected)]
    return parsed.astimezone(dt.UTC).replace(second=0, microsecond=0), []


def scheduled_occurrence(event: object) -> tuple[dt.datetime | None, list[Problem]]:
    """The occurrence (UTC, floored to the minute) a schedule event is for."""
    source = event.get("source") if isinstance(event, dict) else None
    if isinstance(event, dict) and source == EVENTBRIDGE_RULE_SOURCE:
        problems = []
        if event.get("detail-type") != EVENTBRIDGE_RULE_DETAIL_TYPE:
            problems.append(
                Problem(
                    "event.detail-type",
                    event.get("detail-type"),
                    repr(EVENTBRIDGE_RULE_DETAIL_TYPE),
                )
            )
        occurrence, time_problems = _timestamp(event.get("time"), "event.time")
        return (None if problems else occurrence), problems + time_problems
    if isinstance(event, dict) and source == SCHEDULER_SOURCE:
        return _timestamp(event.get("scheduledTime"), "event.scheduledTime")
    expected = (
        f"an EventBridge rule 'Scheduled Event' (source {EVENTBRIDGE_RULE_SOURCE!r}), the "
        "Scheduler "
        f"target input {scheduler_target_input()}, or SQS job-state records"
    )
    return None, [Problem("event.source", source if isinstance(event, dict) else event, expected)]


def scheduler_target_input() -> str:
    """The EventBridge Scheduler target `Input` this function understands (a JSON string)."""
    return json.dumps(dict(SCHEDULER_TARGET_INPUT), sort_keys=True)


def create_training_job_request(
    configuration: Configuration, occurrence: dt.datetime
) -> dict[str, Any]:
    """The configured spec, the occurrence's job name and the orchestrator's two tags."""
    request: dict[str, Any] = json.loads(json.dumps(configuration.spec))  # deep copy
    request["TrainingJobName"] = contract.training_job_name(
        configuration.job_name_prefix, occurrence
    )
    request["Tags"] = [
        *request.get("Tags", []),
        {"Key": contract.TAG_JOB_NAME_PREFIX, "Value": configuration.job_name_prefix},
        {"Key": contract.TAG_SCHEDULED_OCCURRENCE, "Value": contract.occurrence_text(occurrence)},
    ]
    return request
