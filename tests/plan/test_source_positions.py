"""The offline plan skips the SDK's stack walk per resource (offline_plan/mock_runtime.py,
`_without_source_positions`), and only while a program runs under the mocks."""

from __future__ import annotations

from typing import Any

import pytest
from offline_plan.mock_runtime import run_program
from plan_harness import TOY_STACKS
from pulumi.runtime import resource as sdk_resource


def test_programs_register_resources_without_walking_the_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walks: list[Any] = []
    original = sdk_resource._get_stack_trace

    def counted() -> Any:
        walks.append(1)
        return original()

    monkeypatch.setattr(sdk_resource, "_get_stack_trace", counted)
    run = run_program(TOY_STACKS / "network-iam", "dev")
    assert run.resources, "the toy network-iam stack registers resources"
    assert walks == []
    assert sdk_resource._get_stack_trace is counted, "the SDK's own function is back after"
