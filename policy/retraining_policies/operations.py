"""Operational hygiene: Step Functions logging and tracing, log retention, required tags."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    PolicyDoc,
    Resource,
    RetrainingPolicy,
    RetrainingResourcePolicy,
    cannot_verify,
    describe,
)

FAMILY: Final = "operations"
_LOG_LEVELS: Final = ("OFF", "FATAL", "ERROR", "ALL")


def check_sfn_logging_tracing(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    minimum = config["minimumLogLevel"]
    logging = resource.get("loggingConfiguration")
    if logging is UNKNOWN:
        yield cannot_verify("execution logging", "loggingConfiguration")
    else:
        level = logging.get("level") if isinstance(logging, dict) else None
        if level is UNKNOWN:
            yield cannot_verify("the execution log level", "loggingConfiguration.level")
        elif level not in _LOG_LEVELS or _LOG_LEVELS.index(level) < _LOG_LEVELS.index(minimum):
            yield (
                f"execution logging level is {describe(level or 'OFF')}; at least {minimum} is "
                "required so failed executions leave a record"
            )
        elif isinstance(logging, dict) and logging.get("logDestination") in (None, ""):
            yield "loggingConfiguration.logDestination is missing (a log group ARN ending in ':*')"
    if config["requireTracing"]:
        tracing = resource.get("tracingConfiguration")
        enabled = tracing.get("enabled") if isinstance(tracing, dict) else None
        if tracing is UNKNOWN or enabled is UNKNOWN:
            yield cannot_verify("X-Ray tracing", "tracingConfiguration.enabled")
        elif enabled is not True:
            yield "X-Ray tracing is off: set tracing_configuration={'enabled': True}"


SFN_LOGGING_TRACING = PolicyDoc(
    name="sfn-logging-tracing",
    family=FAMILY,
    description="Step Functions state machines log executions "
    "(level >= ERROR by default) and trace with X-Ray.",
    why="Without execution logs a failed .sync training "
    "run leaves nothing to debug (cdk-nag SF1/SF2).",
    remediation=(
        "Set logging_configuration={'level': 'ERROR' or 'ALL', 'include_execution_data': True, "
        "'log_destination': f'{log_group.arn}:*'} and tracing_configuration={'enabled': True}."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config={
        "minimumLogLevel": {
            "type": "string",
            "enum": ["FATAL", "ERROR", "ALL"],
            "default": "ERROR",
            "description": "Lowest acceptable execution log level.",
        },
        "requireTracing": {
            "type": "boolean",
            "default": True,
            "description": "Require X-Ray tracing.",
        },
    },
    resource_types=(types.STATE_MACHINE,),
)


RETENTION_DAYS: Final = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def check_log_retention(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    days = resource.get("retentionInDays")
    low, high = config["minimumDays"], config["maximumDays"]
    if days is UNKNOWN:
        yield cannot_verify("the log retention", "retentionInDays")
    elif days in (None, 0):
        yield f"logs are kept forever (no retentionInDays): set {low}-{high} days"
    elif isinstance(days, bool) or not isinstance(days, int | float) or days not in RETENTION_DAYS:
        yield (
            f"retentionInDays {describe(days)} is not a value CloudWatch "
            f"Logs accepts ({', '.join(map(str, RETENTION_DAYS))})"
        )
    elif not low <= days <= high:
        yield f"retentionInDays {int(days)} is outside the allowed {low}-{high} days"


LOG_RETENTION = PolicyDoc(
    name="log-retention",
    family=FAMILY,
    description="CloudWatch log groups have a retention within the configured bounds.",
    why="Logs kept forever cost money and keep data longer than "
    "needed; too short loses the evidence of a failed run.",
    remediation="Set retention_in_days to one of CloudWatch's "
    "values within minimumDays-maximumDays (e.g. 30).",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    config={
        "minimumDays": {
            "type": "integer",
            "minimum": 1,
            "default": 14,
            "description": "Shortest retention.",
        },
        "maximumDays": {
            "type": "integer",
            "minimum": 1,
            "default": 731,
            "description": "Longest retention.",
        },
    },
    resource_types=(types.LOG_GROUP,),
)


def check_required_tags(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    required = list(config["requiredTags"])
    if resource.get("tags") is UNKNOWN and not isinstance(resource.get("tagsAll"), dict):
        yield cannot_verify("the resource's tags", "tags")
        return
    tags = resource.tags()
    missing = [key for key in required if tags.get(key) in (None, "")]
    if missing:
        yield f"missing required tag(s) {', '.join(missing)} (required: {', '.join(required)})"


REQUIRED_TAGS = PolicyDoc(
    name="required-tags",
    family=FAMILY,
    description="Taggable resources carry the required tags "
    "(team, environment, project, managed-by).",
    why="Cost reports and on-call routing rely on these "
    "tags; an untagged training orchestrator is nobody's.",
    remediation="Build tags with retraining_shared.tags.required_tags(...) "
    "and pass them to every taggable resource.",
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    config={
        "requiredTags": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["team", "environment", "project", "managed-by"],
            "description": "Tag keys every taggable resource must carry.",
        }
    },
    resource_types=types.TAGGABLE,
)

POLICIES: Final[list[RetrainingPolicy]] = [
    RetrainingResourcePolicy(SFN_LOGGING_TRACING, check_sfn_logging_tracing),
    RetrainingResourcePolicy(LOG_RETENTION, check_log_retention),
    RetrainingResourcePolicy(REQUIRED_TAGS, check_required_tags),
]
