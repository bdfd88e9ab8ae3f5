"""JSON Schemas of each project's `Pulumi.<stack>.yaml`, generated from its settings model.

`python -m offline_plan.config_schema` (`nox -s schemas`) writes
`stacks/<project>/stack-config.schema.json`; every stack file names it on its first line,

    # yaml-language-server: $schema=stack-config.schema.json

so editors with the YAML language server (VS Code's YAML extension, Neovim, JetBrains) complete
the keys and flag a misspelt key or a value of the wrong type while it is typed. The schema is
never edited by hand: `--check` (and tests/plan/test_config_schema.py) fails when a model
changed and the shipped schema did not. The program still validates everything (cross-field
rules, names, AWS limits); the schema is the part an editor can check.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from offline_plan.cli import default_repository
from offline_plan.generated_files import refresh
from offline_plan.mock_runtime import project_name

SCHEMA_FILE = "stack-config.schema.json"
MODELINE = f"# yaml-language-server: $schema={SCHEMA_FILE}"
SETTINGS_MODELS = {
    "network-iam": "network_iam.config:NetworkIamSettings",
    "notifications": "notifications_stack.config:NotificationsSettings",
    "retraining": "retraining_stack.config:RetrainingSettings",
}
"""Project -> the model its program validates `<project>:*` with (`module:Class`, importable
from the project folder, as the Pulumi CLI runs `__main__.py` there)."""
JSON_SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"
"""Draft 7: the newest the YAML language server documents support for ("Supports JSON Schema 7
and below", redhat-developer/yaml-language-server README); definitions live under
`definitions`, where draft 7 looks them up."""
DEFINITIONS = "definitions"


@contextmanager
def _project_on_path(project_dir: Path) -> Iterator[None]:
    sys.path.insert(0, str(project_dir))
    try:
        yield
    finally:
        sys.path.remove(str(project_dir))


def settings_model(project_dir: Path, project: str) -> type[BaseModel]:
    module_name, _, class_name = SETTINGS_MODELS[project].partition(":")
    with _project_on_path(project_dir):
        model = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{SETTINGS_MODELS[project]} is not a pydantic model")
    return model


def _editor_friendly(node: Any) -> Any:
    """`allowed` (our json_schema_extra) joins the description an editor shows; the internal
    `config_kind` and pydantic's generated titles go."""
    if isinstance(node, list):
        return [_editor_friendly(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {
        key: _editor_friendly(value)
        for key, value in node.items()
        if key not in ("allowed", "config_kind", "title")
        or (key == "title" and not isinstance(value, str))
    }
    if isinstance(node.get("allowed"), str):
        description = str(result.get("description", "")).rstrip()
        result["description"] = f"{description} Allowed: {node['allowed']}.".strip()
    return result


def stack_file_schema(project: str, model: type[BaseModel]) -> dict[str, Any]:
    """The schema of a whole `Pulumi.<stack>.yaml` of `project`."""
    generated: dict[str, Any] = _editor_friendly(
        model.model_json_schema(
            by_alias=True, mode="validation", ref_template=f"#/{DEFINITIONS}/{{model}}"
        )
    )
    definitions = generated.pop("$defs", {})
    settings: dict[str, Any] = {}
    for key, setting in generated["properties"].items():
        # A stack file may write the project's keys with or without the namespace.
        settings[f"{project}:{key}"] = setting
        settings[key] = setting
    required = [
        {"anyOf": [{"required": [f"{project}:{key}"]}, {"required": [key]}]}
        for key in generated.get("required", [])
    ]
    config: dict[str, Any] = {
        "type": "object",
        "description": f"{project}: settings, and other namespaces' (aws:region, pulumi:...).",
        "properties": settings,
        # Another namespace's key (aws:region, pulumi:tags) is not this model's business.
        "patternProperties": {f"^(?!{project}:)[^:]+:.+$": {}},
        "additionalProperties": False,
    }
    if required:
        config["allOf"] = required
    schema: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$comment": (
            f"Generated from {SETTINGS_MODELS[project]} by `nox -s schemas`; do not edit."
        ),
        "title": f"Pulumi.<stack>.yaml of the {project} project",
        "type": "object",
        "properties": {
            "config": config,
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {},
        },
    }
    if definitions:
        schema[DEFINITIONS] = definitions
    return schema


def rendered(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def project_dirs(stacks_dir: Path) -> dict[str, Path]:
    return {project_name(p.parent): p.parent for p in sorted(stacks_dir.glob("*/Pulumi.yaml"))}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline_plan.config_schema")
    parser.add_argument("--stacks-dir", type=Path, default=default_repository() / "stacks")
    parser.add_argument(
        "--check", action="store_true", help="fail if a shipped schema is not the generated one"
    )
    arguments = parser.parse_args(argv)
    stale = []
    for project, folder in project_dirs(arguments.stacks_dir).items():
        if project not in SETTINGS_MODELS:
            print(f"{folder}: no settings model registered in SETTINGS_MODELS", file=sys.stderr)
            return 2
        text = rendered(stack_file_schema(project, settings_model(folder, project)))
        target = folder / SCHEMA_FILE
        if not refresh(target, text, check=arguments.check):
            continue
        stale.append(str(target))
        if not arguments.check:
            print(f"wrote {target}")
    if arguments.check and stale:
        print(f"out of date (run `nox -s schemas`): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
