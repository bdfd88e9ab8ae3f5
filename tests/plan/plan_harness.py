"""Helpers of the plan tests: run the planner's CLI in-process against the toy fixtures."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
