"""One plan, whichever way it runs: in one process, in worker processes (`--jobs`), or as
shards (`--shard I/N`) that `merge` joins.

The shipped dev stacks plus generated retraining stacks (as `nox -s bench` generates them; one
of them with a schedule its program refuses), with a budget every retraining stack exceeds (the
pack's mandatory diagnostics, and prices, to compare), are planned once in one process. The
same plan with `--jobs 2` must give the same JSON report except timings, and the same printed
plan; as 2 and as 3 shards merged, the same JSON report except timings and the same summary
line. The one difference by design: each shard starts its own pack, so a merged report's
`processes_started` is their sum.

One thing is not the same from run to run, with or without workers: the order in which one
program registers its resources. The SDK registers them from asyncio tasks as their inputs
resolve (pulumi/runtime/resource.py, `register_resource` runs `do_register` as a task), so two
runs of the same program in one process may list a stack's resources (and the diagnostics on
them, and the authorization edges drawn from them) in a different order. The comparison
(`plan_harness.comparable_report`) therefore puts each stack's resources, the diagnostics and
the authorization edges in order, and compares the printed plan line by line as a multiset;
everything else (stack order, errors, outputs, summary, exit code) is compared as it is.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from offline_plan.cli import main
from offline_plan.discovery import StackTarget
from offline_plan.parallel import Deferred, in_order
from plan_harness import SCHEMA, PlanOutcome, comparable_report, generated_dev_stacks, run_cli

# The module-scoped plans run once per test run: `nox -s tests` passes --dist loadgroup, so
# every test of this module runs on one xdist worker.
pytestmark = pytest.mark.xdist_group(__name__)

_SECONDS = re.compile(r"in \d+\.\d\d s")
_TIMING = re.compile(r"\d+(\.\d+)? ?(s|ms)\b")
_WINDOW_START = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?Z?")
_GLYPHS = re.compile("[\u2500-\u257f]")


@pytest.fixture(scope="module")
def stacks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    destination = generated_dev_stacks(tmp_path_factory.mktemp("modes") / "stacks")
    budget = {
        "maxInstanceHoursPerMonth": {"dev": 1, "*": 1},
        "pricesUsdPerHour": {"ml.g5.2xlarge": {"onDemand": 1.5, "spot": 0.5}},
        "priceSource": "a test price",
    }
    (destination.parent / "budget.json").write_text(
        json.dumps({"cost-instance-hours-budget": budget})
    )
    return destination


def _plan(stacks_dir: Path, path: Path, *options: str) -> PlanOutcome:
    # A budget every retraining stack exceeds: mandatory diagnostics (and prices) to compare.
    arguments = ["--env", "dev", "--stacks-dir", str(stacks_dir)]
    arguments += ["--policy-pack-config", str(stacks_dir.parent / "budget.json")]
    return run_cli([*arguments, *options], path)


def _merge(*arguments: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["merge", *arguments])
    return code, out.getvalue(), err.getvalue()


def _without_pack_processes(report: dict[str, Any]) -> dict[str, Any]:
    comparable = comparable_report(report)
    comparable["policy_pack"] = {**comparable["policy_pack"], "processes_started": None}
    return comparable


def _lines(text: str) -> Counter[str]:
    """The plan's lines without timings, the capacity window's start, or tree and box glyphs
    (whether a resource is drawn as the last child depends on the registration order)."""
    lines: Counter[str] = Counter()
    for line in text.splitlines():
        kept = _GLYPHS.sub(" ", _WINDOW_START.sub("<start>", _TIMING.sub("<t>", line)))
        lines[" ".join(kept.split())] += 1
    return lines


@pytest.fixture(scope="module")
def one_process(stacks_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> PlanOutcome:
    """The plan in one process, unsharded: what every other way must give."""
    return _plan(stacks_dir, tmp_path_factory.mktemp("one") / "report.json", "--jobs", "1")


@pytest.mark.thorough  # worker processes (~2 s of CPU each to start) plan the stacks again
def test_workers_give_the_same_report_and_output_as_one_process(
    stacks_dir: Path, one_process: PlanOutcome, tmp_path: Path
) -> None:
    workers = _plan(stacks_dir, tmp_path / "report-2.json", "--jobs", "2")
    assert one_process.exit_code == workers.exit_code == 2, "the broken schedule is an input error"
    stacks = one_process.report["stacks"]
    assert [s["stack"] for s in stacks] == [s["stack"] for s in workers.report["stacks"]]
    assert len(stacks) == 2 + 5
    assert [s["status"] for s in stacks].count("failed") == 1
    assert one_process.report["errors"] == workers.report["errors"] != []
    assert one_process.report["diagnostics"], "the comparison covers the pack's diagnostics"
    assert comparable_report(one_process.report) == comparable_report(workers.report)
    assert _lines(one_process.text) == _lines(workers.text)


# 3 shards own 3, 2 and 2 of the 7 stacks; 2 shards (4 and 3) repeat that in the thorough profile.
@pytest.mark.parametrize("count", [pytest.param(2, marks=pytest.mark.thorough), 3])
def test_merged_shards_give_the_unsharded_report(
    stacks_dir: Path, one_process: PlanOutcome, tmp_path: Path, count: int
) -> None:
    paths = [tmp_path / f"shard-{index}.json" for index in range(1, count + 1)]
    outcomes = [
        _plan(stacks_dir, path, "--jobs", "1", "--shard", f"{index}/{count}")
        for index, path in enumerate(paths, 1)
    ]
    owned = [o.report["shard"]["owned"] for o in outcomes]
    targets = [s["full_name"] for s in one_process.report["stacks"] if s["role"] == "target"]
    assert sorted(o for names in owned for o in names) == sorted(targets), (
        "each target is owned by one shard"
    )
    assert all(len(o) in (len(targets) // count, len(targets) // count + 1) for o in owned)
    assert any(s["role"] == "upstream" for o in outcomes for s in o.report["stacks"]), (
        "a shard plans the stacks its targets read, owned by another shard, as upstream"
    )
    assert one_process.report["diagnostics"], "the comparison covers the pack's diagnostics"
    assert one_process.report["errors"], "and an input error (the refused schedule)"

    code, printed, _ = _merge(*map(str, paths), "--json", str(tmp_path / "merged.json"))
    merged = json.loads((tmp_path / "merged.json").read_text())
    assert code == one_process.exit_code == 2
    assert merged["summary"]["mandatory"] == one_process.report["summary"]["mandatory"] > 0
    assert "shard" not in merged
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    for report in (merged, *(o.report for o in outcomes)):
        validator.validate(report)
    assert merged["policy_pack"]["processes_started"] == count
    assert _without_pack_processes(merged) == _without_pack_processes(one_process.report)
    # The plan's console wraps its last line; the summary is the same but for the seconds.
    plan_text = _SECONDS.sub("in <t> s", " ".join(one_process.text.split()))
    merge_line = _SECONDS.sub("in <t> s", printed.strip())
    assert merge_line.startswith("ERROR 6/7 stacks planned, ")
    assert plan_text.endswith(merge_line)


@pytest.mark.parametrize("value", ["0/2", "3/2", "2", "a/b", "1/0"])
def test_a_shard_outside_1_to_n_is_refused(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--env", "dev", "--shard", value])
    assert exit_info.value.code == 2
    assert "--shard" in capsys.readouterr().err


def _shard_report(environment: str, index: int, count: int, pack: str = "1.0.0") -> Any:
    return {
        "version": 1,
        "environment": environment,
        "exit_code": 0,
        "policy_pack": {"name": "retraining", "version": pack, "processes_started": 1},
        "shard": {"index": index, "count": count, "order": ["o/p/a"], "owned": ["o/p/a"]},
    }


@pytest.mark.parametrize(
    ("reports", "message"),
    [
        ([("dev", 1, 2), ("prod", 2, 2)], "different environments: dev, prod"),
        ([("dev", 1, 2, "1.0.0"), ("dev", 2, 2, "1.1.0")], "different policy packs"),
        ([("dev", 1, 3), ("dev", 2, 3)], "missing 3/3"),
        ([("dev", 1, 2), ("dev", 1, 2)], "repeated 1/2"),
    ],
)
def test_merge_refuses_reports_of_different_plans(
    tmp_path: Path, reports: list[tuple[Any, ...]], message: str
) -> None:
    paths = []
    for number, report in enumerate(reports):
        path = tmp_path / f"{number}.json"
        path.write_text(json.dumps(_shard_report(*report)))
        paths.append(str(path))
    code, printed, error = _merge(*paths)
    assert code == 2
    assert message in error
    assert printed == ""


def test_merge_refuses_an_unsharded_report(one_process: PlanOutcome, tmp_path: Path) -> None:
    path = tmp_path / "plain.json"
    path.write_text(json.dumps(one_process.report))
    code, _, error = _merge(str(path))
    assert code == 2
    assert "not a shard's: plan it with --shard I/N" in error


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
