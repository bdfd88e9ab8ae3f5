"""log-retention: log groups keep logs for a bounded, valid time."""

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

POLICY = RetrainingResourcePolicy(LOG_RETENTION, check_log_retention)
