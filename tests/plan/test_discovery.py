"""Which stacks a plan runs, in which order, with which config (no programs run here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from offline_plan.analysis import pack_reads_stack_identity
from offline_plan.discovery import StackSelection, discover
from offline_plan.mock_runtime import PlanInputError, load_project_config
from plan_harness import REVIEW, TOY_STACKS

SHIPPED_STACKS = Path(__file__).resolve().parents[2] / "stacks"


def names(selection: StackSelection, stacks_dir: Path = TOY_STACKS) -> list[str]:
    discovery = discover(stacks_dir, selection)
    assert discovery.problems == []
    return [f"{t.project}/{t.stack}:{t.role}" for t in discovery.targets]


def test_environment_stacks_come_upstream_first() -> None:
    assert names(StackSelection("dev")) == [
        "network-iam/dev:target",
        "notifications/dev:target",
        "retraining/teama-churn-dev:target",
        "retraining/teamb-fraud-dev:target",
    ]


def test_selecting_one_stack_plans_its_upstream_stacks_as_upstream() -> None:
    assert names(StackSelection("dev", stacks=("teamb-fraud-dev",))) == [
        "network-iam/dev:upstream",
        "notifications/dev:upstream",
        "retraining/teamb-fraud-dev:target",
    ]


def test_upstream_names_come_from_config_keys_and_resolve_like_the_cli() -> None:
    discovery = discover(TOY_STACKS, StackSelection("dev", stacks=("teama-churn-dev",)))
    target = discovery.targets[-1]
    assert target.upstreams == {
        "retraining:networkIamStack": "organization/network-iam/dev",
        "retraining:notificationsStack": "organization/notifications/dev",
    }
    assert target.aliases == (
        "organization/retraining/teama-churn-dev",
        "retraining/teama-churn-dev",
    )


def test_unknown_stack_name_is_a_problem_listing_the_stacks() -> None:
    discovery = discover(TOY_STACKS, StackSelection("dev", stacks=("nope-dev",)))
    [problem] = discovery.problems
    assert "no stack 'nope-dev'" in problem.message
    assert "retraining/teama-churn-dev" in problem.message


def test_environment_without_stacks_is_a_problem() -> None:
    [problem] = discover(TOY_STACKS, StackSelection("qa")).problems
    assert "no stack config of environment 'qa'" in problem.message


def test_namespaced_config_goes_to_its_project_and_bare_keys_where_declared() -> None:
    discovery = discover(
        TOY_STACKS,
        StackSelection(
            "dev",
            stacks=("teama-churn-dev",),
            overrides=("apiToken=x", "network-iam:environment=dev", "aws:region=eu-west-2"),
        ),
    )
    assert discovery.problems == []
    by_project = {t.project: t.overrides for t in discovery.targets}
    assert by_project["retraining"] == {"retraining:apiToken": "x", "aws:region": "eu-west-2"}
    assert by_project["network-iam"] == {
        "network-iam:environment": "dev",
        "aws:region": "eu-west-2",
    }
    assert by_project["notifications"] == {"aws:region": "eu-west-2"}


def test_bare_config_key_no_stack_knows_is_a_problem() -> None:
    discovery = discover(TOY_STACKS, StackSelection("dev", overrides=("colour=blue",)))
    [problem] = discovery.problems
    assert problem.key == "colour"
    assert "no planned stack declares or sets 'colour'" in problem.message


def test_stacks_referencing_each_other_in_a_cycle_are_refused(tmp_path: Path) -> None:
    stacks = tmp_path / "stacks"
    shutil.copytree(TOY_STACKS, stacks)
    notifications = stacks / "network-iam" / "Pulumi.dev.yaml"
    notifications.write_text(
        notifications.read_text() + "  network-iam:loopStack: organization/notifications/dev\n"
    )
    discovery = discover(stacks, StackSelection("dev"))
    assert any("cycle" in p.message for p in discovery.problems)


def test_secure_value_is_refused_naming_the_key_until_a_stand_in_is_given() -> None:
    review = REVIEW / "Pulumi.teamk-secret-dev.yaml"
    with pytest.raises(PlanInputError, match=r"retraining:apiToken"):
        load_project_config(TOY_STACKS / "retraining", "teamk-secret-dev", None, review)
    config = load_project_config(
        TOY_STACKS / "retraining", "teamk-secret-dev", {"apiToken": "stand-in"}, review
    )
    assert config.values["retraining:apiToken"] == "stand-in"
    assert config.secret_keys == ["retraining:apiToken"]


def test_declared_config_is_checked_like_the_cli(tmp_path: Path) -> None:
    review = tmp_path / "Pulumi.teamz-typed-dev.yaml"
    review.write_text(
        "config:\n  retraining:wildcardPolicy: [not, a, boolean]\n  retraining:model: m\n"
    )
    with pytest.raises(PlanInputError) as raised:
        load_project_config(TOY_STACKS / "retraining", "teamz-typed-dev", None, review)
    message = str(raised.value)
    assert "retraining:wildcardPolicy" in message
    assert "must be of type boolean" in message
    assert "missing the configuration value retraining:team" in message  # every problem


def test_pack_source_scan_finds_reads_of_the_stack_identity(tmp_path: Path) -> None:
    assert pack_reads_stack_identity(TOY_STACKS.parent / "policy_pack") == []
    found = pack_reads_stack_identity(TOY_STACKS.parent / "identity_pack")
    assert found == ["__main__.py:14", "__main__.py:15"]  # Config(...), get_stack()/get_project()
    (tmp_path / "rules.py").write_text(
        "def f(args):\n    return args.get_config()  # policy config, not stack config\n"
    )
    assert pack_reads_stack_identity(tmp_path) == []
    (tmp_path / "env.py").write_text("import os\nREGION = os.environ['AWS_REGION']\n")
    assert pack_reads_stack_identity(tmp_path) == ["env.py:2"]


def test_two_stack_files_for_the_same_team_model_and_environment_are_refused(
    tmp_path: Path,
) -> None:
    stacks = tmp_path / "stacks"
    shutil.copytree(SHIPPED_STACKS, stacks)
    original = stacks / "retraining" / "Pulumi.fraud-scoring-dev.yaml"
    copy = stacks / "retraining" / "Pulumi.fraud-scoring-copy-dev.yaml"
    copy.write_text(original.read_text())
    found = discover(stacks, StackSelection(environment="dev"))
    [problem] = found.problems
    assert str(original) in problem.message
    assert str(copy) in problem.message
    assert "team 'fraud', model 'scoring', environment 'dev'" in problem.message
    assert problem.key == "retraining:model"
    # Another model is another deployment; a revision of the same stack under review is none.
    copy.write_text(original.read_text().replace("model: scoring", "model: ranking"))
    assert discover(stacks, StackSelection(environment="dev")).problems == []
    copy.unlink()
    review = tmp_path / "Pulumi.fraud-scoring-dev.yaml"
    review.write_text(original.read_text())
    selection = StackSelection(environment="dev", stack_config_files=(review,))
    assert discover(stacks, selection).problems == []
