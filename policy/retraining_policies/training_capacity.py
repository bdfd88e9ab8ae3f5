"""What a scheduled training job can use in a month: runs x instances x maximum runtime.

The one implementation of the arithmetic, used by the pack's cost guardrails and, through the
symlink `shared/retraining_shared/training_capacity.py`, by the offline plan's capacity report,
so the figure a reviewer reads in the plan is the figure the pack judges.

- **Runs**: the schedule's occurrences in the next `WINDOW_DAYS` days, counted by the schedule
  grammar's `run_times_between` in the schedule's time zone (daylight-saving changes included).
- **Billable time per run**: at most `StoppingCondition.MaxRuntimeInSeconds`, which SageMaker
  enforces on the training time; with managed spot the time spent waiting for capacity (up to
  MaxWaitTimeInSeconds) is not training time, so MaxRuntime bounds both.
- **Instance-hours** = runs x `ResourceConfig.InstanceCount` x MaxRuntime / 3600: an upper bound,
  never an estimate of what a run usually takes.
- **Cost**: only from prices someone configured (USD per instance-hour, per instance type, with
  the source they came from). No price is ever invented: a type without a configured price gets
  instance-hours only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeGuard, cast

WINDOW_DAYS: Final = 30
_CREATE_TRAINING_JOB: Final = re.compile(
    r"arn:[a-z-]+:states:::sagemaker:createTrainingJob(\.sync|\.waitForTaskToken)?"
)
SECONDS_PER_HOUR: Final = 3600

PRICES_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "description": (
        "USD per instance-hour by SageMaker training instance type, for the region you deploy "
        "to: {'ml.m5.xlarge': {'onDemand': 0.23, 'spot': 0.07}}. Used to put a cost beside the "
        "instance-hours; a type without a price gets instance-hours only."
    ),
    "additionalProperties": {
        "type": "object",
        "required": ["onDemand"],
        "additionalProperties": False,
        "properties": {
            "onDemand": {"type": "number", "exclusiveMinimum": 0},
            "spot": {"type": "number", "exclusiveMinimum": 0},
        },
    },
    "default": {},
}
PRICE_SOURCE_SCHEMA: Final[dict[str, Any]] = {
    "type": "string",
    "description": "Where the prices come from and when (e.g. 'AWS Price List, us-east-1, "
    "2026-11-30'); shown beside every cost.",
    "default": "",
}


@dataclass(frozen=True)
class Price:
    """USD per instance-hour for one instance type, as configured."""

    on_demand: float
    spot: float | None = None


@dataclass(frozen=True)
class JobCapacity:
    """The monthly upper bound of one scheduled training job."""

    runs_per_month: int
    instance_type: str
    instance_count: int
    max_runtime_seconds: int
    spot: bool
    price: Price | None = None

    @property
    def max_instance_hours(self) -> float:
        return (
            self.runs_per_month * self.instance_count * self.max_runtime_seconds / SECONDS_PER_HOUR
        )

    @property
    def max_monthly_cost_usd(self) -> float | None:
        """On-demand price x instance-hours, when a price is configured."""
        return None if self.price is None else self.max_instance_hours * self.price.on_demand

    @property
    def max_monthly_spot_cost_usd(self) -> float | None:
        """Spot price x instance-hours, for a spot job whose spot price is configured."""
        if not self.spot or self.price is None or self.price.spot is None:
            return None
        return self.max_instance_hours * self.price.spot

    def to_json(self, price_source: str) -> dict[str, Any]:
        """The plan report's `capacity` object (tools/offline_plan/report.schema.json)."""
        cost = self.max_monthly_cost_usd
        spot_cost = self.max_monthly_spot_cost_usd
        return {
            "windowDays": WINDOW_DAYS,
            "runsPerMonth": self.runs_per_month,
            "instanceType": self.instance_type,
            "instanceCount": self.instance_count,
            "maxRuntimeSeconds": self.max_runtime_seconds,
            "maxInstanceHoursPerMonth": round(self.max_instance_hours, 2),
            "spot": self.spot,
            "maxMonthlyCostUsd": None if cost is None else round(cost, 2),
            "maxMonthlySpotCostUsd": None if spot_cost is None else round(spot_cost, 2),
            "priceSource": price_source if self.price is not None else None,
        }

    def describe(self) -> str:
        """One line: how the figure is made, so a reviewer can check it."""
        hours = format_hours(self.max_instance_hours)
        return (
            f"{self.runs_per_month} runs in {WINDOW_DAYS} days x {self.instance_count} x "
            f"{self.instance_type} x {format_hours(self.max_runtime_seconds / SECONDS_PER_HOUR)} "
            f"h max runtime = {hours} instance-hours a month at most "
            f"({'spot' if self.spot else 'on-demand'})"
        )


