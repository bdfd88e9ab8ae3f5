"""`--shard I/N` plans a slice of the targets; `merge` joins the shards into the unsharded report.

The shipped dev stacks plus generated retraining stacks (one of them refused by its program)
planned once, then as 2 and as 3 shards: the merged report is the unsharded one except timings
(compared as tests/plan/test_parallel.py compares reports, resources and edges in order). The
one difference by design: each shard starts its own pack, so `processes_started` is their sum.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from offline_plan.cli import main
from plan_harness import SCHEMA, PlanOutcome, comparable_report, generated_dev_stacks, run_cli

_SECONDS = re.compile(r"in \d+\.\d\d s")


@pytest.fixture(scope="module")
def stacks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    destination = generated_dev_stacks(tmp_path_factory.mktemp("shards") / "stacks")
    budget = {
        "maxInstanceHoursPerMonth": {"dev": 1, "*": 1},
        "pricesUsdPerHour": {"ml.g5.2xlarge": {"onDemand": 1.5, "spot": 0.5}},
        "priceSource": "a test price",
    }
    (destination.parent / "budget.json").write_text(
        json.dumps({"cost-instance-hours-budget": budget})
    )
    return destination


def _plan(stacks_dir: Path, path: Path, *shard: str) -> PlanOutcome:
    # A budget every retraining stack exceeds: mandatory diagnostics (and prices) to merge.
    arguments = ["--env", "dev", "--stacks-dir", str(stacks_dir), "--jobs", "1"]
    arguments += ["--policy-pack-config", str(stacks_dir.parent / "budget.json")]
    return run_cli([*arguments, *(("--shard", shard[0]) if shard else ())], path)


def _merge(*arguments: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["merge", *arguments])
    return code, out.getvalue(), err.getvalue()


def _without_pack_processes(report: dict[str, Any]) -> dict[str, Any]:
    comparable = comparable_report(report)
    comparable["policy_pack"] = {**comparable["policy_pack"], "processes_started": None}
    return comparable


@pytest.fixture(scope="module")
def unsharded(stacks_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> PlanOutcome:
    return _plan(stacks_dir, tmp_path_factory.mktemp("unsharded") / "report.json")


@pytest.mark.parametrize("count", [2, 3])
def test_merged_shards_give_the_unsharded_report(
    stacks_dir: Path, unsharded: PlanOutcome, tmp_path: Path, count: int
) -> None:
    paths = [tmp_path / f"shard-{index}.json" for index in range(1, count + 1)]
    outcomes = [_plan(stacks_dir, path, f"{index}/{count}") for index, path in enumerate(paths, 1)]
    owned = [o.report["shard"]["owned"] for o in outcomes]
    targets = [s["full_name"] for s in unsharded.report["stacks"] if s["role"] == "target"]
    assert sorted(o for names in owned for o in names) == sorted(targets), (
        "each target is owned by one shard"
    )
    assert all(len(o) in (len(targets) // count, len(targets) // count + 1) for o in owned)
    assert any(s["role"] == "upstream" for o in outcomes for s in o.report["stacks"]), (
        "a shard plans the stacks its targets read, owned by another shard, as upstream"
    )
    assert unsharded.report["diagnostics"], "the comparison covers the pack's diagnostics"
    assert unsharded.report["errors"], "and an input error (the refused schedule)"

    code, printed, _ = _merge(*map(str, paths), "--json", str(tmp_path / "merged.json"))
    merged = json.loads((tmp_path / "merged.json").read_text())
    assert code == unsharded.exit_code == 2
    assert merged["summary"]["mandatory"] == unsharded.report["summary"]["mandatory"] > 0
    assert "shard" not in merged
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    for report in (merged, *(o.report for o in outcomes)):
        validator.validate(report)
    assert merged["policy_pack"]["processes_started"] == count
    assert _without_pack_processes(merged) == _without_pack_processes(unsharded.report)
    # The plan's console wraps its last line; the summary is the same but for the seconds.
    plan_text = _SECONDS.sub("in <t> s", " ".join(unsharded.text.split()))
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


def test_merge_refuses_an_unsharded_report(unsharded: PlanOutcome, tmp_path: Path) -> None:
    path = tmp_path / "plain.json"
    path.write_text(json.dumps(unsharded.report))
    code, _, error = _merge(str(path))
    assert code == 2
    assert "not a shard's: plan it with --shard I/N" in error
