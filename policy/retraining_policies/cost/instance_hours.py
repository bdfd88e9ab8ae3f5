"""cost-instance-hours-budget: what a stack's schedule can spend in a month, bounded per env.

Stack policy: the figure needs the schedule (EventBridge rule or Scheduler schedule) and the
training spec (the orchestrator) together. Upper bound, as `training_capacity` explains: every
occurrence in the next 30 days (the schedule's time zone, daylight saving included) x
InstanceCount x MaxRuntime. With several schedules or specs in one stack, every schedule is
counted as starting every spec (never less than the truth).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies import training_capacity as capacity
from retraining_policies.cost.environments import (
    environment_of,
    limit_for,
    per_environment_schema,
    where,
)
from retraining_policies.framework import (
    UNKNOWN,
    Finding,
    PolicyDoc,
    RetrainingStackPolicy,
    Stack,
    cannot_verify,
)
from retraining_policies.schedules import grammar
from retraining_policies.schedules.expressions import schedule_of
from retraining_policies.training.specs import training_specs

FAMILY: Final = "cost-guardrails"
SETTING: Final = "maxInstanceHoursPerMonth"
DEFAULTS: Final = {"dev": 200, "staging": 1000, "prod": 5000, "*": 200}


def _runs(stack: Stack, start: dt.datetime) -> tuple[int, list[Finding]]:
    """Occurrences of all the stack's schedules in the window, and what could not be counted."""
    end = start + dt.timedelta(days=capacity.WINDOW_DAYS)
    runs, problems = 0, []
    for resource in stack.of_type(types.EVENT_RULE, types.SCHEDULE):
        schedule = schedule_of(resource)
        if schedule is None:
            continue
        expression, kind, timezone = schedule
        if expression is UNKNOWN or timezone is UNKNOWN:
            problems.append(
                Finding(
                    cannot_verify("how often the schedule runs", "scheduleExpression"), resource.urn
                )
            )
            continue
        try:
            runs += len(grammar.run_times_between(expression, kind, start, end, timezone))
        except (grammar.ScheduleExpressionError, TypeError):
            continue  # schedule-expression-valid reports an invalid expression
    return runs, problems


def check(
    stack: Stack, config: Mapping[str, Any], now: dt.datetime | None = None
) -> Iterator[Finding]:
    start = now or dt.datetime.now(dt.UTC)
    runs, problems = _runs(stack, start)
    yield from problems
    if runs == 0:
        return
    prices = capacity.read_prices(config["pricesUsdPerHour"])
    for resource in stack.of_type(types.LAMBDA_FUNCTION, types.STATE_MACHINE):
        environment = environment_of(resource)
        limit, key = limit_for(config[SETTING], environment)
        for label, spec, _variables in training_specs(resource):
            if not isinstance(spec, dict):
                if spec is UNKNOWN:
                    yield Finding(cannot_verify("the training job's capacity", label), resource.urn)
                continue  # a malformed spec is sagemaker-training-hardened's finding
            fields, unknown = capacity.job_fields(spec)
            if fields is None:
                yield Finding(
                    f"{label}: cannot compute the monthly instance-hours: {'; '.join(unknown)}",
                    resource.urn,
                )
                continue
            instance_type, count, runtime, spot = fields
            job = capacity.JobCapacity(
                runs, instance_type, count, runtime, spot, prices.get(instance_type)
            )
            if limit is None or job.max_instance_hours <= limit:
                continue
            cost = job.max_monthly_cost_usd
            priced = (
                f" (up to ${cost:,.0f} on demand at the configured price)"
                if cost is not None
                else ""
            )
            yield Finding(
                f"{label}: {job.describe()}{priced} exceeds {where(environment, key, SETTING)} "
                f"of {capacity.format_hours(float(limit))} instance-hours. Fix: schedule it less "
                "often, lower training.instanceCount or training.maxRuntimeSeconds, or raise "
                "the budget for this environment in --policy-pack-config",
                resource.urn,
            )


DOC = PolicyDoc(
    name="cost-instance-hours-budget",
    family=FAMILY,
    description="A stack's schedule x instances x maximum runtime stays within its "
    "environment's monthly instance-hour budget.",
    why=(
        "A cron typo turns a weekly retrain into an hourly one: eight GPU instances every "
        "hour is thousands of instance-hours a month, and nothing else in a preview shows it. "
        "The bound is computed from the schedule and the training spec, before anything runs."
    ),
    remediation=(
        "Run the schedule less often, use fewer instances or a shorter maxRuntimeSeconds, "
        "or raise the environment's maxInstanceHoursPerMonth in --policy-pack-config."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        SETTING: per_environment_schema(
            {"type": "number", "exclusiveMinimum": 0},
            DEFAULTS,
            "Largest maximum instance-hours a stack's training may use in 30 days.",
        ),
        "pricesUsdPerHour": capacity.PRICES_SCHEMA,
        "priceSource": capacity.PRICE_SOURCE_SCHEMA,
    },
)
POLICY: Final = RetrainingStackPolicy(DOC, check)
