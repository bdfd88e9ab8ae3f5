"""The project files must be ones the Pulumi CLI accepts, and the planner rejects what it rejects.

The CLI validates `Pulumi.yaml` against its project-file schema before running anything: a
`config:` declaration of the project's own key names a type among string, integer, boolean and
array (arrays with `items`), and carries only description, secret and default besides. A
mapping-valued key (our `teams`, `tags`, `training`) therefore cannot be declared at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from offline_plan.mock_runtime import (
    PlanInputError,
    load_project_config,
    project_declaration_problems,
)

REPOSITORY = Path(__file__).resolve().parents[2]
PROJECT_FILES = sorted((REPOSITORY / "stacks").glob("*/Pulumi.yaml"))


def test_every_stack_project_is_found() -> None:
    assert {p.parent.name for p in PROJECT_FILES} == {"network-iam", "notifications", "retraining"}


@pytest.mark.parametrize("project_file", PROJECT_FILES, ids=lambda p: p.parent.name)
def test_shipped_project_files_are_valid_for_the_cli(project_file: Path) -> None:
    document = yaml.safe_load(project_file.read_text())
    assert document["runtime"]["name"] == "python"
    assert project_declaration_problems(document.get("config") or {}) == []


@pytest.mark.parametrize(
    ("declaration", "expected"),
    [
        ({"description": "a mapping"}, "config.training must name a type"),
        ({"type": "object"}, "(got 'object')"),
        ({"type": "array"}, "config.training.items must name a type"),
        ({"type": "array", "items": {"type": "array"}}, "config.training.items.items"),
        ({"type": "string", "required": True}, "config.training has required; allowed:"),
    ],
)
def test_declarations_the_cli_rejects_are_reported(
    declaration: dict[str, object], expected: str
) -> None:
    problems = project_declaration_problems({"training": declaration})
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    "declaration",
    [
        "plain default",
        {"type": "string", "default": "x", "description": "d", "secret": False},
        {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
    ],
)
def test_declarations_the_cli_accepts_pass(declaration: object) -> None:
    assert project_declaration_problems({"key": declaration}) == []


def test_namespaced_values_are_not_declarations() -> None:
    assert project_declaration_problems({"aws:region": {"value": "eu-west-1"}}) == []


def test_the_plan_stops_on_an_invalid_project_file(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: broken\nruntime: python\nconfig:\n  teams:\n    description: a mapping\n"
    )
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    with pytest.raises(PlanInputError) as raised:
        load_project_config(tmp_path, "dev")
    message = str(raised.value)
    assert str(tmp_path / "Pulumi.yaml") in message
    assert "config.teams must name a type" in message
