"""Config errors point at the line: file:line:column, the key path, what is wrong, what is
allowed; every phase (the CLI's declared-config checks, the program's validation, onboarding in
the upstream stacks) in one run."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from offline_plan.stack_file_positions import StackFilePositions
from plan_harness import PlanOutcome, run_cli
from retraining_shared.config import format_key, parse_key

REPOSITORY = Path(__file__).parents[2]
STACKS = REPOSITORY / "stacks"

FIVE_MISTAKES = """\
# A team stack with five different mistakes.
config:
  aws:region: us-east-1
  retraining:team: vision
  retraining:model: segmenter
  retraining:environment: dev
  retraining:scheduleKind: cron
  retraining:orchestrater: lambda
  retraining:training:
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/vision-segmenter:1.0.0
    instanceType: m5.large
    volumeSizeGB: 50
"""
"""Not onboarded (team), a value not allowed (scheduleKind), an unknown key (orchestrater), a
nested value (training.instanceType), a nested unknown key (training.volumeSizeGB); and the
required `schedule` is missing: the CLI's own check and the program's say it once."""


def _plan(tmp_path: Path, name: str, text: str) -> tuple[PlanOutcome, Path]:
    review = tmp_path / f"Pulumi.{name}.yaml"
    review.write_text(text, encoding="utf-8")
    arguments = ["--stacks-dir", str(STACKS), "--no-policy-pack", "--stack-config", str(review)]
    return run_cli(arguments, tmp_path / "report.json"), review


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def _at(fragment: str, token: str) -> tuple[int, int]:
    """1-based line and column of `token` on the line of FIVE_MISTAKES holding `fragment`."""
    line = _line_of(FIVE_MISTAKES, fragment)
    return line, FIVE_MISTAKES.splitlines()[line - 1].index(token) + 1


@pytest.fixture(scope="module")
def five(tmp_path_factory: pytest.TempPathFactory) -> tuple[PlanOutcome, Path]:
    return _plan(tmp_path_factory.mktemp("five"), "vision-segmenter-dev", FIVE_MISTAKES)


def test_every_mistake_of_every_phase_is_one_message_with_its_position(
    five: tuple[PlanOutcome, Path],
) -> None:
    outcome, review = five
    assert outcome.exit_code == 2, outcome.text
    errors = {e["key"]: e for e in outcome.report["errors"]}
    expected = {
        # values at the value, unknown keys at the key, a missing key at `config:`
        "retraining:team": _at("team: vision", "vision"),
        "retraining:scheduleKind": _at("scheduleKind", "cron"),
        "retraining:orchestrater": _at("orchestrater", "retraining:orchestrater"),
        "retraining:training.instanceType": _at("instanceType", "m5.large"),
        "retraining:training.volumeSizeGB": _at("volumeSizeGB", "volumeSizeGB"),
        "retraining:schedule": _at("config:", "config"),
    }
    assert {key: (e["line"], e["column"]) for key, e in errors.items()} == expected
    assert all(e["file"] == str(review) for e in errors.values())
    text = "".join(outcome.text.split())  # rich wraps long lines anywhere
    for key, (line, column) in expected.items():
        assert f"{review}:{line}:{column}:{key}:" in text


def test_each_message_says_what_is_wrong_and_what_is_allowed(
    five: tuple[PlanOutcome, Path],
) -> None:
    outcome, _ = five
    messages = {e["key"]: e["message"] for e in outcome.report["errors"]}
    assert "allowed: 'rule' or 'scheduler'" in messages["retraining:scheduleKind"]
    assert 'got "cron"' in messages["retraining:scheduleKind"]
    assert "did you mean 'orchestrator'?" in messages["retraining:orchestrater"]
    assert "did you mean 'volumeSizeGb'?" in messages["retraining:training.volumeSizeGB"]
    assert (
        "allowed: a SageMaker training instance type"
        in messages["retraining:training.instanceType"]
    )
    assert "add it under config:" in messages["retraining:schedule"]


def test_a_team_not_onboarded_names_the_files_and_keys_to_add_it_to(
    five: tuple[PlanOutcome, Path],
) -> None:
    outcome, _ = five
    [message] = [e["message"] for e in outcome.report["errors"] if "onboarded" in e["message"]]
    for project in ("network-iam", "notifications"):
        stack_file = STACKS / project / "Pulumi.dev.yaml"
        line = _line_of(stack_file.read_text(), f"{project}:teams:")
        assert f"`vision:` under `{project}:teams` in stacks/{project}/Pulumi.dev.yaml:{line}" in (
            message
        )


def test_a_yaml_syntax_error_shows_the_line_and_where_in_it(tmp_path: Path) -> None:
    broken = "config:\n  retraining:team: fraud\n  retraining:model: [scoring\n"
    outcome, review = _plan(tmp_path, "fraud-broken-dev", broken)
    assert outcome.exit_code == 2
    [error] = outcome.report["errors"]
    assert error["file"] == str(review)
    assert (error["line"], error["column"]) == (4, 1)  # the flow sequence is never closed
    assert "not valid YAML" in error["message"]
    assert "started on line 3: 'retraining:model: [scoring'" in error["message"]
    assert error["message"].startswith(f"{review}:4:1:")


def test_a_yaml_syntax_error_inside_a_line_quotes_it_with_a_caret(tmp_path: Path) -> None:
    broken = "config:\n  retraining:team: fraud\n  retraining:model: scoring: twice\n"
    outcome, _ = _plan(tmp_path, "fraud-colon-dev", broken)
    [error] = outcome.report["errors"]
    assert error["line"] == 3
    assert "\n      retraining:model: scoring: twice\n" in error["message"]
    caret = error["message"].rsplit("\n", 1)[1]
    assert caret == " " * (4 + error["column"] - 1) + "^"


def test_positions_of_values_keys_list_items_and_missing_keys(tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(
        "config:\n"
        "  teams:\n"
        "    fraud:\n"
        "      subscriptions:\n"
        "        - protocol: email\n"
        "          endpoint: a@example.com\n"
        "  notifications:environment: dev\n",
        encoding="utf-8",
    )
    positions = StackFilePositions(stack_file, "notifications")
    located = positions.locate("notifications:teams", ("fraud", "subscriptions", 0, "endpoint"))
    assert located is not None
    assert (located.line, located.column, located.exact) == (6, 21, True)
    key = positions.locate("notifications:environment", at_key=True)
    assert key is not None
    assert (key.line, key.column) == (7, 3)
    missing = positions.locate("notifications:teams", ("churn",))
    assert missing is not None
    assert (missing.line, missing.column, missing.exact) == (2, 3, False)
    absent = positions.locate("notifications:tags")
    assert absent is not None
    assert (absent.line, absent.exact) == (1, False)


_PART = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,8}", fullmatch=True),
    st.integers(min_value=0, max_value=99),
    st.text(alphabet='ab .:"\\[]', min_size=1, max_size=6),
)


@given(
    first=st.from_regex(r"[a-z][A-Za-z0-9]{0,10}", fullmatch=True),
    rest=st.lists(_PART, max_size=4),
)
def test_parse_key_reads_back_every_key_format_key_writes(
    first: str, rest: list[str | int]
) -> None:
    path = (first, *rest)
    assert parse_key(format_key("retraining", path)) == ("retraining", path)
