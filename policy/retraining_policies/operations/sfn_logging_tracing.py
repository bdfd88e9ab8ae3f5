"""sfn-logging-tracing: state machines log executions and trace."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    PolicyDoc,
    Resource,
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

POLICY = RetrainingResourcePolicy(SFN_LOGGING_TRACING, check_sfn_logging_tracing)
