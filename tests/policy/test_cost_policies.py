"""Capacity arithmetic, run counting across daylight saving, the per-environment guardrails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import policy_fixtures as fx
import pytest
from policy_harness import UNKNOWN, Diagnostic, FixtureResource, InProcessPack, by_policy
from retraining_policies import training_capacity as capacity
from retraining_policies.cost import instance_hours
from retraining_policies.framework import Resource, Stack, plain, read_config
from retraining_policies.schedules import grammar

UTC = dt.UTC


def messages(diagnostics: list[Diagnostic], policy: str) -> list[str]:
    return [d.message.split("\n", 1)[-1] for d in by_policy(diagnostics, policy)]


def lambda_stack(
    *, schedule: str = "cron(0 6 * * ? *)", environment: str = "dev", **spec: Any
) -> list[FixtureResource]:
    """The Lambda fixture stack with its schedule, spec and environment tag replaced."""
    tags = {**fx.TAGS, "environment": environment}
    resources = fx.edit(fx.EVENT_RULE, "schedule", scheduleExpression=schedule)(
        fx.retraining_lambda()
    )
    return fx.edit(
        fx.FUNCTION,
        "orchestrator",
        environment=fx.lambda_environment(fx.training_spec(**spec)),
        tags=tags,
    )(resources)


def gpu(count: int, instance_type: str = "ml.g5.48xlarge") -> dict[str, Any]:
    return {"InstanceType": instance_type, "InstanceCount": count, "VolumeSizeInGB": 50}


# ---------------------------------------------------------------------------------------------
# Runs in the window: cron, rate, at, time zones and daylight saving
# ---------------------------------------------------------------------------------------------

START = dt.datetime(2026, 3, 15, tzinfo=UTC)
END = START + dt.timedelta(days=capacity.WINDOW_DAYS)


@pytest.mark.parametrize(
    ("expression", "kind", "timezone", "runs"),
    [
        ("cron(0 6 * * ? *)", "rule", "UTC", 30),
        ("cron(0 * * * ? *)", "rule", "UTC", 720),
        ("cron(30 5 ? * MON *)", "scheduler", "Europe/Berlin", 5),  # 16, 23, 30 Mar, 6, 13 Apr
        ("rate(1 hour)", "rule", "UTC", 720),
        ("rate(7 days)", "scheduler", "UTC", 4),
        ("at(2026-03-20T10:00:00)", "scheduler", "Europe/Berlin", 1),
        ("at(2026-05-20T10:00:00)", "scheduler", "Europe/Berlin", 0),  # after the window
        ("at(2026-03-01T10:00:00)", "scheduler", "UTC", 0),  # before it
    ],
)
def test_runs_in_the_window(expression: str, kind: Any, timezone: str, runs: int) -> None:
    assert len(grammar.run_times_between(expression, kind, START, END, timezone)) == runs


def test_a_wall_clock_time_the_spring_change_skips_does_not_run() -> None:
    # Europe/Berlin moves from 02:00 to 03:00 on 2026-03-29: 02:30 does not exist that day.
    runs = grammar.run_times_between("cron(30 2 * * ? *)", "scheduler", START, END, "Europe/Berlin")
    assert len(runs) == 29
    assert dt.date(2026, 3, 29) not in {run.date() for run in runs}
    daily_at_three = grammar.run_times_between(
        "cron(30 3 * * ? *)", "scheduler", START, END, "Europe/Berlin"
    )
    assert len(daily_at_three) == 30


def test_a_repeated_autumn_hour_runs_once() -> None:
    # America/New_York repeats 01:00-02:00 on 2026-11-01: an hourly cron runs 01:00 once.
    start = dt.datetime(2026, 10, 20, tzinfo=UTC)
    end = start + dt.timedelta(days=capacity.WINDOW_DAYS)
    hourly = grammar.run_times_between(
        "cron(0 * * * ? *)", "scheduler", start, end, "America/New_York"
    )
    # 720 real hours; the wall-clock hour 01:00 that happens twice runs once.
    assert len(hourly) == 719
    assert sum(1 for run in hourly if run.date() == dt.date(2026, 11, 1) and run.hour == 1) == 1


def test_rate_counts_from_the_start_of_the_window() -> None:
    runs = grammar.run_times_between("rate(12 hours)", "rule", START, END)
    assert runs[0] == START + dt.timedelta(hours=12)
    assert runs[-1] == END
    assert len(runs) == 60


# ---------------------------------------------------------------------------------------------
# The arithmetic and the prices
# ---------------------------------------------------------------------------------------------


def test_capacity_is_runs_times_instances_times_max_runtime() -> None:
    fields, problems = capacity.job_fields(fx.training_spec(ResourceConfig=gpu(8)))
    assert problems == []
    assert fields == ("ml.g5.48xlarge", 8, 14400, True)
    job = capacity.JobCapacity(720, *fields)  # type: ignore[misc]
    assert job.max_instance_hours == 720 * 8 * 4
    assert job.max_monthly_cost_usd is None  # no price configured: hours only
    assert job.to_json("")["maxMonthlyCostUsd"] is None


def test_on_demand_and_spot_costs_come_only_from_configured_prices() -> None:
    prices = capacity.read_prices(
        {"ml.m5.xlarge": {"onDemand": 0.25, "spot": 0.1}, "ml.c5.xlarge": {"spot": 0.1}}
    )
    assert set(prices) == {"ml.m5.xlarge"}  # an entry without an on-demand price is ignored
    spot = capacity.JobCapacity(30, "ml.m5.xlarge", 2, 7200, True, prices["ml.m5.xlarge"])
    assert spot.max_instance_hours == 120
    assert spot.max_monthly_cost_usd == pytest.approx(30.0)
    assert spot.max_monthly_spot_cost_usd == pytest.approx(12.0)
    on_demand = capacity.JobCapacity(30, "ml.m5.xlarge", 2, 7200, False, prices["ml.m5.xlarge"])
    assert on_demand.max_monthly_spot_cost_usd is None  # on-demand jobs have no spot bound
    assert on_demand.to_json("AWS Price List, us-east-1, 2026-11-30")["priceSource"] == (
        "AWS Price List, us-east-1, 2026-11-30"
    )


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"ResourceConfig": {"InstanceCount": 1}}, "ResourceConfig.InstanceType"),
        ({"ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount.$": "$.n"}}, "Count"),
        ({"ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1}}, "MaxRuntime"),
    ],
)
def test_capacity_needs_known_fields(spec: dict[str, Any], problem: str) -> None:
    fields, problems = capacity.job_fields(spec)
    assert fields is None
    assert any(problem in p for p in problems)


# ---------------------------------------------------------------------------------------------
# The guardrails, per environment
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pack() -> InProcessPack:
    return InProcessPack()


def test_an_hourly_schedule_on_eight_gpus_is_refused_in_dev_with_the_figures(
    pack: InProcessPack,
) -> None:
    stack = lambda_stack(schedule="rate(1 hour)", ResourceConfig=gpu(8))
    [message] = messages(pack.analyze_stack(stack), "cost-instance-hours-budget")
    assert "720 runs in 30 days x 8 x ml.g5.48xlarge x 4 h max runtime" in message
    assert "= 23,040 instance-hours a month at most (spot)" in message
    assert "exceeds the dev limit (maxInstanceHoursPerMonth.dev) of 200" in message


@pytest.mark.parametrize(("environment", "refused"), [("dev", True), ("prod", False)])
def test_the_budget_depends_on_the_environment(
    pack: InProcessPack, environment: str, refused: bool
) -> None:
    # 30 daily runs x 2 x 4 h = 240 instance-hours: over dev's 200, within prod's 5000.
    stack = lambda_stack(environment=environment, ResourceConfig=gpu(2, "ml.m5.xlarge"))
    found = messages(pack.analyze_stack(stack), "cost-instance-hours-budget")
    assert bool(found) is refused


def test_an_unnamed_environment_gets_the_star_limit(pack: InProcessPack) -> None:
    stack = lambda_stack(environment="qa", ResourceConfig=gpu(2, "ml.m5.xlarge"))
    [message] = messages(pack.analyze_stack(stack), "cost-instance-hours-budget")
    assert "the limit for environment 'qa' (not configured by name) " in message
    assert "(maxInstanceHoursPerMonth.*) of 200" in message


def test_configured_prices_appear_in_the_message() -> None:
    config = {
        "cost-instance-hours-budget": {
            "pricesUsdPerHour": {"ml.g5.48xlarge": {"onDemand": 20.0}},
            "maxInstanceHoursPerMonth": {"*": 100},
        }
    }
    stack = lambda_stack(schedule="rate(1 hour)", ResourceConfig=gpu(8))
    [message] = messages(InProcessPack(config).analyze_stack(stack), "cost-instance-hours-budget")
    assert "(up to $460,800 on demand at the configured price)" in message
    assert "(maxInstanceHoursPerMonth.*) of 100" in message


def test_an_unknown_schedule_cannot_be_verified(pack: InProcessPack) -> None:
    stack = fx.edit(fx.EVENT_RULE, "schedule", scheduleExpression=UNKNOWN)(fx.retraining_lambda())
    [message] = messages(pack.analyze_stack(stack), "cost-instance-hours-budget")
    assert message.startswith("cannot verify how often the schedule runs")


def test_the_budget_can_be_exempted_with_a_reason_and_expiry(pack: InProcessPack) -> None:
    stack = lambda_stack(schedule="rate(1 hour)", ResourceConfig=gpu(8))
    expires = (dt.datetime.now(UTC).date() + dt.timedelta(days=30)).isoformat()
    stack = fx.edit(
        fx.FUNCTION,
        "orchestrator",
        tags={
            **fx.TAGS,
            "policy-exemption:cost-instance-hours-budget": f"{expires}:load test, RET-99",
        },
    )(stack)
    diagnostics = pack.analyze_stack(stack)
    assert by_policy(diagnostics, "cost-instance-hours-budget") == []
    assert any("load test, RET-99" in d.message for d in diagnostics)


@pytest.mark.parametrize(
    ("policy", "build", "expected"),
    [
        (
            "cost-instance-count-limit",
            lambda: lambda_stack(ResourceConfig=gpu(3, "ml.m5.xlarge")),
            "InstanceCount 3 exceeds the dev limit (maxInstanceCount.dev) of 2",
        ),
        (
            "cost-max-runtime-limit",
            lambda: lambda_stack(
                StoppingCondition={"MaxRuntimeInSeconds": 36000, "MaxWaitTimeInSeconds": 72000}
            ),
            "36000 (10.0 h) exceeds the dev limit (maxRuntimeSeconds.dev) of 28800 (8.0 h)",
        ),
        (
            "cost-spot-required",
            lambda: lambda_stack(EnableManagedSpotTraining=False),
            "EnableManagedSpotTraining is False, but environment dev requires managed spot",
        ),
        (
            "cost-instance-types-allowed",
            lambda: lambda_stack(ResourceConfig=gpu(1, "ml.p5.48xlarge")),
            "instance type ml.p5.48xlarge is not allowed by the dev limit",
        ),
        (
            "sagemaker-instance-type-exists",
            lambda: lambda_stack(ResourceConfig=gpu(1, "ml.m5.3xlarge")),
            "'ml.m5.3xlarge' is not a SageMaker training instance type",
        ),
    ],
)
def test_each_guardrail_names_the_figure_the_limit_and_the_fix(
    pack: InProcessPack, policy: str, build: Callable[[], list[FixtureResource]], expected: str
) -> None:
    function = next(r for r in build() if r.type == fx.FUNCTION)
    [message] = messages(pack.analyze(function), policy)
    assert expected in message
    assert "Fix:" in message or "did you mean" in message


@pytest.mark.parametrize(
    ("policy", "spec"),
    [
        ("cost-instance-count-limit", {"ResourceConfig": gpu(8, "ml.m5.xlarge")}),
        ("cost-spot-required", {"EnableManagedSpotTraining": False}),
        ("cost-instance-types-allowed", {"ResourceConfig": gpu(1, "ml.p5.48xlarge")}),
        ("cost-max-runtime-limit", {"StoppingCondition": {"MaxRuntimeInSeconds": 86400}}),
    ],
)
def test_what_dev_refuses_prod_allows_by_default(
    pack: InProcessPack, policy: str, spec: dict[str, Any]
) -> None:
    def findings(environment: str) -> list[str]:
        stack = lambda_stack(environment=environment, **spec)
        function = next(r for r in stack if r.type == fx.FUNCTION)
        return messages(pack.analyze(function), policy)

    assert findings("dev") != [], f"{policy} must refuse this spec in dev"
    assert findings("prod") == []


def test_the_budget_counts_runs_from_the_window_start_it_is_given() -> None:
    config, problems = read_config(instance_hours.DOC, {})
    assert problems == ()
    config = {**config, "maxInstanceHoursPerMonth": {"*": 1}}
    nightly = fx.edit(fx.SCHEDULE, "schedule", scheduleExpression="cron(30 2 * * ? *)")(
        fx.retraining_step_functions()
    )
    stack = Stack([Resource(r.type, r.urn, r.name, plain(dict(r.props))) for r in nightly])
    # Europe/Berlin skips 02:30 on 2026-03-29, inside a window starting 2026-03-15 only.
    [in_march] = instance_hours.check(stack, config, now=START)
    assert "29 runs in 30 days" in in_march.message
    [in_may] = instance_hours.check(stack, config, now=dt.datetime(2026, 5, 1, tzinfo=UTC))
    assert "30 runs in 30 days" in in_may.message
