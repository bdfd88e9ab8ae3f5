"""No stack policy's cost grows faster than linearly with the stack.

A generated stack of 2,000 resources (copies of the baseline retraining stacks, each copy with
its own names, URNs and property dependencies) goes through each stack policy's check alone, and
through the whole `AnalyzeStack` of the servicer the pack serves, in process. The cost of N and
4N resources is compared in traced Python steps (`_traced_steps`): a linear pack takes about
four times as many for four times the resources, a quadratic one sixteen times; the bound sits
between the two on a log scale (8). A count, unlike a CPU-time ratio, does not depend on what
else the machine runs. No timing is asserted (the per-resource figures live in `nox -s bench`
and tools/profile_pack.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import policy_fixtures as fixtures
import pytest
from policy_harness import FixtureResource, InProcessPack, analyze_stack_request
from retraining_policies.catalogue import POLICIES
from retraining_policies.framework import Resource, RetrainingStackPolicy, Stack, plain

BASELINES = ("retraining-lambda", "retraining-step-functions")
LINEAR_BOUND = 8.0
"""cost(4N) / cost(N): 4 when linear, 16 when quadratic; 8 is their geometric mean."""


def _renamed(value: Any, model: str) -> Any:
    """Every name and ARN of a retraining stack carries its model: give each copy its own."""
    if isinstance(value, str):
        return value.replace(fixtures.MODEL, model)
    if isinstance(value, dict):
        return {key: _renamed(item, model) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, model) for item in value]
    return value


def _copy(resources: list[FixtureResource], suffix: str) -> list[FixtureResource]:
    """One more team model's stack: its own names, ARNs, URNs and property dependencies."""
    model = f"{fixtures.MODEL}{suffix}"
    renamed = {r.urn: f"{r.urn}-{suffix}" for r in resources}
    return [
        FixtureResource(
            r.type,
            f"{r.name}-{suffix}",
            _renamed(r.props, model),
            property_dependencies={
                key: [renamed.get(urn, urn) for urn in urns]
                for key, urns in r.property_dependencies.items()
            },
            project=r.project,
            explicit_urn=renamed[r.urn],
        )
        for r in resources
    ]


def generated_stack(size: int) -> list[FixtureResource]:
    stack: list[FixtureResource] = []
    copy = 0
    while len(stack) < size:
        baseline = BASELINES[copy % len(BASELINES)]
        stack.extend(_copy(fixtures.STACKS[baseline](), f"c{copy}"))
        copy += 1
    return stack[:size]


def _as_stack(resources: list[FixtureResource]) -> Stack:
    """The plain stack a stack policy's check receives (what `stack_from_args` builds)."""
    return Stack(
        [
            Resource(
                type=r.type,
                urn=r.urn,
                name=r.name,
                props=plain(dict(r.props)),
                dependencies=tuple(u for urns in r.property_dependencies.values() for u in urns),
                property_dependencies={k: tuple(v) for k, v in r.property_dependencies.items()},
            )
            for r in resources
        ]
    )


STACK_POLICIES = [p for p in POLICIES if isinstance(p, RetrainingStackPolicy)]
SMALL, FULL = generated_stack(500), generated_stack(2000)


def _traced_steps(run: Callable[[], object]) -> int:
    """How many Python steps (calls and lines, as `sys.settrace` reports them) one run takes.

    A count, not a time: the same on a quiet machine and on a CI machine whose other core runs
    another test worker (CPU-time ratios were not: the larger stack's working set suffers more
    from a busy neighbour, and linear checks measured 8.6x for 4x the resources). What a count
    cannot see is work inside one C call (e.g. `x in some_list`); `nox -s bench` times it.
    """
    steps = 0

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal steps
        steps += 1
        return tracer

    run()  # lazy imports and process-wide caches are not the cost
    sys.settrace(tracer)
    try:
        run()
    finally:
        sys.settrace(None)
    return steps


def _ratio(measure: Callable[[list[FixtureResource]], Callable[[], object]]) -> float:
    """cost(FULL) / cost(SMALL), in traced Python steps."""
    return _traced_steps(measure(FULL)) / _traced_steps(measure(SMALL))


def test_the_measure_tells_a_quadratic_check_from_a_linear_one() -> None:
    def measure_linear(resources: list[FixtureResource]) -> Callable[[], object]:
        stack = _as_stack(resources)
        return lambda: [r.urn for r in stack.resources]

    def measure_quadratic(resources: list[FixtureResource]) -> Callable[[], object]:
        stack = _as_stack(resources)
        # Each resource against a tenth of the stack: N * N/10 steps.
        return lambda: [a.urn for a in stack.resources for _ in stack.resources[::10]]

    assert _ratio(measure_linear) < LINEAR_BOUND
    assert _ratio(measure_quadratic) > LINEAR_BOUND


def test_the_generated_stacks_are_distinct_retraining_stacks() -> None:
    assert len({r.urn for r in FULL}) == len(FULL) == 2000
    names = [r.props.get("name") for r in FULL if r.type == fixtures.FUNCTION]
    assert len(names) > 100
    assert len(set(names)) == len(names)


# Policy by policy, what the whole AnalyzeStack below measures at once: it names the culprit
# when the whole call is super-linear, and runs in the thorough profile (tests/suite_profiles.py).
@pytest.mark.thorough
@pytest.mark.parametrize("policy", STACK_POLICIES, ids=[p.name for p in STACK_POLICIES])
def test_each_stack_policy_scales_linearly_up_to_two_thousand_resources(policy: Any) -> None:
    def measure(resources: list[FixtureResource]) -> Callable[[], object]:
        stack = _as_stack(resources)
        return lambda: policy.evaluate(stack, None)

    ratio = _ratio(measure)
    assert ratio < LINEAR_BOUND, f"4N resources cost {ratio:.1f}x N: {policy.name} is super-linear"


def test_analyze_stack_with_every_policy_scales_linearly() -> None:
    """The whole call: the SDK's conversion, the pack's plain stack, every stack policy."""
    pack = InProcessPack()

    def measure(resources: list[FixtureResource]) -> Callable[[], object]:
        request = analyze_stack_request(resources)
        return lambda: pack.servicer.AnalyzeStack(request, None)

    ratio = _ratio(measure)
    assert ratio < LINEAR_BOUND, f"4N resources cost {ratio:.1f}x N in AnalyzeStack"
