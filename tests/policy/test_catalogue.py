"""The pack's metadata, its generated README, the example config and its self-containment."""

from __future__ import annotations

import ast
import datetime as dt
import importlib.metadata
import json
import re
import sys
from pathlib import Path

import generate_catalogue
import jsonschema
import pytest
from pulumi_policy import EnforcementLevel
from retraining_policies.catalogue import POLICIES
from retraining_policies.framework import full_schema

PACK_DIR = Path(__file__).resolve().parents[2] / "policy"
NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)+")


def test_readme_is_generated_from_the_metadata() -> None:
    readme = (PACK_DIR / "README.md").read_text(encoding="utf-8")
    assert readme == generate_catalogue.render(), "run: python policy/generate_catalogue.py"
    assert generate_catalogue.main(["--check"]) == 0


def test_readme_check_fails_when_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "README.md"
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr(generate_catalogue, "README", stale)
    assert generate_catalogue.main(["--check"]) == 1


@pytest.mark.parametrize("policy", POLICIES, ids=lambda policy: policy.name)
def test_every_policy_is_fully_described(policy: object) -> None:
    doc = policy.doc  # type: ignore[attr-defined]
    assert NAME.fullmatch(doc.name)
    assert doc.name in generate_catalogue.render()
    for text in (doc.description, doc.why, doc.remediation):
        assert len(text) > 30
    assert doc.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY)
    schema = full_schema(doc)
    jsonschema.Draft7Validator.check_schema(schema)
    defaults = {key: spec["default"] for key, spec in schema["properties"].items()}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(defaults)) == []
    for key, spec in doc.config.items():
        assert spec.get("description"), f"{doc.name}.{key} has no description"


def test_policy_names_are_unique_and_stable() -> None:
    names = [policy.name for policy in POLICIES]
    assert len(names) == len(set(names))
    assert {
        "schedule-expression-valid",
        "schedule-frequency-bounds",
        "iam-no-wildcard-actions",
        "iam-resource-scoped",
        "iam-passrole-scoped",
        "iam-trust-policy-scoped",
        "iam-managed-policy-allowlist",
        "iam-no-privilege-escalation",
        "notifications-required",
        "notifications-topic-subscribed",
        "policy-exemptions-valid",
    } <= set(names)


def test_the_mandatory_families_are_mandatory() -> None:
    # schedule-enabled reports a paused schedule, which may be deliberate (issue 10): advisory.
    for policy in POLICIES:
        if policy.name == "schedule-enabled":
            assert policy.doc.enforcement_level == EnforcementLevel.ADVISORY
            continue
        if policy.doc.family in ("valid-schedules", "least-privilege", "required-notifications"):
            assert policy.doc.enforcement_level == EnforcementLevel.MANDATORY, policy.name


def test_example_config_is_valid_for_every_policy() -> None:
    config = json.loads((PACK_DIR / "policy-config.example.json").read_text(encoding="utf-8"))
    by_name = {policy.name: policy for policy in POLICIES}
    assert set(config) <= set(by_name) | {"all"}
    for name, entry in config.items():
        if not isinstance(entry, dict):
            continue
        properties = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        schema = full_schema(by_name[name].doc)
        assert list(jsonschema.Draft7Validator(schema).iter_errors(properties)) == [], name
        for exemption in properties.get("exemptions", []):
            dt.date.fromisoformat(exemption["expires"])
    # Every configurable property is shown in the example.
    for policy in POLICIES:
        for key in policy.doc.config:
            assert key in config.get(policy.name, {}), (
                f"{policy.name}.{key} missing from the example"
            )


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def test_pack_depends_only_on_itself_the_stdlib_and_its_requirements() -> None:
    """`pulumi policy publish` uploads policy/ alone: nothing outside it may be imported."""
    requirements = {
        re.split(r"[<>=\[ ;#]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
        for line in (PACK_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    distributions = importlib.metadata.packages_distributions()
    local = {path.stem for path in PACK_DIR.glob("*.py")} | {"retraining_policies"}
    resource_packages = {"tzdata"}  # read as package data through importlib.resources
    assert resource_packages <= requirements
    for path in PACK_DIR.rglob("*.py"):
        assert not path.is_symlink(), (
            f"{path} is a symlink: the pack would depend on files outside policy/"
        )
        for module in _imports(path) - local - set(sys.stdlib_module_names):
            owners = {owner.lower().replace("_", "-") for owner in distributions.get(module, [])}
            assert owners & requirements, (
                f"{path.name} imports {module}, not in policy/requirements.txt"
            )


def test_main_holds_only_the_policy_pack_call() -> None:
    tree = ast.parse((PACK_DIR / "__main__.py").read_text(encoding="utf-8"))
    statements = [node for node in tree.body if not isinstance(node, ast.Import | ast.ImportFrom)]
    docstring, install, call = statements
    assert isinstance(docstring, ast.Expr)
    assert isinstance(docstring.value, ast.Constant)
    # The pack's servicer (retraining_policies/analyzer_servicer.py) replaces the SDK's before
    # PolicyPack builds one: the CLI and the offline plan both run this file.
    assert ast.unparse(install) == "analyzer_servicer.install()"
    assert isinstance(call, ast.Expr)
    assert isinstance(call.value, ast.Call)
    assert isinstance(call.value.func, ast.Name)
    assert call.value.func.id == "PolicyPack"
