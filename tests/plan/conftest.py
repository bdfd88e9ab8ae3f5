"""Fixtures of the plan tests (helpers in plan_harness.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
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


@pytest.fixture(autouse=True)
def _forget_modules_of_copied_stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A test that plans a copy of stacks/ imports that copy's packages (`retraining_stack`, …):
    drop them afterwards, so a later test in this worker imports the repository's own."""
    yield
    copies = tmp_path_factory.getbasetemp().resolve()
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None)
        if origin and Path(origin).resolve().is_relative_to(copies):
            del sys.modules[name]
