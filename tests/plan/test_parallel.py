"""Stacks planned in worker processes give the same plan as one process (`--jobs`).

The shipped dev stacks plus generated retraining stacks (as `nox -s bench` generates them), one
of them with a schedule the program refuses, planned with `--jobs 1` and `--jobs 2`: the JSON
report is the same except timings, and so is the printed plan.

One thing is not the same from run to run, with or without workers: the order in which one
program registers its resources. The SDK registers them from asyncio tasks as their inputs
resolve (pulumi/runtime/resource.py, `register_resource` runs `do_register` as a task), so two
runs of the same program in one process may list a stack's resources (and the diagnostics on
them, and the authorization edges drawn from them) in a different order. The comparison
therefore puts each stack's resources, the diagnostics and the authorization edges in order,
and compares the printed plan line by line as a multiset; everything else (stack order,
errors, outputs, summary, exit code) is compared as it is.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from offline_plan.discovery import StackTarget
from offline_plan.parallel import Deferred, in_order
from plan_harness import PlanOutcome, comparable_report, generated_dev_stacks, run_cli

REPOSITORY = Path(__file__).resolve().parents[2]
_TIMING = re.compile(r"\d+(\.\d+)? ?(s|ms)\b")
_WINDOW_START = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?Z?")
_GLYPHS = re.compile("[\u2500-\u257f]")


@pytest.fixture(scope="module")
def stacks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_dev_stacks(tmp_path_factory.mktemp("parallel") / "stacks")


def _plan(stacks_dir: Path, tmp_path: Path, jobs: str) -> PlanOutcome:
    return run_cli(
        ["--env", "dev", "--stacks-dir", str(stacks_dir), "--jobs", jobs],
        tmp_path / f"report-{jobs}.json",
    )


def _lines(text: str) -> Counter[str]:
    """The plan's lines without timings, the capacity window's start, or tree and box glyphs
    (whether a resource is drawn as the last child depends on the registration order)."""
    lines: Counter[str] = Counter()
    for line in text.splitlines():
        kept = _GLYPHS.sub(" ", _WINDOW_START.sub("<start>", _TIMING.sub("<t>", line)))
        lines[" ".join(kept.split())] += 1
    return lines


def test_workers_give_the_same_report_and_output_as_one_process(
    stacks_dir: Path, tmp_path: Path
) -> None:
    one = _plan(stacks_dir, tmp_path, "1")
    two = _plan(stacks_dir, tmp_path, "2")
    assert one.exit_code == two.exit_code == 2, "the broken schedule is an input error"
    assert [s["stack"] for s in one.report["stacks"]] == [s["stack"] for s in two.report["stacks"]]
    assert len(one.report["stacks"]) == 2 + 5
    assert [s["status"] for s in one.report["stacks"]].count("failed") == 1
    assert one.report["errors"] == two.report["errors"] != []
    assert comparable_report(one.report) == comparable_report(two.report)
    assert _lines(one.text) == _lines(two.text)


def _target(name: str, upstreams: dict[str, str], problems: tuple[Any, ...] = ()) -> StackTarget:
    target: Any = type("Target", (), {})()
    target.aliases = (name,)
    target.upstreams = upstreams
    target.problems = problems
    return target  # type: ignore[no-any-return]


def test_a_stack_starts_only_after_its_upstreams_are_finished_and_finishes_in_order() -> None:
    targets = [
        _target("base", {}),
        _target("team-a", {"baseStack": "base"}),
        _target("shared", {}),
        _target("team-b", {"baseStack": "base", "sharedStack": "shared"}),
    ]
    events: list[str] = []

    def start(index: int) -> Deferred:
        events.append(f"start {index}")
        return Deferred(events.append, f"run {index}")

    def finish(index: int, job: Any) -> None:
        job.result()
        events.append(f"finish {index}")

    in_order(targets, start, finish)
    assert [e for e in events if e.startswith("finish")] == [f"finish {i}" for i in range(4)]
    assert events.index("start 1") > events.index("finish 0")
    assert events.index("start 2") < events.index("finish 0"), "no upstream: started at once"
    assert events.index("start 3") > events.index("finish 2")
