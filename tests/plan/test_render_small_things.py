"""Small things of the plan's display: the progress counts and long stack names."""

from __future__ import annotations

import io
from pathlib import Path

from offline_plan.discovery import StackSelection
from offline_plan.planner import PlanRequest, ProgressListener, plan
from offline_plan.render import RichProgress, render
from offline_plan.report import PlannedResource, PlanReport, StackPlan
from rich.console import Console

REPOSITORY = Path(__file__).parents[2]


class _Recording(ProgressListener):
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def planning(self, total: int, judged: int = 0) -> None:
        self.calls.append((total, judged))


def test_the_planner_says_how_many_stacks_the_pack_will_judge() -> None:
    listener = _Recording()
    review = REPOSITORY / "stacks" / "retraining" / "Pulumi.fraud-scoring-dev.yaml"
    request = PlanRequest(
        stacks_dir=REPOSITORY / "stacks",
        selection=StackSelection(stack_config_files=(review,)),
        policy_pack=REPOSITORY / "policy",
    )
    report = plan(request, listener)
    assert report.exit_code == 0
    assert listener.calls == [(3, 1)]  # two upstream stacks planned, the team's stack judged


def test_the_progress_display_never_shows_an_unknown_total() -> None:
    output = io.StringIO()
    console = Console(file=output, force_terminal=True, width=100)
    with RichProgress(console) as progress:
        progress.planning(3, 1)
        progress.stack_started("organization/retraining/fraud-scoring-dev")
        progress.stack_finished("organization/retraining/fraud-scoring-dev")
        progress.stack_analyzed("organization/retraining/fraud-scoring-dev")
        progress.progress.refresh()
        totals = [task.total for task in progress.progress.tasks]
    assert totals == [3, 1]
    assert "None" not in output.getvalue()
    assert "1/3" in output.getvalue()


def _report(stack: str, status: str) -> PlanReport:
    report = PlanReport(environment="dev")
    entry = StackPlan("retraining", stack, "acme-platform", "Pulumi.x.yaml", "target")
    entry.status = status
    entry.resources.append(
        PlannedResource(
            urn="urn:pulumi:x::retraining::aws:sqs/queue:Queue::q",
            type="aws:sqs/queue:Queue",
            name="q",
            parent=None,
            operation="create",
            custom=True,
            inputs={},
            dependencies=[],
            provider=None,
        )
    )
    report.stacks.append(entry)
    return report


def test_a_long_stack_name_is_shown_whole_not_cut_in_the_box_title() -> None:
    stack = "platformteam-customer-lifetime-value-staging"
    for status in ("planned", "failed"):
        output = io.StringIO()
        render(_report(stack, status), Console(file=output, width=80, highlight=False))
        text = output.getvalue()
        assert f"acme-platform/retraining/{stack}" in text
        assert "…" not in text


def test_a_short_stack_name_keeps_everything_in_the_title() -> None:
    output = io.StringIO()
    render(_report("fraud-scoring-dev", "planned"), Console(file=output, width=100))
    title = next(line for line in output.getvalue().splitlines() if "fraud-scoring-dev" in line)
    assert "retraining / fraud-scoring-dev" in title
    assert "1 to create" in title
