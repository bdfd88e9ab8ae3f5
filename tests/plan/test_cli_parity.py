"""Where the offline plan must do what `pulumi preview --policy-pack` does (pulumi v3.259.0).

- The CLI starts a local Python pack with `<pack>/<virtualenv>/bin/python -u -m pulumi.policy`
  and never creates that virtualenv in preview/up (only `pulumi install` does): the plan fails
  with --cli-parity when it is missing, and otherwise says which interpreter it used instead.
- The CLI reports PulumiPolicy.yaml's `version:` instead of the SDK's "0.0.1"
  (pkg/resource/plugin/analyzer_plugin.go:466-470, 555-559, 905-909).
- A Remediate answer with a `diagnostic` is reported as an advisory violation and its properties
  are not applied (pkg/resource/deploy/step_generator.go:1442-1460).
"""

from __future__ import annotations

import json
import shutil
import sys
import sysconfig
import venv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from offline_plan.mock_runtime import PlanInputError, denied_default_providers
from offline_plan.policy_client import pack_interpreter
from plan_harness import FIXTURES, TOY_PACK, PlanOutcome

REMEDIATING_PACK = FIXTURES / "remediating_pack"
REPOSITORY = Path(__file__).resolve().parents[2]


def _pack_with_virtualenv(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(TOY_PACK, pack)
    manifest = pack / "PulumiPolicy.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "runtime: python\n",
            "runtime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: venv\n",
        )
    )
    return pack


def test_a_missing_declared_venv_fails_in_cli_parity_mode(
    plan_cli: Callable[..., PlanOutcome], tmp_path: Path
) -> None:
    pack = _pack_with_virtualenv(tmp_path)
    outcome = plan_cli("--stack", "teama-churn-dev", "--cli-parity", pack=pack)
    assert outcome.exit_code == 2
    [error] = outcome.report["errors"]
    assert error["key"] == "--cli-parity"
    assert str(pack / "venv") in error["message"]
    assert "pulumi install" in error["message"]
    assert outcome.report["diagnostics"] == []


def test_without_cli_parity_the_plan_says_which_interpreter_it_used(
    plan_cli: Callable[..., PlanOutcome], tmp_path: Path
) -> None:
    pack = _pack_with_virtualenv(tmp_path)
    outcome = plan_cli("--stack", "teama-churn-dev", pack=pack)
    assert outcome.exit_code == 0
    summary = outcome.report["policy_pack"]
    assert summary["python"] == sys.executable
    assert "would fail to start the pack" in summary["cli_difference"]
    assert "policy pack interpreter:" in outcome.text


