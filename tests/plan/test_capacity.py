"""The plan's capacity report: per stack in the box and the JSON, the total and the prices used."""

from __future__ import annotations

import datetime as dt
import json
from functools import partial
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from offline_plan import planner
from offline_plan.capacity import attach_capacity, stack_capacity
from offline_plan.mock_runtime import UNKNOWN
from offline_plan.report import PlannedResource, PlanReport, StackPlan
from plan_harness import SCHEMA, PlanOutcome, run_cli

# The module-scoped plans run once per test run: `nox -s tests` passes --dist loadgroup, so
# every test of this module runs on one xdist worker.
pytestmark = pytest.mark.xdist_group(__name__)

REPOSITORY = Path(__file__).parents[2]
STACKS = REPOSITORY / "stacks"
PACK = REPOSITORY / "policy"
LAMBDA_TEAM_STACK = STACKS / "retraining" / "Pulumi.fraud-scoring-dev.yaml"
# Test values, not AWS prices: the plan must carry whatever is configured, and nothing else.
PRICES = {"ml.m5.2xlarge": {"onDemand": 0.5, "spot": 0.2}}
PRICE_SOURCE = "test prices, not AWS's"


@pytest.fixture(scope="module")
def priced(tmp_path_factory: pytest.TempPathFactory) -> PlanOutcome:
    folder = tmp_path_factory.mktemp("capacity")
    config = folder / "policy-config.json"
    config.write_text(
        json.dumps(
            {
                "cost-instance-hours-budget": {
                    "pricesUsdPerHour": PRICES,
                    "priceSource": PRICE_SOURCE,
                }
            }
        )
    )
    base = ["--stacks-dir", str(STACKS), "--policy-pack", str(PACK)]
    # The window starts at START (a Sunday), not at the wall clock, so run counts are exact.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(planner, "attach_capacity", partial(attach_capacity, start=START))
        outcome = run_cli(
            [*base, "--env", "dev", "--policy-pack-config", str(config)], folder / "r.json"
        )
    assert outcome.report["capacity"]["windowStart"] == "2026-03-15T00:00:00Z", "start not fixed"
    return outcome


@pytest.fixture(scope="module")
def hourly_gpus(tmp_path_factory: pytest.TempPathFactory) -> PlanOutcome:
    """The fraud team's stack under review: hourly, on 8 x ml.g5.48xlarge, in dev."""
    folder = tmp_path_factory.mktemp("review")
    text = LAMBDA_TEAM_STACK.read_text()
    for old in ("cron(0 6 * * ? *)", "instanceType: ml.m5.2xlarge", "instanceCount: 1"):
        assert old in text, "the fixture edit below no longer applies"
    review = folder / LAMBDA_TEAM_STACK.name
    review.write_text(
        text.replace("cron(0 6 * * ? *)", "cron(0 * * * ? *)")
        .replace("instanceType: ml.m5.2xlarge", "instanceType: ml.g5.48xlarge")
        .replace("instanceCount: 1", "instanceCount: 8")
    )
    base = ["--stacks-dir", str(STACKS), "--policy-pack", str(PACK)]
    return run_cli([*base, "--stack-config", str(review)], folder / "r.json")


def test_each_shipped_retraining_stack_reports_its_capacity(priced: PlanOutcome) -> None:
    fraud = priced.stack("fraud-scoring-dev")["capacity"]
    # Daily at 06:00 UTC: 30 runs in any 30 days; 1 x ml.m5.2xlarge x 7200 s; spot.
    assert fraud == {
        "windowDays": 30,
        "runsPerMonth": 30,
        "instanceType": "ml.m5.2xlarge",
        "instanceCount": 1,
        "maxRuntimeSeconds": 7200,
        "maxInstanceHoursPerMonth": 60.0,
        "spot": True,
        "maxMonthlyCostUsd": 30.0,
        "maxMonthlySpotCostUsd": 12.0,
        "priceSource": PRICE_SOURCE,
    }
    churn = priced.stack("churn-forecast-dev")["capacity"]
    # Mondays 05:30 Europe/Berlin from Sunday 2026-03-15: 16, 23, 30 March, 6 and 13 April;
    # 2 x ml.g5.2xlarge x 21600 s; no price.
    assert churn["runsPerMonth"] == 5
    assert churn["maxInstanceHoursPerMonth"] == 5 * 2 * 6
    assert churn["maxMonthlyCostUsd"] is None
    assert churn["priceSource"] is None
    assert priced.stack("dev", "network-iam")["capacity"] is None


