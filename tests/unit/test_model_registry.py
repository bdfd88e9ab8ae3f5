"""The retraining stack's Model Package Group under Pulumi's mocks: created only with a gate,
named and tagged so that IAM and the policy pack can scope and judge it at preview."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from offline_plan.mock_runtime import StackRun, run_program
from retraining_shared import naming, quality_gate_tags

REPO = Path(__file__).parents[2]
STACKS = REPO / "stacks"
RETRAINING = STACKS / "retraining"
sys.path.insert(0, str(RETRAINING))

from retraining_stack import model_registry  # noqa: E402
from retraining_stack.config import QualityGateSettings  # noqa: E402
from retraining_stack.lambda_function import contract, model_gate  # noqa: E402

GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"


@pytest.fixture(scope="module")
def references() -> Mapping[str, Mapping[str, Any]]:
    network = run_program(STACKS / "network-iam", "dev", preview=True)
    notifications = run_program(
        STACKS / "notifications",
        "dev",
        preview=True,
        stack_references={network.full_name: network.outputs},
    )
    return {network.full_name: network.outputs, notifications.full_name: notifications.outputs}


def retraining(
    references: Mapping[str, Mapping[str, Any]], stack: str, **overrides: Any
) -> StackRun:
    return run_program(
        RETRAINING,
        stack,
        preview=True,
        stack_references=references,
        config_overrides=overrides or None,
    )


def test_a_gated_stack_creates_its_group_tagged_with_the_gate(
    references: Mapping[str, Mapping[str, Any]],
) -> None:
    run = retraining(references, "fraud-scoring-dev")
    [group] = run.of_type(GROUP)
    name = naming.model_package_group_name("fraud", "scoring", "dev")
    assert group.name == name == "fraud-dev-scoring"
    assert group.inputs["modelPackageGroupName"] == name
    tags = group.inputs["tags"]
    assert (tags["team"], tags["environment"], tags["model"]) == ("fraud", "dev", "scoring")
    assert {key: tags[key] for key in tags if key.startswith("quality-gate-")} == {
        quality_gate_tags.TAG_METRIC: "validation:auc",
        quality_gate_tags.TAG_DIRECTION: "maximize",
        quality_gate_tags.TAG_THRESHOLD: "0.85",
        quality_gate_tags.TAG_MIN_IMPROVEMENT: "0.005",
        quality_gate_tags.TAG_APPROVAL: "automatic",
    }
    assert quality_gate_tags.gate_problems(tags) == []
    assert run.plain_outputs()["model_package_group_name"] == name
    assert run.plain_outputs()["quality_gate"] == (
        "validation:auc >= 0.85 and at least 0.005 better than the latest approved version: "
        "registered in fraud-dev-scoring as Approved (automatic approval)"
    )


def test_the_manual_gate_is_said_in_the_plan(references: Mapping[str, Mapping[str, Any]]) -> None:
    run = retraining(references, "churn-forecast-dev")
    assert [g.name for g in run.of_type(GROUP)] == ["churn-dev-forecast"]
    assert run.plain_outputs()["quality_gate"] == (
        "validation:rmse <= 12.5: registered in churn-dev-forecast as PendingManualApproval "
        "(manual approval)"
    )


def test_without_a_gate_no_group_and_the_plan_says_nothing_is_registered(
    references: Mapping[str, Mapping[str, Any]],
) -> None:
    run = retraining(references, "fraud-scoring-dev", qualityGate={})
    assert run.of_type(GROUP) == []
    assert run.plain_outputs()["model_package_group_name"] == ""
    assert run.plain_outputs()["quality_gate"] == model_registry.NO_GATE_TEXT


def test_the_gate_environment_is_what_the_gate_function_reads() -> None:
    gate = QualityGateSettings.model_validate(
        {
            "metric": "validation:auc",
            "direction": "maximize",
            "threshold": 0.85,
            "approval": "manual",
        }
    )
    text = model_registry.gate_json(gate)
    assert list(json.loads(text)) == list(contract.QUALITY_GATE_KEYS)
    parsed = model_gate.parse_quality_gate(text)
    assert parsed == model_gate.QualityGate(
        metric="validation:auc",
        direction="maximize",
        threshold=0.85,
        min_improvement=None,
        approval="manual",
    )
    assert parsed.approval_status == "PendingManualApproval"
