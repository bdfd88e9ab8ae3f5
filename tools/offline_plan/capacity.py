"""What each planned stack's schedule can spend: maximum instance-hours a month, and its cost
when prices are configured.

Computed from what the stack would create, as the pack sees it: the schedule resources
(EventBridge rule `scheduleExpression`, Scheduler `scheduleExpression` in
`scheduleExpressionTimezone`) and the training spec (the Lambda orchestrator's `TRAINING_SPEC`
variable or the Step Functions createTrainingJob Task). Runs are counted by the shared schedule
grammar and the figure is made by `retraining_shared.training_capacity`, the module the pack's
`cost-instance-hours-budget` uses: the plan shows the number the pack judges.

Prices come from the `cost-instance-hours-budget` entry of `--policy-pack-config`
(`pricesUsdPerHour`, `priceSource`). No price table is bundled: the AWS Price List is not
reachable offline and no package on PyPI ships SageMaker training prices we could trust, and a
price typed from memory would be invented. Without a price the plan gives instance-hours only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retraining_shared import schedule_grammar as grammar
from retraining_shared import training_capacity as capacity
from retraining_shared.orchestrator_contract import ENV_TRAINING_SPEC

from offline_plan.mock_runtime import UNKNOWN
from offline_plan.policy_config import PolicyConfigError, load_policy_pack_config
from offline_plan.report import PlanReport, StackPlan

BUDGET_POLICY = "cost-instance-hours-budget"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
SCHEDULE = "aws:scheduler/schedule:Schedule"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"


@dataclass
class CapacitySummary:
    """The plan-wide part: the window, the prices used, the total."""

    window_start: dt.datetime
    price_source: str | None
    priced_instance_types: list[str] = field(default_factory=list)
    max_instance_hours: float = 0.0
    hours_by_instance_type: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "windowStart": self.window_start.isoformat().replace("+00:00", "Z"),
            "windowDays": capacity.WINDOW_DAYS,
            "maxInstanceHoursPerMonth": round(self.max_instance_hours, 2),
            "maxInstanceHoursPerMonthByInstanceType": {
                name: round(hours, 2) for name, hours in sorted(self.hours_by_instance_type.items())
            },
            "priceSource": self.price_source,
            "pricedInstanceTypes": self.priced_instance_types,
        }

    def describe(self) -> str:
        prices = (
            f"prices: {self.price_source or 'no source given'} "
            f"({len(self.priced_instance_types)} instance types)"
            if self.priced_instance_types
            else f"prices: none configured ({BUDGET_POLICY}.pricesUsdPerHour in "
            "--policy-pack-config), instance-hours only"
        )
        by_type = ", ".join(
            f"{name} {capacity.format_hours(hours)}"
            for name, hours in sorted(self.hours_by_instance_type.items())
        )
        return (
            f"Capacity in the {capacity.WINDOW_DAYS} days from {self.window_start:%Y-%m-%d %H:%M} "
            f"UTC: at most {capacity.format_hours(self.max_instance_hours)} instance-hours"
            + (f" ({by_type})" if by_type else "")
            + f"; {prices}"
        )


def configured_prices(policy_config: Path | None) -> tuple[dict[str, capacity.Price], str | None]:
    """The price map and its source from the pack config file; empty when none is given.

    An unreadable file is reported by the planner's own loading of it; here it means no prices.
    """
    if policy_config is None:
        return {}, None
    try:
        entries = load_policy_pack_config(policy_config)
    except PolicyConfigError:
        return {}, None
    entry = entries.get(BUDGET_POLICY)
    properties: Mapping[str, Any] = entry.properties if entry is not None else {}
    prices = capacity.read_prices(properties.get("pricesUsdPerHour"))
    source = properties.get("priceSource")
    return prices, str(source) if isinstance(source, str) and source else None


def _schedules(stack: StackPlan) -> list[tuple[Any, grammar.ScheduleKind, Any]]:
    found: list[tuple[Any, grammar.ScheduleKind, Any]] = []
    for resource in stack.resources:
        expression = resource.inputs.get("scheduleExpression")
        if resource.type == EVENT_RULE and expression not in (None, ""):
            found.append((expression, "rule", "UTC"))
        elif resource.type == SCHEDULE:
            timezone = resource.inputs.get("scheduleExpressionTimezone") or "UTC"
            found.append((expression, "scheduler", timezone))
    return found


def _training_specs(stack: StackPlan) -> list[tuple[str, Any]]:
    specs: list[tuple[str, Any]] = []
    for resource in stack.resources:
        if resource.type == LAMBDA_FUNCTION:
            environment = resource.inputs.get("environment")
            variables = environment.get("variables") if isinstance(environment, dict) else None
            if isinstance(variables, dict) and ENV_TRAINING_SPEC in variables:
                specs.append((resource.name, _parsed(variables[ENV_TRAINING_SPEC])))
        elif resource.type == STATE_MACHINE:
            definition = _parsed(resource.inputs.get("definition"))
            specs.extend(
                (f"{resource.name} state {name}", parameters)
                for name, parameters in capacity.training_tasks(definition)
            )
    return specs


def _parsed(value: Any) -> Any:
    if not isinstance(value, str) or value == UNKNOWN:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return None


def stack_capacity(
    stack: StackPlan, prices: Mapping[str, capacity.Price], start: dt.datetime
) -> tuple[capacity.JobCapacity | None, str | None]:
    """The stack's scheduled training job's capacity, or None and why it is not computed (None
    when the stack schedules no training job at all)."""
    schedules, specs = _schedules(stack), _training_specs(stack)
    if not schedules or not specs:
        return None, None
    end = start + dt.timedelta(days=capacity.WINDOW_DAYS)
    runs = 0
    for expression, kind, timezone in schedules:
        if UNKNOWN in (expression, timezone):
            return None, "capacity not computed: the schedule is unknown at preview"
        try:
            runs += len(grammar.run_times_between(expression, kind, start, end, timezone))
        except (grammar.ScheduleExpressionError, TypeError) as error:
            return None, f"capacity not computed: {error}"
    if len(specs) > 1:
        return None, (
            f"capacity not computed: {len(specs)} training specs in one stack "
            f"({', '.join(label for label, _ in specs)}); the plan reports one scheduled "
            "training job per stack (the pack's budget counts every one)"
        )
    label, spec = specs[0]
    fields, problems = capacity.job_fields(spec if isinstance(spec, Mapping) else {})
    if fields is None:
        return None, f"capacity not computed for {label}: {'; '.join(problems)}"
    instance_type, count, runtime, spot = fields
    job = capacity.JobCapacity(runs, instance_type, count, runtime, spot, prices.get(instance_type))
    return job, None


def attach_capacity(
    report: PlanReport, policy_config: Path | None, start: dt.datetime | None = None
) -> None:
    """Fill each planned target stack's `capacity` and the report's capacity summary."""
    window_start = (start or dt.datetime.now(dt.UTC)).replace(second=0, microsecond=0)
    prices, source = configured_prices(policy_config)
    summary = CapacitySummary(window_start, source if prices else None, sorted(prices))
    for stack in report.stacks:
        if stack.status != "planned" or stack.role != "target":
            continue
        job, note = stack_capacity(stack, prices, window_start)
        if note is not None:
            stack.warnings.append(note)
        if job is None:
            continue
        stack.capacity = job.to_json(summary.price_source or "")
        stack.capacity_line = describe_job(job, summary.price_source)
        summary.max_instance_hours += job.max_instance_hours
        summary.hours_by_instance_type[job.instance_type] = (
            summary.hours_by_instance_type.get(job.instance_type, 0.0) + job.max_instance_hours
        )
    report.capacity = summary.to_json()
    report.capacity_line = summary.describe()


def describe_job(job: capacity.JobCapacity, price_source: str | None) -> str:
    cost = job.max_monthly_cost_usd
    spot_cost = job.max_monthly_spot_cost_usd
    if cost is None:
        priced = f"; no price configured for {job.instance_type}"
    else:
        priced = f"; at most ${cost:,.2f} on demand"
        if spot_cost is not None:
            priced += f", ${spot_cost:,.2f} at the configured spot price"
        priced += f" ({price_source or 'price source not given'})"
    return f"Capacity: {job.describe()}{priced}"