def format_hours(hours: float) -> str:
    return f"{hours:,.0f}" if hours >= 10 or hours == int(hours) else f"{hours:,.2f}"


def training_tasks(machine: Any) -> Iterator[tuple[str, Any]]:
    """(state name, Parameters) of every createTrainingJob Task of a parsed Step Functions
    definition, nested Parallel branches and Map iterators included."""
    states = machine.get("States") if isinstance(machine, Mapping) else None
    if not isinstance(states, Mapping):
        return
    for name, state in states.items():
        if not isinstance(state, Mapping):
            continue
        resource = state.get("Resource")
        if (
            state.get("Type") == "Task"
            and isinstance(resource, str)
            and _CREATE_TRAINING_JOB.fullmatch(resource)
        ):
            yield str(name), state.get("Parameters")
        branches = state.get("Branches")
        for branch in branches if isinstance(branches, list) else []:
            yield from training_tasks(branch)
        for key in ("Iterator", "ItemProcessor"):
            yield from training_tasks(state.get(key))


def job_fields(spec: Mapping[str, Any]) -> tuple[tuple[str, int, int, bool] | None, list[str]]:
    """(instance type, count, max runtime seconds, spot) of a CreateTrainingJob-shaped spec,
    or None and the reasons the figure cannot be computed (a field missing or not known)."""
    resource = spec.get("ResourceConfig")
    stopping = spec.get("StoppingCondition")
    resource = resource if isinstance(resource, Mapping) else {}
    stopping = stopping if isinstance(stopping, Mapping) else {}
    instance_type = resource.get("InstanceType")
    count = resource.get("InstanceCount")
    runtime = stopping.get("MaxRuntimeInSeconds")
    spot = spec.get("EnableManagedSpotTraining", False)
    problems: list[str] = []
    if not isinstance(instance_type, str) or not instance_type:
        problems.append("ResourceConfig.InstanceType is not a known string")
    if not _whole_positive(count):
        problems.append("ResourceConfig.InstanceCount is not a known positive number")
    if not _whole_positive(runtime):
        problems.append("StoppingCondition.MaxRuntimeInSeconds is not a known positive number")
    if not isinstance(spot, bool):
        problems.append("EnableManagedSpotTraining is not a known boolean")
    known = (
        isinstance(instance_type, str)
        and _whole_positive(count)
        and _whole_positive(runtime)
        and isinstance(spot, bool)
    )
    if problems or not known:
        return None, problems
    return (str(instance_type), int(cast(float, count)), int(cast(float, runtime)), spot), []


def _whole_positive(value: Any) -> TypeGuard[float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 1
    )


def read_prices(raw: Any) -> dict[str, Price]:
    """The configured price map (already schema-checked by the caller) as `Price` objects;
    entries without a positive on-demand price are ignored, never guessed."""
    prices: dict[str, Price] = {}
    if not isinstance(raw, Mapping):
        return prices
    for instance_type, entry in raw.items():
        if not isinstance(entry, Mapping):
            continue
        on_demand, spot = entry.get("onDemand"), entry.get("spot")
        if not _positive(on_demand):
            continue
        prices[str(instance_type)] = Price(
            float(on_demand), float(spot) if _positive(spot) else None
        )
    return prices


def _positive(value: Any) -> TypeGuard[float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )
