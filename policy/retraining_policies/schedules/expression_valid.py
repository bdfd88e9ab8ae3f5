"""schedule-expression-valid: rule and Scheduler grammars, field by field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies.framework import (
    UNKNOWN,
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
    cannot_verify,
    describe,
)
from retraining_policies.schedules import grammar
from retraining_policies.schedules.expressions import (
    FAMILY,
    MAX_FLEXIBLE_WINDOW_MINUTES,
    SCHEDULE_TYPES,
    schedule_of,
)


def check_expression_valid(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    del config
    schedule = schedule_of(resource)
    if schedule is None:
        return
    expression, kind, timezone = schedule
    service = "EventBridge rule" if kind == "rule" else "EventBridge Scheduler"
    if expression is UNKNOWN:
        yield cannot_verify(f"the {service} schedule expression", "scheduleExpression")
    elif expression is None:
        yield "the schedule has no scheduleExpression"
    else:
        for problem in grammar.validate_schedule_expression(expression, kind):
            yield (
                f"scheduleExpression {describe(expression)} is "
                f"not a valid {service} schedule: {problem}"
            )
    if kind == "scheduler":
        if timezone is UNKNOWN:
            yield cannot_verify("the schedule's time zone", "scheduleExpressionTimezone")
        else:
            yield from (
                f"scheduleExpressionTimezone: {p}" for p in grammar.validate_timezone(timezone)
            )
        yield from _flexible_window_problems(resource.get("flexibleTimeWindow"))
    else:
        bus = resource.get("eventBusName")
        if bus not in (None, "default", UNKNOWN):
            yield f"scheduled rules run only on the default event bus, not on {describe(bus)}"


def _flexible_window_problems(window: Any) -> Iterator[str]:
    if window is UNKNOWN:
        yield cannot_verify("the flexible time window", "flexibleTimeWindow")
        return
    if not isinstance(window, dict):
        yield (
            "flexibleTimeWindow is required: {mode: 'OFF'} or "
            "{mode: 'FLEXIBLE', maximumWindowInMinutes: 1-1440}"
        )
        return
    mode = window.get("mode")
    maximum = window.get("maximumWindowInMinutes")
    if mode == "OFF":
        if maximum is not None:
            yield "flexibleTimeWindow.maximumWindowInMinutes must be unset when mode is OFF"
    elif mode == "FLEXIBLE":
        if maximum is UNKNOWN:
            yield cannot_verify(
                "the flexible window length", "flexibleTimeWindow.maximumWindowInMinutes"
            )
        elif (
            not isinstance(maximum, int | float)
            or isinstance(maximum, bool)
            or maximum != int(maximum)
            or not 1 <= maximum <= MAX_FLEXIBLE_WINDOW_MINUTES
        ):
            yield (
                f"flexibleTimeWindow.maximumWindowInMinutes {describe(maximum)} must be a whole "
                f"number of minutes from 1 to {MAX_FLEXIBLE_WINDOW_MINUTES} when mode is FLEXIBLE"
            )
    elif mode is UNKNOWN:
        yield cannot_verify("the flexible window mode", "flexibleTimeWindow.mode")
    else:
        yield f"flexibleTimeWindow.mode {describe(mode)} must be 'OFF' or 'FLEXIBLE'"


EXPRESSION_VALID = PolicyDoc(
    name="schedule-expression-valid",
    family=FAMILY,
    description="Schedule expressions follow the EventBridge rule / "
    "Scheduler grammar; Scheduler time zones are IANA zones.",
    why=(
        "EventBridge accepts a malformed cron only to fail at deploy time (and moto not at "
        "all); a wrong field can also silently mean a different time (1 is SUNDAY, not Monday). "
        "The message names the field and the rule it breaks."
    ),
    remediation=(
        "Fix the field named in the message: six cron fields (minutes hours day-of-month month "
        "day-of-week year) with exactly one '?' in day-of-month/day-of-week, 'rate(1 hour)' "
        "(singular for 1) or 'rate(6 hours)'; at(...) only on aws.scheduler.Schedule; time zones "
        "like 'Europe/Berlin'."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    resource_types=SCHEDULE_TYPES,
)

POLICY = RetrainingResourcePolicy(EXPRESSION_VALID, check_expression_valid)
