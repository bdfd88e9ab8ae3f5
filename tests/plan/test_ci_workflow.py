"""The CI preview job runs every stack the way the Pulumi CLI needs it.

Facts checked against the sources (docs/architecture.md "The real deploy path"):
- pulumi/actions v6.6.1 `src/main.ts:49-76` resolves `work-dir` and runs the Automation API there;
  the Automation API (pulumi `sdk/nodejs/automation/cmd.ts:202`) starts the CLI with cwd = workDir,
  so `--policy-pack` paths are relative to the stack's folder, not the repository;
- `upsert: true` (pulumi/actions `action.yml:89`) creates a stack that does not exist yet;
- `pulumi preview` runs a local pack with `<pack>/venv/bin/python` and never creates that venv;
  `pulumi install` in the pack's folder does (pulumi v3.259.0 `pkg/cmd/pulumi/install/install.go`
  :65-83).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import suite_profiles
import yaml
from offline_plan.ci_matrix import build_matrix, main
from offline_plan.discovery import StackSelection, discover
from retraining_shared.stack_outputs import upstream_stack_name

REPOSITORY = Path(__file__).resolve().parents[2]
WORKFLOW = REPOSITORY / ".github" / "workflows" / "ci.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return document


def _steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = workflow["jobs"][job]["steps"]
    return steps


def _preview_step(workflow: dict[str, Any]) -> dict[str, Any]:
    return next(
        step
        for step in _steps(workflow, "preview")
        if step.get("with", {}).get("command") == "preview"
    )


def test_the_matrix_lists_every_stack_file_of_the_environment_in_dependency_order() -> None:
    matrix, problems = build_matrix(REPOSITORY, environment="dev", organization="organization")
    assert problems == []
    names = [entry["stack_name"] for entry in matrix["include"]]
    stack_files = sorted(
        f"organization/{path.parent.name}/{path.name.removeprefix('Pulumi.').removesuffix('.yaml')}"
        for path in (REPOSITORY / "stacks").glob("*/Pulumi.*.yaml")
        if path.name != "Pulumi.yaml" and path.name.removesuffix(".yaml").endswith("dev")
    )
    assert sorted(names) == stack_files
    projects = [entry["project"] for entry in matrix["include"]]
    assert projects.index("network-iam") < projects.index("notifications")
    assert projects.index("notifications") < projects.index("retraining")


def test_the_pack_paths_resolve_from_the_stack_folder_where_pulumi_actions_runs_the_cli() -> None:
    matrix, _ = build_matrix(REPOSITORY, environment="dev", organization="organization")
    for entry in matrix["include"]:
        work_dir = REPOSITORY / entry["work_dir"]
        assert (work_dir / "Pulumi.yaml").is_file()
        assert (work_dir / entry["policy_pack"] / "PulumiPolicy.yaml").is_file()
        assert (work_dir / entry["policy_pack_config"]).is_file()


def test_a_new_team_stack_file_joins_the_matrix(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    shutil.copytree(REPOSITORY / "stacks", repository / "stacks")
    shutil.copytree(REPOSITORY / "policy", repository / "policy")
    new_stack = repository / "stacks" / "retraining" / "Pulumi.fraud-ranking-dev.yaml"
    source = (repository / "stacks" / "retraining" / "Pulumi.fraud-scoring-dev.yaml").read_text()
    new_stack.write_text(source.replace("retraining:model: scoring", "retraining:model: ranking"))
    matrix, problems = build_matrix(repository, environment="dev", organization="organization")
    assert problems == []
    assert "organization/retraining/fraud-ranking-dev" in {
        entry["stack_name"] for entry in matrix["include"]
    }


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["stacks/network-iam/Pulumi.dev.yaml"], {"notifications/dev", "retraining/*"}),
        (["stacks/network-iam/network_iam/stack.py"], {"notifications/dev", "retraining/*"}),
        (["stacks/notifications/Pulumi.dev.yaml"], {"retraining/*"}),
        (["shared/retraining_shared/arns.py"], {"notifications/dev", "retraining/*"}),
        (["stacks/retraining/Pulumi.fraud-scoring-dev.yaml", "README.md"], set()),
        (["stacks/network-iam/Pulumi.prod.yaml"], set()),
    ],
)
def test_a_stack_whose_upstream_changes_in_the_pull_request_is_marked(
    changed: list[str], expected: set[str]
) -> None:
    matrix, _ = build_matrix(
        REPOSITORY, environment="dev", organization="organization", changed=changed
    )
    marked = set()
    for entry in matrix["include"]:
        if entry["upstream_changed"]:
            assert changed[0] in entry["upstream_changed_reason"]
            project = entry["project"]
            marked.add(f"{project}/*" if project == "retraining" else f"{project}/{entry['stack']}")
    assert marked == expected


def test_the_organisation_names_every_stack_and_a_mismatch_stops_the_matrix() -> None:
    matrix, problems = build_matrix(REPOSITORY, environment="dev", organization="acme")
    assert problems == []
    assert all(entry["stack_name"].startswith("acme/") for entry in matrix["include"])


def test_the_github_output_carries_matrix_and_count(tmp_path: Path) -> None:
    output = tmp_path / "github_output"
    arguments = ["--organization", "organization", "--repository", str(REPOSITORY)]
    exit_code = main([*arguments, "--github-output", str(output)])
    assert exit_code == 0
    lines = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert int(lines["count"]) == len(yaml.safe_load(lines["matrix"])["include"]) >= 4


def test_changed_files_come_from_git(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repository = tmp_path / "repo"
    shutil.copytree(REPOSITORY / "stacks", repository / "stacks")
    shutil.copytree(REPOSITORY / "policy", repository / "policy")
    environment = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    environment |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

    def git(*arguments: str) -> None:
        subprocess.run(  # noqa: S603
            ["git", "-C", str(repository), *arguments],  # noqa: S607
            check=True,
            capture_output=True,
            env=environment,
        )

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    stack_file = repository / "stacks" / "notifications" / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "\n")
    git("commit", "-q", "-am", "change notifications")
    output = tmp_path / "out"
    arguments = ["--organization", "organization", "--repository", str(repository)]
    assert main([*arguments, "--changed-since", "HEAD~1", "--github-output", str(output)]) == 0
    matrix = yaml.safe_load(
        dict(line.split("=", 1) for line in output.read_text().splitlines())["matrix"]
    )
    marked = {e["stack"] for e in matrix["include"] if e["upstream_changed"]}
    assert marked == {"churn-forecast-dev", "fraud-scoring-dev"}
    assert main([*arguments, "--changed-since", "no-such-ref"]) == 2


# ------------------------------------------------------------------------------------------
# The workflow itself
# ------------------------------------------------------------------------------------------


def test_the_preview_matrix_comes_from_the_job_that_emits_it(workflow: dict[str, Any]) -> None:
    preview = workflow["jobs"]["preview"]
    assert preview["strategy"]["matrix"] == "${{ fromJSON(needs.lint-test-plan.outputs.matrix) }}"
    emitting = next(s for s in _steps(workflow, "lint-test-plan") if s.get("id") == "stacks")
    assert "nox -s matrix" in emitting["run"]
    assert "--github-output" in emitting["run"]
    assert '--organization "$PULUMI_ORG"' in emitting["run"]


def test_the_preview_uses_work_dir_relative_pack_paths_and_upserts(
    workflow: dict[str, Any],
) -> None:
    step = _preview_step(workflow)["with"]
    assert step["work-dir"] == "${{ matrix.work_dir }}"
    assert step["policyPacks"] == "${{ matrix.policy_pack }}"
    assert step["policyPackConfigs"] == "${{ matrix.policy_pack_config }}"
    assert step["stack-name"] == "${{ matrix.stack_name }}"
    assert step["upsert"] is True


def test_the_pack_venv_is_installed_before_the_preview(workflow: dict[str, Any]) -> None:
    steps = _steps(workflow, "preview")
    install = next(
        i for i, s in enumerate(steps) if "pulumi install --cwd policy" in s.get("run", "")
    )
    assert install < steps.index(_preview_step(workflow))


def test_the_pinned_cli_is_the_pinned_sdk(workflow: dict[str, Any]) -> None:
    pinned = (REPOSITORY / ".pulumi.version").read_text().strip()
    requirements = (REPOSITORY / "requirements-dev.txt").read_text().splitlines()
    assert f"pulumi=={pinned}" in requirements
    installs = [s for s in _steps(workflow, "preview") if "pulumi/actions" in s.get("uses", "")]
    assert installs
    assert all(s["with"]["pulumi-version-file"] == ".pulumi.version" for s in installs)


def test_forks_and_dependabot_get_no_preview_and_the_offline_plan_needs_no_secret(
    workflow: dict[str, Any],
) -> None:
    condition = workflow["jobs"]["preview"]["if"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    assert "github.actor != 'dependabot[bot]'" in condition
    offline = yaml.safe_dump(workflow["jobs"]["lint-test-plan"])
    assert "secrets." not in offline


def test_a_changed_upstream_is_announced_and_does_not_block(workflow: dict[str, Any]) -> None:
    steps = _steps(workflow, "preview")
    notice = next(s for s in steps if s.get("if") == "matrix.upstream_changed")
    assert "::warning" in notice["run"]
    assert "$REASON" in notice["run"]
    assert _preview_step(workflow)["continue-on-error"] == "${{ matrix.upstream_changed }}"


def test_the_organisation_is_one_workflow_variable(workflow: dict[str, Any]) -> None:
    text = WORKFLOW.read_text()
    assert workflow["env"]["PULUMI_ORG"].startswith("${{ vars.PULUMI_ORG")
    assert text.count("vars.PULUMI_ORG") == 1


def test_empty_upstream_keys_name_the_stacks_of_this_organisation_and_environment() -> None:
    found = discover(REPOSITORY / "stacks", StackSelection(environment="dev", organization="acme"))
    fraud = next(t for t in found.targets if t.stack == "fraud-scoring-dev")
    assert fraud.upstreams == {
        "retraining:networkIamStack": "acme/network-iam/dev",
        "retraining:notificationsStack": "acme/notifications/dev",
    }


@pytest.mark.parametrize(
    ("configured", "organization", "expected"),
    [
        ("", "acme", "acme/network-iam/prod"),
        ("", None, "organization/network-iam/prod"),
        ("other/network-iam/dev", "acme", "other/network-iam/dev"),
    ],
)
def test_upstream_stack_name(configured: str, organization: str | None, expected: str) -> None:
    name = upstream_stack_name(
        configured, key="networkIamStack", environment="prod", organization=organization
    )
    assert name == expected


def _zizmor(workflow_file: Path) -> subprocess.CompletedProcess[str]:
    zizmor = Path(sys.executable).parent / "zizmor"
    config = REPOSITORY / ".github" / "zizmor.yml"
    return subprocess.run(  # noqa: S603 - fixed argv
        [str(zizmor), "--offline", "--config", str(config), str(workflow_file)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_workflow_passes_the_expression_aware_lint() -> None:
    result = _zizmor(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_lint_catches_a_pull_request_value_expanded_into_a_script(tmp_path: Path) -> None:
    # The upstream-changed notice passes the matrix value through env on purpose; expanding it
    # into the script would let a branch or file name inject shell code.
    text = WORKFLOW.read_text()
    assert '"::warning title=Preview against the deployed upstream::$REASON.' in text
    unsafe = text.replace("::$REASON.", "::${{ github.head_ref }}.")
    mutated = tmp_path / ".github" / "workflows" / "ci.yml"
    mutated.parent.mkdir(parents=True)
    mutated.write_text(unsafe)
    result = _zizmor(mutated)
    assert result.returncode != 0
    assert "template-injection" in result.stdout


def test_the_offline_plan_in_ci_uses_the_same_organisation() -> None:
    ci_run = (REPOSITORY / ".ci" / "run").read_text()
    assert '--organization "${PULUMI_ORG:-organization}"' in ci_run


def test_the_offline_plan_in_ci_shows_itself_and_plans_what_a_pull_request_changed(
    tmp_path: Path,
) -> None:
    """.ci/run's plan options, as bash computes them on a pull request's runner."""
    ci_run = (REPOSITORY / ".ci" / "run").read_text()
    start = ci_run.index("plan_options=(")
    end = ci_run.index('nox -s plan -- "${plan_options[@]}"')
    script = ci_run[start:end] + 'printf "%s\\n" "${plan_options[@]}"\n'
    environment = {"PATH": os.environ["PATH"], "GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "main"}
    result = subprocess.run(  # noqa: S603
        ["bash", "-c", script],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    options = result.stdout.splitlines()
    assert "--github" in options
    assert options[options.index("--changed-since") + 1] == "origin/main"
    outside = subprocess.run(  # noqa: S603
        ["bash", "-c", script],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ["PATH"]},
    ).stdout.splitlines()
    assert "--github" not in outside
    assert "--changed-since" not in outside


def test_ci_runs_the_thorough_profile_every_skipped_test_included() -> None:
    """The fast profile of `nox -s tests` skips the tests marked `thorough`; CI must run them."""
    commands = [
        line.strip()
        for line in (REPOSITORY / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if "nox -s tests" in line and not line.lstrip().startswith("#")
    ]
    assert commands == ["TEST_PROFILE=thorough nox -s tests"]
    assert "TEST_PROFILE=thorough" in suite_profiles.SKIPPED_REASON
