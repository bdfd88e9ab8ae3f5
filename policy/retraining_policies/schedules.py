"""Valid schedules: grammar (EventBridge rules and Scheduler), frequency bounds, DLQ and retries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import aws_schedule_grammar as grammar
from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    Finding,
    PolicyDoc,
    Resource,
    RetrainingPolicy,
    RetrainingResourcePolicy,
    RetrainingStackPolicy,
    Stack,
    cannot_verify,
    describe,
)

FAMILY: Final = "valid-schedules"
_SCHEDULE_TYPES: Final = (types.EVENT_RULE, types.SCHEDULE)
_MAX_FLEXIBLE_WINDOW_MINUTES = 1440
_RETRY_AGE_SECONDS = (60, 86400)
_RETRY_ATTEMPTS = (0, 185)


def schedule_of(resource: Resource) -> tuple[Any, grammar.ScheduleKind, Any] | None:
    """(expression, kind, time zone) of a scheduling resource, None if it schedules nothing."""
    if resource.type == types.EVENT_RULE:
        expression = resource.get("scheduleExpression")
        if expression is None or expression == "":
            return None
        return expression, "rule", "UTC"
    if resource.type == types.SCHEDULE:
        timezone = resource.get("scheduleExpressionTimezone")
        return resource.get("scheduleExpression"), "scheduler", timezone or "UTC"
    return None


# ---------------------------------------------------------------------------------------------
# schedule-expression-valid
# ---------------------------------------------------------------------------------------------


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
            or not 1 <= maximum <= _MAX_FLEXIBLE_WINDOW_MINUTES
        ):
            yield (
                f"flexibleTimeWindow.maximumWindowInMinutes {describe(maximum)} must be a whole "
                f"number of minutes from 1 to {_MAX_FLEXIBLE_WINDOW_MINUTES} when mode is FLEXIBLE"
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
    resource_types=_SCHEDULE_TYPES,
)


# ---------------------------------------------------------------------------------------------
# schedule-frequency-bounds
# ---------------------------------------------------------------------------------------------


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
            yield f"{expression} never runs again (no matching date from today on)"
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
        "Use a schedule at least minimumIntervalMinutes apart (e.g. cron(0 6 * * ? *) daily), or "
        "raise minimumIntervalMinutes in the policy config for a team that needs it."
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
    resource_types=_SCHEDULE_TYPES,
)


# ---------------------------------------------------------------------------------------------
# schedule-target-dlq-retry (stack: which targets belong to schedule rules)
# ---------------------------------------------------------------------------------------------


def check_target_dlq_retry(stack: Stack, config: Mapping[str, Any]) -> Iterator[Finding]:
    schedule_rules = [rule for rule in stack.of_type(types.EVENT_RULE) if schedule_of(rule)]
    for target in stack.of_type(types.EVENT_TARGET):
        if config["requireForAllTargets"] or any(
            stack.refers_to(target, "rule", rule) for rule in schedule_rules
        ):
            for message in _target_problems(stack, target, target.props, "", config):
                yield Finding(message, target.urn)
    for schedule in stack.of_type(types.SCHEDULE):
        target = schedule.get("target")
        if target is UNKNOWN:
            yield Finding(cannot_verify("the schedule's target settings", "target"), schedule.urn)
            continue
        if not isinstance(target, dict):
            yield Finding("the schedule has no target", schedule.urn)
            continue
        for message in _target_problems(stack, schedule, target, "target.", config):
            yield Finding(message, schedule.urn)


def _target_problems(
    stack: Stack, owner: Resource, target: Mapping[str, Any], prefix: str, config: Mapping[str, Any]
) -> Iterator[str]:
    dlq = target.get("deadLetterConfig")
    arn = dlq.get("arn") if isinstance(dlq, dict) else None
    if dlq is UNKNOWN or arn is UNKNOWN:
        queues = [
            dependency
            for key in (f"{prefix}deadLetterConfig", prefix.rstrip(".") or "deadLetterConfig")
            for dependency in stack.dependencies_of(owner, key)
            if dependency.type == types.SQS_QUEUE
        ]
        if not queues:
            yield cannot_verify(
                "that the dead-letter queue is an SQS queue", f"{prefix}deadLetterConfig.arn"
            )
    elif not isinstance(arn, str) or not arn:
        yield (
            f"{prefix}deadLetterConfig is missing: events that cannot be delivered after the "
            "retries are dropped silently; add an SQS dead-letter queue (and alarm on it)"
        )
    elif ":sqs:" not in arn:
        yield f"{prefix}deadLetterConfig.arn {arn!r} is not an SQS queue ARN"
    if config["requireRetryPolicy"]:
        yield from _retry_problems(target.get("retryPolicy"), prefix)


def _retry_problems(retry: Any, prefix: str) -> Iterator[str]:
    if retry is UNKNOWN:
        return  # presence is what matters; AWS validates the numbers at deploy time
    if not isinstance(retry, dict):
        yield (
            f"{prefix}retryPolicy is missing: set maximumRetryAttempts and "
            "maximumEventAgeInSeconds explicitly so a transient failure is retried a known "
            "number of times before the event goes to the dead-letter queue"
        )
        return
    for key, (low, high) in (
        ("maximumEventAgeInSeconds", _RETRY_AGE_SECONDS),
        ("maximumRetryAttempts", _RETRY_ATTEMPTS),
    ):
        value = retry.get(key)
        if value is None or value is UNKNOWN:
            continue
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not low <= value <= high
        ):
            yield f"{prefix}retryPolicy.{key} {describe(value)} must be {low}-{high}"


TARGET_DLQ_RETRY = PolicyDoc(
    name="schedule-target-dlq-retry",
    family=FAMILY,
    description="Schedule targets (rule targets and Scheduler targets) have "
    "an SQS dead-letter queue and an explicit retry policy.",
    why=(
        "When EventBridge cannot invoke the orchestrator (throttling, a deleted function, a "
        "permission mistake) the scheduled run is dropped after the retries; with a DLQ the "
        "missed run is kept and can alarm."
    ),
    remediation=(
        "Give the EventTarget / Schedule target `dead_letter_config={'arn': dlq.arn}` (SQS, "
        "`<base>-schedule-dlq`) and `retry_policy={'maximum_retry_attempts': N, "
        "'maximum_event_age_in_seconds': S}`, and alarm on the queue."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config={
        "requireRetryPolicy": {
            "type": "boolean",
            "default": True,
            "description": "Require an explicit retry policy on schedule targets.",
        },
        "requireForAllTargets": {
            "type": "boolean",
            "default": False,
            "description": "Apply to every EventTarget, not only targets of schedule rules.",
        },
    },
)


POLICIES: Final[list[RetrainingPolicy]] = [
    RetrainingResourcePolicy(EXPRESSION_VALID, check_expression_valid),
    RetrainingResourcePolicy(FREQUENCY_BOUNDS, check_frequency),
    RetrainingStackPolicy(TARGET_DLQ_RETRY, check_target_dlq_retry),
]
