"""The offline plan of the shipped stacks (stacks/) judged by the shipped pack (policy/).

This is what `nox -s plan` and CI run: every dev stack must plan, and pass the pack.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from offline_plan.mock_runtime import UNKNOWN
from plan_harness import SCHEMA, PlanOutcome, run_cli

# The module-scoped plans run once per test run: `nox -s tests` passes --dist loadgroup, so
# every test of this module runs on one xdist worker.
pytestmark = pytest.mark.xdist_group(__name__)

REPOSITORY = Path(__file__).parents[2]
STACKS = REPOSITORY / "stacks"
PACK = REPOSITORY / "policy"
LAMBDA_TEAM_STACK = STACKS / "retraining" / "Pulumi.fraud-scoring-dev.yaml"


def _plan(tmp_path_factory: pytest.TempPathFactory, *arguments: str) -> PlanOutcome:
    json_path = tmp_path_factory.mktemp("shipped") / "report.json"
    base = ["--stacks-dir", str(STACKS), "--policy-pack", str(PACK)]
    return run_cli([*base, *arguments], json_path)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> PlanOutcome:
    return _plan(tmp_path_factory, "--env", "dev")


@pytest.fixture(scope="module")
def bad_schedule(tmp_path_factory: pytest.TempPathFactory) -> PlanOutcome:
    """The fraud team's stack under review with a five-field (Unix) cron expression."""
    folder = tmp_path_factory.mktemp("review")
    text = LAMBDA_TEAM_STACK.read_text()
    assert "cron(0 6 * * ? *)" in text, "the fixture edit below no longer applies"
    review = folder / LAMBDA_TEAM_STACK.name
    review.write_text(text.replace("cron(0 6 * * ? *)", "cron(0 6 * * *)"))
    return _plan(tmp_path_factory, "--stack-config", str(review))


def test_every_shipped_dev_stack_is_planned_in_dependency_order(shipped: PlanOutcome) -> None:
    assert shipped.report["errors"] == [], shipped.text
    stacks = [(s["project"], s["status"]) for s in shipped.report["stacks"]]
    projects = [project for project, _ in stacks]
    assert projects[:2] == ["network-iam", "notifications"]
    assert set(projects[2:]) == {"retraining"}
    assert len(projects) >= 4
    assert {status for _, status in stacks} == {"planned"}


def test_shipped_dev_stacks_pass_the_policy_pack(shipped: PlanOutcome) -> None:
    mandatory = [
        f"{d['policy']} on {d['stack']} {d['resource_name']}: {d['message']}"
        for d in shipped.report["diagnostics"]
        if d["level"] == "mandatory"
    ]
    assert mandatory == []
    assert shipped.exit_code == 0, shipped.text


def test_shipped_report_matches_its_schema(shipped: PlanOutcome) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator(schema).validate(shipped.report)
    assert shipped.report["policy_pack"]["name"]
    analysed = sum(s["timings"]["resources_analyzed"] for s in shipped.report["stacks"])
    assert analysed >= shipped.report["summary"]["resources"]


def test_team_stack_reads_network_iam_key_by_key(shipped: PlanOutcome) -> None:
    """The orchestrator's role ARN is a deterministic network-iam export (known at preview);
    the team's KMS key ARN is provider-computed (unknown): each keeps its own knownness."""
    function = next(
        r
        for r in shipped.stack("fraud-scoring-dev")["resources"]
        if r["type"] == "aws:lambda/function:Function"
    )
    assert function["inputs"]["role"] == (
        "arn:aws:iam::123456789012:role/fraud-dev-lambda-orchestrator"
    )
    variables = function["inputs"]["environment"]["variables"]
    assert variables["TRAINING_KMS_KEY_ARN"] == UNKNOWN
    assert variables["NOTIFICATION_TOPIC_ARN"].endswith(":fraud-dev-retraining-notifications")


def test_broken_schedule_in_a_team_stack_exits_2_naming_the_key(bad_schedule: PlanOutcome) -> None:
    assert bad_schedule.exit_code == 2, bad_schedule.text
    [error] = bad_schedule.report["errors"]
    assert error["key"] == "retraining:schedule"
    assert error["file"].endswith("Pulumi.fraud-scoring-dev.yaml")
    assert "cron(0 6 * * *)" in error["message"]
    assert "retraining:schedule" in bad_schedule.text
    statuses = {s["project"]: s["status"] for s in bad_schedule.report["stacks"]}
    assert statuses == {
        "network-iam": "planned",
        "notifications": "planned",
        "retraining": "failed",
    }