def test_an_existing_declared_venv_is_used_as_the_cli_uses_it(
    plan_cli: Callable[..., PlanOutcome], tmp_path: Path
) -> None:
    pack = _pack_with_virtualenv(tmp_path)
    # A stand-in for what `pulumi install` leaves: a real venv at the declared path, seeing this
    # environment's packages (the pack's requirements) through a .pth file.
    venv.create(pack / "venv", with_pip=False)
    [site_packages] = (pack / "venv" / "lib").glob("python*/site-packages")
    (site_packages / "planner-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    interpreter = pack_interpreter(pack)
    assert interpreter.as_the_cli
    assert interpreter.python == str(pack / "venv" / "bin" / "python")
    outcome = plan_cli("--stack", "teama-churn-dev", "--cli-parity", pack=pack)
    assert outcome.exit_code == 0, outcome.report["errors"]
    assert outcome.report["policy_pack"]["cli_difference"] is None
    assert outcome.report["policy_pack"]["python"] == str(pack / "venv" / "bin" / "python")


def test_the_shipped_pack_declares_the_venv_that_ci_and_nox_create() -> None:
    interpreter = pack_interpreter(REPOSITORY / "policy")
    assert interpreter.declared_venv == (REPOSITORY / "policy" / "venv").resolve()
    noxfile = (REPOSITORY / "noxfile.py").read_text()
    assert '"install", "--cwd", str(REPO / "policy")' in noxfile
    manifest = (REPOSITORY / "policy" / "PulumiPolicy.yaml").read_text()
    assert "pulumi install" in manifest
    assert "creates policy/venv from requirements.txt on first use" not in manifest


def test_remediation_diagnostics_are_reported_with_the_manifest_version(
    plan_cli: Callable[..., PlanOutcome],
) -> None:
    outcome = plan_cli("--stack", "notifications/dev", pack=REMEDIATING_PACK)
    assert outcome.exit_code == 0
    assert outcome.report["policy_pack"]["version"] == "2.3.4"
    diagnostics = outcome.diagnostics("toy-topic-key-lowercase")
    topics = [
        r
        for r in outcome.stack("dev", project="notifications")["resources"]
        if r["type"] == "aws:sns/topic:Topic"
    ]
    assert topics
    assert len(diagnostics) == len(topics)
    for diagnostic in diagnostics:
        assert diagnostic["level"] == "advisory"
        assert diagnostic["policy_pack_version"] == "2.3.4"
        assert "can't run remediation" in diagnostic["message"]
        assert diagnostic["resource_type"] == "aws:sns/topic:Topic"


ECHO_PACK = FIXTURES / "echo_pack"


def _echoed(outcome: PlanOutcome, stack: str) -> dict[str, Any]:
    [diagnostic] = [
        d for d in outcome.diagnostics("toy-echo-stack") if d["stack"].endswith(f"/{stack}")
    ]
    facts: dict[str, Any] = json.loads(diagnostic["message"].split("\n", 1)[1])
    return facts


def test_analyze_stack_gets_registered_resources_and_the_stack_with_its_outputs(
    plan_cli: Callable[..., PlanOutcome],
) -> None:
    # pulumi v3.259.0: reads go to deployment.reads (step_executor.go:574-581), AnalyzeStack
    # sends deployment.news with each resource's outputs (step_generator.go:3438-3518).
    outcome = plan_cli("--stack", "teama-churn-dev", pack=ECHO_PACK)
    facts = _echoed(outcome, "teama-churn-dev")
    assert "pulumi:pulumi:StackReference" not in facts["types"]
    assert "pulumi:pulumi:Stack" in facts["types"]
    exported = outcome.stack("teama-churn-dev")["outputs"]
    assert exported
    assert facts["stack_outputs"] == sorted(exported)


def test_default_provider_config_reaches_policies_as_strings(
    plan_cli: Callable[..., PlanOutcome],
) -> None:
    # pulumi v3.259.0 pkg/resource/deploy/target.go GetPackageConfig: property.New(string).
    tags = json.dumps({"tags": {"owner": "ml"}})
    outcome = plan_cli(
        "--stack", "teama-churn-dev", "--config", f"aws:defaultTags={tags}", pack=ECHO_PACK
    )
    facts = _echoed(outcome, "teama-churn-dev")
    assert facts["provider_props"]["defaultTags"] == "str"
    assert facts["provider_props"]["region"] == "str"


@pytest.mark.parametrize("denied", ['["aws"]', '["*"]'])
def test_disable_default_providers_fails_a_resource_that_needs_the_default(
    plan_cli: Callable[..., PlanOutcome], denied: str
) -> None:
    outcome = plan_cli(
        "--stack", "teama-churn-dev", "--config", f"pulumi:disable-default-providers={denied}"
    )
    assert outcome.exit_code == 2
    messages = " ".join(e["message"] for e in outcome.report["errors"])
    assert "needs the default aws provider" in messages
    assert "pulumi:disable-default-providers" in messages


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", frozenset()), ('["aws", " gcp "]', frozenset({"aws", "gcp"})), ('["*"]', {"*"})],
)
def test_disable_default_providers_is_read_as_the_engine_reads_it(
    raw: str, expected: frozenset[str]
) -> None:
    config = {"pulumi:disable-default-providers": raw}
    assert denied_default_providers(config) == expected


def test_a_malformed_disable_default_providers_is_an_input_error() -> None:
    with pytest.raises(PlanInputError, match="must be a list of package names"):
        denied_default_providers({"pulumi:disable-default-providers": '["aws", 2]'})
