"""Fixtures of the plan tests (helpers in plan_harness.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from plan_harness import TOY_PACK, TOY_STACKS, PlanOutcome, run_cli


@pytest.fixture(scope="module")
def plan_cli(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., PlanOutcome]:
    """Plans the toy world; `pack` defaults to the toy policy pack."""

    def run(*arguments: str, pack: Path = TOY_PACK) -> PlanOutcome:
        json_path = tmp_path_factory.mktemp("plan") / "report.json"
        base = ["--stacks-dir", str(TOY_STACKS), "--policy-pack", str(pack)]
        return run_cli([*base, *arguments], json_path)

    return run
