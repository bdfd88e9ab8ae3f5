"""schedule-frequency-bounds: not more often than the minimum interval, and runs at all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies.framework import (
    UNKNOWN,
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
    cannot_verify,
)
from retraining_policies.schedules import grammar
from retraining_policies.schedules.expressions import (
    FAMILY,
    SCHEDULE_TYPES,
    schedule_of,
)


def check_frequency(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    schedule = schedule_of(resource)
    if schedule is None:
        return
    expression, kind, timezone = schedule
    if expression is UNKNOWN or timezone is UNKNOWN:
        yield cannot_verify("how often the schedule runs", "scheduleExpression")
        return
    if not isinstance(expression, str) or grammar.validate_schedule_expression(expression, kind):
        return  # schedule-expression-valid reports it
    if not isinstance(timezone, str) or grammar.validate_timezone(timezone):
        return
    bound = dt.timedelta(minutes=config["minimumIntervalMinutes"])
    if expression.startswith("at("):
        if not grammar.next_run_times(expression, kind, 1, timezone):
            yield f"{expression} is in the past: the schedule would never run"
        return
    shortest = grammar.minimum_interval(expression, kind, timezone)
    if shortest is None:
        if not grammar.next_run_times(expression, kind, 1, timezone):
            when = (
                "its first run would fall after the year 9999"
                if expression.startswith("rate(")
                else "no matching date from today on"
            )
            yield f"{expression} never runs again ({when})"
        return
    if shortest < bound:
        yield (
            f"{expression} runs as often as every {_duration(shortest)}; retraining may run at "
            f"most every {_duration(bound)} (minimumIntervalMinutes). Retraining every few "
            "minutes is a cost incident"
        )


def _duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440} day(s)"
    if minutes % 60 == 0:
        return f"{minutes // 60} hour(s)"
    return f"{minutes} minute(s)"


FREQUENCY_BOUNDS = PolicyDoc(
    name="schedule-frequency-bounds",
    family=FAMILY,
    description="Schedules run no more often than the configured "
    "minimum interval (default hourly) and run at all.",
    why=(
        "Each run starts a SageMaker training job: 'rate(1 minute)' or '*/5' in the minutes "
        "field is a cost incident. A one-time at() in the past or a cron that matches no future "
        "date means retraining silently never happens. Daylight-saving days are included."
    ),
    remediation=(
        "Use a schedule at least minimumIntervalMinutes apart (e.g. cron(0 6 * * ? *) daily), "
        "or lower minimumIntervalMinutes in the policy config for a team that needs more "
        "frequent runs."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        "minimumIntervalMinutes": {
            "type": "integer",
            "minimum": 1,
            "default": 60,
            "description": "Shortest allowed time between two runs, in minutes.",
        }
    },
    resource_types=SCHEDULE_TYPES,
)

POLICY = RetrainingResourcePolicy(FREQUENCY_BOUNDS, check_frequency)
