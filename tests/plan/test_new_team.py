"""`nox -s new-team`: a team onboards in one command, all files or none."""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from offline_plan import config_schema, new_team
from plan_harness import run_cli
from ruamel.yaml.comments import CommentedMap

REPOSITORY = Path(__file__).parents[2]
PACK = REPOSITORY / "policy"
UPSTREAM_FILES = ("network-iam/Pulumi.dev.yaml", "notifications/Pulumi.dev.yaml")


def _copy_stacks(destination: Path) -> Path:
    stacks = destination / "stacks"
    shutil.copytree(
        REPOSITORY / "stacks", stacks, ignore=shutil.ignore_patterns("venv", "__pycache__")
    )
    return stacks


def _snapshot(stacks: Path) -> dict[str, str]:
    return {
        str(path.relative_to(stacks)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(stacks.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def _new_team(stacks: Path, *arguments: str) -> tuple[int, str]:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = new_team.main([*arguments, "--stacks-dir", str(stacks)])
    return code, output.getvalue()


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    stacks = _copy_stacks(tmp_path_factory.mktemp("onboard"))
    code, text = _new_team(stacks, "vision", "segmenter")
    return stacks, code, text


def test_the_new_team_plans_and_is_told_what_to_edit_next(
    onboarded: tuple[Path, int, str],
) -> None:
    stacks, code, text = onboarded
    assert code == 0, text
    assert (stacks / "retraining" / "Pulumi.vision-segmenter-dev.yaml").is_file()
    assert "OK " in text  # the plan of the new stack ran and passed the pack
    assert "Pulumi.vision-segmenter-dev.yaml:" in text
    assert "training.image" in text


def test_the_environment_then_plans_with_the_new_teams_stacks(
    onboarded: tuple[Path, int, str], tmp_path: Path
) -> None:
    stacks, _, _ = onboarded
    outcome = run_cli(
        ["--stacks-dir", str(stacks), "--policy-pack", str(PACK), "--env", "dev"],
        tmp_path / "report.json",
    )
    assert outcome.exit_code == 0, outcome.text
    planned = {(s["project"], s["stack"]): s["status"] for s in outcome.report["stacks"]}
    assert planned[("retraining", "vision-segmenter-dev")] == "planned"
    network = outcome.stack("dev", project="network-iam")
    assert "vision" in network["outputs"]["teams"]


@pytest.mark.parametrize("relative", UPSTREAM_FILES)
def test_upstream_files_only_gain_the_team_lines_comments_and_order_kept(
    onboarded: tuple[Path, int, str], relative: str
) -> None:
    stacks, _, _ = onboarded
    before = (REPOSITORY / "stacks" / relative).read_text().splitlines()
    after = (stacks / relative).read_text().splitlines()
    operations = difflib.SequenceMatcher(a=before, b=after).get_opcodes()
    assert {tag for tag, *_ in operations} == {"equal", "insert"}
    inserted = [
        line for tag, _, _, j1, j2 in operations if tag == "insert" for line in after[j1:j2]
    ]
    assert inserted[0].strip().startswith("vision:")
    assert "# added by nox -s new-team" in inserted[0]


def test_running_it_again_refuses_without_touching_a_file(
    onboarded: tuple[Path, int, str],
) -> None:
    stacks, _, _ = onboarded
    before = _snapshot(stacks)
    for model in ("segmenter", "detector"):
        code, text = _new_team(stacks, "vision", model)
        assert code == new_team.EXIT_REFUSED
        assert "refused, no file changed" in text
        assert _snapshot(stacks) == before
    _, text = _new_team(stacks, "vision", "detector")
    assert "already onboarded in" in text
    assert "network-iam/Pulumi.dev.yaml:" in text


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (("Vision", "segmenter"), "team 'Vision'"),
        (("vision-ml", "segmenter"), "team 'vision-ml'"),
        (("vision", "Seg_menter"), "model 'Seg_menter'"),
        (("vision", "segmenter", "--env", "development"), "environment 'development'"),
        (("vision", "segmenter", "--env", "qa"), "environment 'qa' has no such stack"),
    ],
)
def test_invalid_names_are_refused_naming_what_is_allowed(
    tmp_path: Path, arguments: tuple[str, ...], named: str
) -> None:
    stacks = _copy_stacks(tmp_path)
    before = _snapshot(stacks)
    code, text = _new_team(stacks, *arguments)
    assert code == new_team.EXIT_REFUSED
    assert named in text
    assert "allowed:" in text or "no such stack" in text
    assert _snapshot(stacks) == before


def _failing_on(call: int, real: Callable[..., Any]) -> Callable[..., Any]:
    calls = {"count": 0}

    def replace(*arguments: Any) -> Any:
        calls["count"] += 1
        if calls["count"] == call:
            raise OSError(28, "No space left on device")
        return real(*arguments)

    return replace


@pytest.mark.parametrize("failing_call", [1, 2, 3])
def test_a_failure_in_the_middle_leaves_every_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_call: int
) -> None:
    stacks = _copy_stacks(tmp_path)
    before = _snapshot(stacks)
    monkeypatch.setattr(new_team.os, "replace", _failing_on(failing_call, os.replace))
    with pytest.raises(OSError, match="No space left"):
        _new_team(stacks, "vision", "segmenter", "--no-policy-pack")
    assert _snapshot(stacks) == before  # no temporary file left either


def test_a_failure_writing_the_temporary_files_leaves_every_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stacks = _copy_stacks(tmp_path)
    before = _snapshot(stacks)
    real = Path.write_text
    writes = {"count": 0}

    def write_text(self: Path, *arguments: Any, **keywords: Any) -> int:
        writes["count"] += 1
        if writes["count"] == 2:
            raise OSError(28, "No space left on device")
        return real(self, *arguments, **keywords)

    monkeypatch.setattr(Path, "write_text", write_text)
    with pytest.raises(OSError, match="No space left"):
        _new_team(stacks, "vision", "segmenter", "--no-policy-pack")
    monkeypatch.undo()
    assert _snapshot(stacks) == before


def test_a_plan_that_does_not_pass_puts_every_file_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stacks = _copy_stacks(tmp_path)
    before = _snapshot(stacks)
    monkeypatch.setattr(new_team.cli, "main", lambda arguments: 1)
    code, text = _new_team(stacks, "vision", "segmenter")
    assert code == new_team.EXIT_PLAN_FAILED
    assert "every file is back" in text
    assert _snapshot(stacks) == before


@pytest.mark.parametrize("relative", UPSTREAM_FILES)
def test_round_trip_settings_reproduce_the_shipped_files_byte_for_byte(relative: str) -> None:
    """Without this, adding a team would also re-indent or re-quote the rest of the file."""
    text = (REPOSITORY / "stacks" / relative).read_text()
    yaml = new_team._round_trip()
    document = yaml.load(text)
    assert isinstance(document, CommentedMap)
    output = io.StringIO()
    yaml.dump(document, output)
    assert output.getvalue() == text


def test_the_written_stack_file_names_and_passes_its_editor_schema(
    onboarded: tuple[Path, int, str],
) -> None:
    stacks, _, _ = onboarded
    stack_file = stacks / "retraining" / "Pulumi.vision-segmenter-dev.yaml"
    assert stack_file.read_text().splitlines()[0] == config_schema.MODELINE
    schema = json.loads((stacks / "retraining" / config_schema.SCHEMA_FILE).read_text())
    jsonschema.validate(yaml.safe_load(stack_file.read_text()), schema)
