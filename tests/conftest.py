"""Fixtures every test suite may use. Keep this file small: suite-specific fixtures live beside
their suite."""

from __future__ import annotations

from typing import Any

import pytest
import suite_profiles  # loads the fast or the thorough profile (Hypothesis's included)
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the fast profile the tests marked `thorough` are skipped, saying where they run."""
    if suite_profiles.THOROUGH:
        return
    skip = pytest.mark.skip(reason=suite_profiles.SKIPPED_REASON)
    for item in items:
        if item.get_closest_marker("thorough") is not None:
            item.add_marker(skip)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Under `--dist loadgroup` (nox -s tests), a grouped test that lost its group would run its
    module's module-scoped plans once per worker again, silently (pytest 9.2 with pytest-xdist
    3.8: pytest-dev/pytest-xdist#1386). Such a test fails instead, saying why."""
    # xdist sets the option in its workers only (xdist/remote.py setup_config).
    if not getattr(item.config.option, "loadgroup", False):
        return
    if item.get_closest_marker("xdist_group") is not None and "@" not in item.nodeid:
        pytest.fail(
            "--dist loadgroup is not grouping (this test's id has no @group suffix): this pytest "
            "and pytest-xdist do not work together (pytest-dev/pytest-xdist#1386); see the "
            "pytest pin in requirements-dev.txt",
            pytrace=False,
        )
