"""Per-policy cases over the compliant baseline stacks, and the corpus of all of them.

Each policy has one test module, `tests/policy/<family>/test_<policy>.py`, holding its
`NON_COMPLIANT` and `COMPLIANT` cases: a case names a baseline stack (`policy_fixtures.STACKS`)
and a mutation of it (as pulumi/compliance-policies mutates one compliant fixture per test). A
non-compliant case must be caught by its policy at the policy's level, with every finding on a
resource of the stack; a compliant case (and each baseline it starts from) must give that policy
nothing to say. `CORPUS` gathers every non-compliant case of every module, for suites that run
them all (over gRPC, against the captured stacks).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from policy_fixtures import STACKS
from policy_harness import Diagnostic, FixtureResource, InProcessPack, by_policy
from retraining_policies.catalogue import POLICIES

Mutation = Callable[[list[FixtureResource]], list[FixtureResource]]
LEVELS = {policy.name: policy.doc.enforcement_level.value for policy in POLICIES}
_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Case:
    """One variant of a baseline stack: `mutate` applies the change under test."""

    name: str
    stack: str
    mutate: Mutation

    def resources(self) -> list[FixtureResource]:
        return self.mutate(STACKS[self.stack]())


@dataclass(frozen=True)
class Variant:
    """A non-compliant case with the policy that must catch it."""

    name: str
    stack: str
    policy: str
    mutate: Mutation


def _unchanged(resources: list[FixtureResource]) -> list[FixtureResource]:
    return resources


_PACK: list[InProcessPack] = []


def _pack() -> InProcessPack:
    if not _PACK:
        _PACK.append(InProcessPack())
    return _PACK[0]


def _no_crash(diagnostics: list[Diagnostic]) -> None:
    crashed = [d.message for d in diagnostics if "bug in the policy pack" in d.message]
    assert crashed == [], "odd input must give a clean finding, never a crash"


def assert_caught(policy: str, case: Case) -> None:
    resources = case.resources()
    diagnostics = _pack().preview(resources)
    _no_crash(diagnostics)
    caught = by_policy(diagnostics, policy)
    assert caught, f"{policy} missed {case.name}: {diagnostics}"
    assert {d.level for d in caught} == {LEVELS[policy]}
    urns = {resource.urn for resource in resources}
    assert all(d.urn in urns for d in caught), "every finding names a resource of the stack"


def assert_clean(policy: str, case: Case) -> None:
    diagnostics = _pack().preview(case.resources())
    _no_crash(diagnostics)
    assert by_policy(diagnostics, policy) == [], f"{policy} flagged {case.name}"


def non_compliant_tests(policy: str, cases: Sequence[Case]) -> Callable[[Case], None]:
    assert policy in LEVELS, f"{policy} is not a policy of the pack"

    @pytest.mark.parametrize("case", cases, ids=[case.name for case in cases])
    def test(case: Case) -> None:
        assert_caught(policy, case)

    return test


def compliant_tests(
    policy: str, cases: Sequence[Case], non_compliant: Sequence[Case]
) -> Callable[[Case], None]:
    """The compliant cases plus the unchanged baseline of every stack the module mutates."""
    baselines = [
        Case(f"baseline {stack}", stack, _unchanged)
        for stack in sorted({case.stack for case in [*cases, *non_compliant]})
    ]
    every = [*cases, *baselines]

    @pytest.mark.parametrize("case", every, ids=[case.name for case in every])
    def test(case: Case) -> None:
        assert_clean(policy, case)

    return test


def _case_modules() -> list[Any]:
    modules = []
    for path in sorted(_HERE.glob("*/test_*.py")):
        spec = importlib.util.spec_from_file_location(f"policy_cases_{path.stem}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if hasattr(module, "POLICY") and hasattr(module, "NON_COMPLIANT"):
            modules.append(module)
    return modules


CASE_MODULES = _case_modules()
CORPUS: list[Variant] = [
    Variant(case.name, case.stack, module.POLICY, case.mutate)
    for module in CASE_MODULES
    for case in module.NON_COMPLIANT
]