def test_the_plan_says_which_prices_it_used(priced: PlanOutcome) -> None:
    summary = priced.report["capacity"]
    assert summary["priceSource"] == PRICE_SOURCE
    assert summary["pricedInstanceTypes"] == ["ml.m5.2xlarge"]
    churn = priced.stack("churn-forecast-dev")["capacity"]["maxInstanceHoursPerMonth"]
    assert summary["maxInstanceHoursPerMonthByInstanceType"] == {
        "ml.g5.2xlarge": churn,
        "ml.m5.2xlarge": 60.0,
    }
    assert summary["maxInstanceHoursPerMonth"] == 60.0 + churn
    text = " ".join(priced.text.replace("│", " ").split())  # the boxes wrap lines
    assert "Capacity: 30 runs in 30 days x 1 x ml.m5.2xlarge x 2 h max runtime" in text
    assert "at most $30.00 on demand, $12.00 at the configured spot price" in text
    assert "no price configured for ml.g5.2xlarge" in text
    assert f"prices: {PRICE_SOURCE} (1 instance types)" in text
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(priced.report)


def test_an_hourly_schedule_on_eight_gpus_in_dev_is_refused_with_the_figures(
    hourly_gpus: PlanOutcome,
) -> None:
    assert hourly_gpus.exit_code == 1
    capacity = hourly_gpus.stack("fraud-scoring-dev")["capacity"]
    assert capacity["runsPerMonth"] == 720
    assert capacity["maxInstanceHoursPerMonth"] == 720 * 8 * 2
    [budget] = hourly_gpus.diagnostics("cost-instance-hours-budget")
    assert budget["level"] == "mandatory"
    assert "= 11,520 instance-hours a month at most (spot)" in budget["message"]
    assert "the dev limit (maxInstanceHoursPerMonth.dev) of 200" in budget["message"]


# ---------------------------------------------------------------------------------------------
# stack_capacity on hand-made plans
# ---------------------------------------------------------------------------------------------

START = dt.datetime(2026, 3, 15, tzinfo=dt.UTC)
SPEC = {
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}


def _resource(type_token: str, name: str, inputs: dict[str, Any]) -> PlannedResource:
    return PlannedResource(
        urn=f"urn:pulumi:dev::retraining::{type_token}::{name}",
        type=type_token,
        name=name,
        parent=None,
        operation="create",
        custom=True,
        inputs=inputs,
    )


def _stack(*resources: PlannedResource) -> StackPlan:
    return StackPlan(
        project="retraining",
        stack="t-m-dev",
        organization="organization",
        config_file="Pulumi.t-m-dev.yaml",
        role="target",
        resources=list(resources),
    )


def _machine(*specs: dict[str, Any]) -> PlannedResource:
    states = {
        f"Train{index}": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
            "Parameters": spec,
            "End": True,
        }
        for index, spec in enumerate(specs)
    }
    definition = {"StartAt": "Train0", "States": states}
    return _resource(
        "aws:sfn/stateMachine:StateMachine", "m", {"definition": json.dumps(definition)}
    )


def _scheduler(expression: Any, timezone: str = "Europe/Berlin") -> PlannedResource:
    return _resource(
        "aws:scheduler/schedule:Schedule",
        "s",
        {"scheduleExpression": expression, "scheduleExpressionTimezone": timezone},
    )


def test_a_step_functions_task_in_a_time_zone_with_a_dst_change() -> None:
    # 02:30 Berlin does not exist on 2026-03-29: 29 nightly runs.
    job, note = stack_capacity(_stack(_scheduler("cron(30 2 * * ? *)"), _machine(SPEC)), {}, START)
    assert note is None
    assert job is not None
    assert (job.runs_per_month, job.instance_count, job.spot) == (29, 2, False)
    assert job.max_instance_hours == 58


def test_a_stack_without_a_schedule_or_a_spec_has_no_capacity() -> None:
    assert stack_capacity(_stack(_machine(SPEC)), {}, START) == (None, None)
    assert stack_capacity(_stack(_scheduler("rate(1 day)")), {}, START) == (None, None)


@pytest.mark.parametrize(
    ("resources", "reason"),
    [
        ((_scheduler(UNKNOWN), _machine(SPEC)), "the schedule is unknown at preview"),
        ((_scheduler("rate(1 day)"), _machine(SPEC, SPEC)), "2 training specs in one stack"),
        (
            (_scheduler("rate(1 day)"), _machine({"ResourceConfig": {"InstanceCount.$": "$.n"}})),
            "ResourceConfig.InstanceType is not a known string",
        ),
    ],
)
def test_why_capacity_is_not_computed_is_said(
    resources: tuple[PlannedResource, ...], reason: str
) -> None:
    report = PlanReport(environment="dev", stacks=[_stack(*resources)])
    attach_capacity(report, None, START)
    stack = report.stacks[0]
    assert stack.capacity is None
    assert any(reason in warning for warning in stack.warnings)
    assert report.capacity is not None
    assert report.capacity["maxInstanceHoursPerMonth"] == 0
