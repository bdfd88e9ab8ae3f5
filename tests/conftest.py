"""Fixtures every test suite may use. Keep this file small: suite-specific fixtures live beside
their suite."""

from __future__ import annotations

from typing import Any

import hypothesis_profiles  # noqa: F401 - loads the fast or thorough Hypothesis profile
import pytest
from pulumi.runtime import mocks as pulumi_mocks


@pytest.fixture
def registered_types(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Type tokens of every resource a program run under Pulumi's mocks registers in this test,
    including runs that end in an exception (where the harness returns no StackRun)."""
    registered: list[str] = []
    original = pulumi_mocks.MockMonitor.RegisterResource

    def recording(self: pulumi_mocks.MockMonitor, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            registered.append(request.type)
        return original(self, request)

    monkeypatch.setattr(pulumi_mocks.MockMonitor, "RegisterResource", recording)
    return registered
