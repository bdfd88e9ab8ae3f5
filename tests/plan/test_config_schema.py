"""The stack-config JSON Schemas editors use are the settings models, and every stack file
names its project's schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from offline_plan import config_schema

REPOSITORY = Path(__file__).parents[2]
STACKS = REPOSITORY / "stacks"
PROJECTS = config_schema.project_dirs(STACKS)
STACK_FILES = sorted(STACKS.glob("*/Pulumi.*.yaml"))


def test_every_project_has_a_registered_settings_model() -> None:
    assert set(PROJECTS) == set(config_schema.SETTINGS_MODELS)


@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_the_shipped_schema_is_the_one_generated_from_the_model(project: str) -> None:
    folder = PROJECTS[project]
    model = config_schema.settings_model(folder, project)
    generated = config_schema.rendered(config_schema.stack_file_schema(project, model))
    shipped = (folder / config_schema.SCHEMA_FILE).read_text()
    assert shipped == generated, "run `nox -s schemas` and commit the result"


def test_the_check_mode_fails_on_a_stale_schema(tmp_path: Path) -> None:
    stacks = tmp_path / "stacks"
    folder = stacks / "retraining"
    folder.mkdir(parents=True)
    (folder / "Pulumi.yaml").write_text((STACKS / "retraining" / "Pulumi.yaml").read_text())
    for module in (STACKS / "retraining" / "retraining_stack").glob("*.py"):
        (folder / "retraining_stack").mkdir(exist_ok=True)
        (folder / "retraining_stack" / module.name).write_text(module.read_text())
    assert config_schema.main(["--stacks-dir", str(stacks), "--check"]) == 1
    assert config_schema.main(["--stacks-dir", str(stacks)]) == 0
    assert config_schema.main(["--stacks-dir", str(stacks), "--check"]) == 0


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda p: p.name)
def test_every_stack_file_names_its_schema_and_passes_it(stack_file: Path) -> None:
    assert stack_file.read_text().splitlines()[0] == config_schema.MODELINE
    schema = json.loads((stack_file.parent / config_schema.SCHEMA_FILE).read_text())
    jsonschema.validate(yaml.safe_load(stack_file.read_text()), schema)


def _errors(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(schema)
    return [error.message for error in validator.iter_errors(document)]


def test_the_schema_flags_what_an_editor_should() -> None:
    stack_file = STACKS / "retraining" / "Pulumi.fraud-scoring-dev.yaml"
    schema = json.loads((STACKS / "retraining" / config_schema.SCHEMA_FILE).read_text())
    good = yaml.safe_load(stack_file.read_text())

    misspelt = copy.deepcopy(good)
    misspelt["config"]["retraining:schedul"] = misspelt["config"].pop("retraining:schedule")
    assert any("schedul" in message for message in _errors(schema, misspelt))

    wrong_type = copy.deepcopy(good)
    wrong_type["config"]["retraining:training"]["instanceCount"] = "two"
    assert any("'two'" in message for message in _errors(schema, wrong_type))

    not_allowed = copy.deepcopy(good)
    not_allowed["config"]["retraining:orchestrator"] = "cron"
    assert any("'cron'" in message for message in _errors(schema, not_allowed))

    other_namespace = copy.deepcopy(good)
    other_namespace["config"]["aws:profile"] = "dev"
    assert _errors(schema, other_namespace) == []


def test_descriptions_say_what_is_allowed() -> None:
    schema = json.loads((STACKS / "retraining" / config_schema.SCHEMA_FILE).read_text())
    image = schema["definitions"]["TrainingSettings"]["properties"]["image"]
    assert "Allowed: an ECR image URI" in image["description"]
    assert "allowed" not in json.dumps(schema).replace("Allowed", "")


@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_the_schema_is_draft_7_which_the_yaml_language_server_reads(project: str) -> None:
    schema = json.loads((PROJECTS[project] / config_schema.SCHEMA_FILE).read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    assert "$defs" not in json.dumps(schema)
