"""The project files must be ones the Pulumi CLI accepts, and the planner rejects what it rejects.

The CLI validates `Pulumi.yaml` against its project-file schema before running anything, then
the stack config against the declarations (pkg/workspace/config.go). The planner mirrors the
schema and the checks of the pulumi release named in `PULUMI_PROJECT_SCHEMA_VERSION` (v3.259.0):
a declaration's `type` is string, integer, boolean, array or object (`object` since v3.186.0),
arrays need `items`, and description, secret, default and value may accompany it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from offline_plan.mock_runtime import (
    PROJECT_CONFIG_TYPES,
    PULUMI_PROJECT_SCHEMA_VERSION,
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
        ({"type": "mapping"}, "config.training.type must be one of"),
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
        {"type": "object", "description": "a mapping"},
        {"type": "object", "default": {}},
        {"type": "string", "value": "fixed"},
        {"description": "untyped"},
    ],
)
def test_declarations_the_cli_accepts_pass(declaration: object) -> None:
    assert project_declaration_problems({"key": declaration}) == []


def test_namespaced_values_are_not_declarations() -> None:
    assert project_declaration_problems({"aws:region": {"value": "eu-west-1"}}) == []


def test_the_plan_stops_on_an_invalid_project_file(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: broken\nruntime: python\nconfig:\n  teams:\n    type: mapping\n"
    )
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    with pytest.raises(PlanInputError) as raised:
        load_project_config(tmp_path, "dev")
    message = str(raised.value)
    assert str(tmp_path / "Pulumi.yaml") in message
    assert "config.teams.type must be one of" in message


def test_the_mirrored_schema_is_the_pinned_clis() -> None:
    # pulumi v3.259.0 sdk/go/common/workspace/project.json `simpleConfigType`; the CLI CI
    # installs (.pulumi.version) must be at least that release.
    assert PULUMI_PROJECT_SCHEMA_VERSION == "v3.259.0"
    assert PROJECT_CONFIG_TYPES == ("string", "integer", "boolean", "array", "object")
    pinned = tuple(int(p) for p in (REPOSITORY / ".pulumi.version").read_text().split("."))
    assert pinned >= (3, 259, 0)


def _project(tmp_path: Path, declarations: str, stack_config: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(f"name: toy\nruntime: python\nconfig:\n{declarations}")
    (tmp_path / "Pulumi.dev.yaml").write_text(f"config:\n{stack_config}")
    return tmp_path


def test_an_object_key_must_be_set_and_be_a_mapping(tmp_path: Path) -> None:
    project = _project(tmp_path, "  training:\n    type: object\n", "  toy:other: x\n")
    with pytest.raises(PlanInputError, match="missing the configuration value toy:training"):
        load_project_config(project, "dev")
    project = _project(tmp_path, "  training:\n    type: object\n", "  toy:training: [1]\n")
    with pytest.raises(PlanInputError, match="must be of type object"):
        load_project_config(project, "dev")
    project = _project(tmp_path, "  training:\n    type: object\n", "  toy:training: {a: 1}\n")
    assert load_project_config(project, "dev").values["toy:training"] == '{"a": 1}'


def test_a_typed_value_applies_unless_a_default_is_declared_too(tmp_path: Path) -> None:
    # pkg/workspace/config.go mergeConfig: `value` first, then `default` overwrites it.
    declarations = "  a:\n    type: string\n    value: v\n  b:\n    type: string\n"
    declarations += "    value: v\n    default: d\n"
    loaded = load_project_config(_project(tmp_path, declarations, "  toy:c: x\n"), "dev")
    assert loaded.values["toy:a"] == "v"
    assert loaded.values["toy:b"] == "d"


def test_a_secret_key_given_in_plaintext_is_refused(tmp_path: Path) -> None:
    declarations = "  token:\n    type: string\n    secret: true\n"
    project = _project(tmp_path, declarations, "  toy:token: plaintext\n")
    with pytest.raises(PlanInputError, match="toy:token must be encrypted as it's secret"):
        load_project_config(project, "dev")
    # A secure value (with a plaintext stand-in, as the plan needs offline) is accepted.
    project = _project(tmp_path, declarations, "  toy:token:\n    secure: AAABAA==\n")
    loaded = load_project_config(project, "dev", {"toy:token": "stand-in"})
    assert loaded.secret_keys == ["toy:token"]
    # Untyped declarations are not checked by the CLI (validateStackConfigValues).
    project = _project(tmp_path, "  token:\n    secret: true\n", "  toy:token: plaintext\n")
    assert load_project_config(project, "dev").values["toy:token"] == "plaintext"
