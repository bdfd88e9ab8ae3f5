"""Helpers of the plan tests: run the planner's CLI in-process against the toy fixtures."""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_plan import generate_stacks
from offline_plan.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
TOY_STACKS = FIXTURES / "stacks"
TOY_PACK = FIXTURES / "policy_pack"
IDENTITY_PACK = FIXTURES / "identity_pack"
BROKEN_PACK = FIXTURES / "broken_pack"
REVIEW = FIXTURES / "review"
SCHEMA = Path(__file__).parents[2] / "tools" / "offline_plan" / "report.schema.json"


@dataclass(frozen=True)
class PlanOutcome:
    exit_code: int
    report: dict[str, Any]
    text: str

    def stack(self, name: str, project: str = "retraining") -> dict[str, Any]:
        return next(
            s for s in self.report["stacks"] if s["stack"] == name and s["project"] == project
        )

    def diagnostics(self, policy: str) -> list[dict[str, Any]]:
        return [d for d in self.report["diagnostics"] if d["policy"] == policy]


def run_cli(arguments: Sequence[str], json_path: Path) -> PlanOutcome:
    """`python -m offline_plan ARGUMENTS --json JSON_PATH`, in this process (no Python start-up)."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exit_code = main([*arguments, "--json", str(json_path)])
    return PlanOutcome(exit_code, json.loads(json_path.read_text()), output.getvalue())


def comparable_report(report: dict[str, Any]) -> dict[str, Any]:
    """A JSON report without timings, with what follows a program's registration order (not
    deterministic from run to run: tests/plan/test_plan_modes.py) put in order."""
    report = dict(report)
    report.pop("seconds")
    report["capacity"] = {k: v for k, v in report["capacity"].items() if k != "windowStart"}
    stacks = []
    for planned in report["stacks"]:
        stack = {key: value for key, value in planned.items() if key != "timings"}
        stack["resources"] = sorted(
            ({**r, "dependencies": sorted(r["dependencies"])} for r in stack["resources"]),
            key=lambda r: r["urn"],
        )
        stacks.append(stack)
    report["stacks"] = stacks
    if report.get("authorization"):
        # Edges are listed in the order of the resources they come from (registration order).
        authorization = dict(report["authorization"])
        authorization["edges"] = sorted(
            authorization.get("edges") or [], key=lambda e: json.dumps(e, sort_keys=True)
        )
        report["authorization"] = authorization
    report["diagnostics"] = sorted(
        report["diagnostics"], key=lambda d: (d["stack"], d["urn"] or "", d["policy"], d["message"])
    )
    return report


def generated_dev_stacks(destination: Path) -> Path:
    """The shipped dev stacks plus 5 generated retraining stacks (as `nox -s bench` generates
    them), the third with a schedule its program refuses (an input error, exit 2)."""
    generate_stacks(Path(__file__).parents[2] / "stacks", destination, "dev", 5)
    broken = sorted((destination / "retraining").glob("Pulumi.*-dev.yaml"))[2]
    text = broken.read_text()
    assert "retraining:schedule:" in text
    broken.write_text(
        re.sub(r"retraining:schedule: .*", "retraining:schedule: cron(0 25 * * ? *)", text)
    )
    return destination
