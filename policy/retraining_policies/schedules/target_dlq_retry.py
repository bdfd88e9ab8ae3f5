"""schedule-target-dlq-retry: schedule targets have an SQS DLQ and a retry policy."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    Finding,
    PolicyDoc,
    Resource,
    RetrainingStackPolicy,
    Stack,
    cannot_verify,
    describe,
)
from retraining_policies.schedules.expressions import (
    FAMILY,
    RETRY_AGE_SECONDS,
    RETRY_ATTEMPTS,
    schedule_of,
)


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
        ("maximumEventAgeInSeconds", RETRY_AGE_SECONDS),
        ("maximumRetryAttempts", RETRY_ATTEMPTS),
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

POLICY = RetrainingStackPolicy(TARGET_DLQ_RETRY, check_target_dlq_retry)
