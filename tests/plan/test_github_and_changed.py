"""A plan CI can show (--github: job summary, annotations at stack file lines) and a plan of
only what changed (--changed-since REF)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from offline_plan import github
from offline_plan.cli import main
from plan_harness import run_cli

REPOSITORY = Path(__file__).parents[2]
STACKS = REPOSITORY / "stacks"
FRAUD = STACKS / "retraining" / "Pulumi.fraud-scoring-dev.yaml"
BROKEN = """\
config:
  retraining:team: fraud
  retraining:model: scoring
  retraining:environment: dev
  retraining:schedule: cron(0 6 * * *)
  retraining:training:
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-scoring:1.0.0
  retraining:qualityGate: {}
"""


def _line_of(path: Path, fragment: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


def test_values_are_escaped_as_the_actions_toolkit_escapes_them() -> None:
    command = github.workflow_command(
        "error", "50% done\nnext, line", file="a,b:c.yaml", line=3, column=5, title="k:1"
    )
    assert (
        command == "::error file=a%2Cb%3Ac.yaml,line=3,col=5,title=k%3A1::50%25 done%0Anext, line"
    )
    assert github.workflow_command("warning", "plain") == "::warning::plain"


def test_config_errors_become_annotations_at_their_line_and_a_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    review = tmp_path / "Pulumi.fraud-scoring-dev.yaml"
    review.write_text(BROKEN)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # as on a runner: no flag needed
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    outcome = run_cli(
        ["--stacks-dir", str(STACKS), "--no-policy-pack", "--stack-config", str(review)],
        tmp_path / "report.json",
    )
    assert outcome.exit_code == 2
    line = _line_of(review, "retraining:schedule")
    commands = [text for text in outcome.text.splitlines() if text.startswith("::")]
    assert commands == [
        f"::error file=Pulumi.fraud-scoring-dev.yaml,line={line},col=24,"
        f"title=retraining%3Aschedule::{outcome.report['errors'][0]['message']}"
    ]
    markdown = summary.read_text()
    assert "## Offline plan — environment `dev`: ❌ ERROR" in markdown
    assert "| `retraining/fraud-scoring-dev` | target | failed | 0 |" in markdown
    assert f"- `Pulumi.fraud-scoring-dev.yaml:{line}:24`: retraining:schedule:" in markdown


def test_a_finding_is_placed_at_the_config_key_that_shapes_its_resource(tmp_path: Path) -> None:
    report = {
        "environment": "dev",
        "exit_code": 1,
        "summary": {"stacks": 1, "stacks_planned": 1, "mandatory": 1},
        "stacks": [
            {
                "project": "retraining",
                "stack": "fraud-scoring-dev",
                "full_name": "organization/retraining/fraud-scoring-dev",
                "config_file": str(FRAUD),
                "role": "target",
                "status": "planned",
                "resources": [{"operation": "create"}],
                "outputs": {"schedule_expression": "cron(0 6 * * ? *)"},
            }
        ],
        "diagnostics": [
            {
                "policy": "schedule-frequency",
                "level": "mandatory",
                "kind": "violation",
                "stack": "organization/retraining/fraud-scoring-dev",
                "resource_type": "aws:cloudwatch/eventRule:EventRule",
                "resource_name": "fraud-scoring-dev-schedule",
                "message": "runs too often",
            },
            {
                "policy": "tags",
                "level": "advisory",
                "kind": "violation",
                "stack": "organization/retraining/fraud-scoring-dev",
                "resource_type": "aws:sqs/queue:Queue",
                "resource_name": "q",
                "message": "no owner tag",
            },
        ],
        "errors": [],
        "capacity": {
            "maxInstanceHoursPerMonth": 60.0,
            "maxInstanceHoursPerMonthByInstanceType": {"ml.m5.2xlarge": 60.0},
        },
    }
    commands = github.annotation_commands(report, REPOSITORY)
    line = _line_of(FRAUD, "retraining:schedule:")
    assert commands == [
        "::error file=stacks/retraining/Pulumi.fraud-scoring-dev.yaml,line="
        f"{line},title=schedule-frequency (mandatory)::fraud-scoring-dev-schedule: runs too often",
        "::warning file=stacks/retraining/Pulumi.fraud-scoring-dev.yaml,"
        "title=tags (advisory)::q: no owner tag",
    ]
    markdown = github.summary_markdown(report, REPOSITORY)
    assert "⛔ BLOCKED" in markdown
    assert "| mandatory | `schedule-frequency` |" in markdown
    assert "At 06:00, every day (UTC)" in markdown
    assert "| `ml.m5.2xlarge` | 60.0 |" in markdown  # the capacity section, when there is one


def test_without_github_nothing_is_annotated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    review = tmp_path / "Pulumi.fraud-scoring-dev.yaml"
    review.write_text(BROKEN)
    outcome = run_cli(
        ["--stacks-dir", str(STACKS), "--no-policy-pack", "--stack-config", str(review)],
        tmp_path / "report.json",
    )
    assert not [text for text in outcome.text.splitlines() if text.startswith("::")]


# --changed-since ----------------------------------------------------------------------------


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    shutil.copytree(STACKS, root / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "README.md").write_text("docs\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "base")
    return root


def _git(root: Path, *arguments: str) -> None:
    environment = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    environment |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(  # noqa: S603
        ["git", "-C", str(root), *arguments],  # noqa: S607
        check=True,
        capture_output=True,
        env=environment,
    )


def _planned(root: Path, tmp_path: Path) -> tuple[int, dict[str, str], str]:
    outcome = run_cli(
        ["--stacks-dir", str(root / "stacks"), "--no-policy-pack", "--changed-since", "main"],
        tmp_path / "report.json",
    )
    roles = {f"{s['project']}/{s['stack']}": s["role"] for s in outcome.report["stacks"]}
    return outcome.exit_code, roles, outcome.text


def test_a_team_stack_change_plans_that_stack_and_the_stacks_it_reads(
    repository: Path, tmp_path: Path
) -> None:
    _git(repository, "checkout", "-q", "-b", "change")
    stack_file = repository / "stacks" / "retraining" / FRAUD.name
    stack_file.write_text(stack_file.read_text().replace("max_depth: 6", "max_depth: 7"))
    _git(repository, "commit", "-q", "-am", "deeper trees")
    code, roles, text = _planned(repository, tmp_path)
    assert code == 0, text
    assert roles == {
        "network-iam/dev": "upstream",
        "notifications/dev": "upstream",
        "retraining/fraud-scoring-dev": "target",
    }


def test_an_upstream_change_plans_every_stack_reading_it(repository: Path, tmp_path: Path) -> None:
    stack_file = repository / "stacks" / "notifications" / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "\n")  # uncommitted counts too
    _, roles, _ = _planned(repository, tmp_path)
    assert {name for name, role in roles.items() if role == "target"} == {
        "notifications/dev",
        "retraining/churn-forecast-dev",
        "retraining/fraud-scoring-dev",
    }


def test_a_new_untracked_stack_file_is_planned(repository: Path, tmp_path: Path) -> None:
    new = repository / "stacks" / "retraining" / "Pulumi.fraud-ranking-dev.yaml"
    new.write_text(
        (repository / "stacks" / "retraining" / FRAUD.name)
        .read_text()
        .replace("retraining:model: scoring", "retraining:model: ranking")
    )
    _, roles, _ = _planned(repository, tmp_path)
    assert {name for name, role in roles.items() if role == "target"} == {
        "retraining/fraud-ranking-dev"
    }


def test_a_shared_code_change_plans_everything(repository: Path, tmp_path: Path) -> None:
    (repository / "shared").mkdir()
    (repository / "shared" / "new.py").write_text("VALUE = 1\n")
    _, roles, _ = _planned(repository, tmp_path)
    assert len(roles) == 4
    assert set(roles.values()) == {"target"}


def test_a_change_outside_the_stacks_plans_nothing(repository: Path, tmp_path: Path) -> None:
    (repository / "README.md").write_text("more docs\n")
    code, roles, text = _planned(repository, tmp_path)
    assert code == 0
    assert roles == {}
    assert "nothing to plan" in text


def test_an_unknown_ref_exits_2(repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--stacks-dir", str(repository / "stacks"), "--changed-since", "no-such-ref"])
    assert code == 2
    error = capsys.readouterr().err
    assert "--changed-since: git diff --name-only no-such-ref...HEAD failed" in error
