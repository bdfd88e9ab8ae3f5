"""No stack policy's cost grows faster than linearly with the stack.

A generated stack of 2,000 resources (copies of the baseline retraining stacks, each copy with
its own names, URNs and property dependencies) goes through each stack policy's check alone, and
through the whole `AnalyzeStack` of the servicer the pack serves, in process. The cost of N and
4N resources is compared in CPU time: a linear pack costs about four times as much for four times
the resources, a quadratic one sixteen times. The bound sits between the two on a log scale (8),
so a loaded CI machine (another test worker on the other core) cannot fail a linear policy, as
it could with a 2N/N ratio bounded at 3. No absolute timing is asserted (the
per-resource figures live in `nox -s bench` and tools/profile_pack.py).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import policy_fixtures as fixtures
import pytest
from policy_harness import FixtureResource, InProcessPack, analyze_stack_request
from retraining_policies.catalogue import POLICIES
from retraining_policies.framework import Resource, RetrainingStackPolicy, Stack, plain

BASELINES = ("retraining-lambda", "retraining-step-functions")
LINEAR_BOUND = 8.0
"""cost(4N) / cost(N): 4 when linear, 16 when quadratic; 8 is their geometric mean."""
SAMPLE_SECONDS = 0.1


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


def _sample(run: Callable[[], object], calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        run()
    return time.process_time() - started


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


def _ratio(
    measure: Callable[[list[FixtureResource]], Callable[[], object]], rounds: int = 5
) -> float:
    """cost(FULL) / cost(SMALL) in CPU time (the machine's load matters little): the least of
    several samples of each, taken alternately so both see the same machine."""
    small, full = measure(SMALL), measure(FULL)
    # A check of a few milliseconds is sampled over several calls, so that the clock's
    # resolution stays small against it (calibration, not a bound).
    first = _sample(small, 1)  # also: lazy imports and process-wide caches are not the cost
    calls = max(1, min(50, int(SAMPLE_SECONDS / max(first, 1e-4))))
    # The cyclic garbage collector's passes cost in proportion to every live object of the
    # process (both generated stacks included), at moments that depend on allocation counts:
    # off while sampling, so the samples measure the checks.
    gc.collect()
    gc.disable()
    try:
        smalls, fulls = [], []
        for _ in range(rounds):
            smalls.append(_sample(small, calls))
            fulls.append(_sample(full, calls))
    finally:
        gc.enable()
    return min(fulls) / min(smalls)


def test_the_generated_stacks_are_distinct_retraining_stacks() -> None:
    assert len({r.urn for r in FULL}) == len(FULL) == 2000
    names = [r.props.get("name") for r in FULL if r.type == fixtures.FUNCTION]
    assert len(names) > 100
    assert len(set(names)) == len(names)


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

    ratio = _ratio(measure, rounds=3)
    assert ratio < LINEAR_BOUND, f"4N resources cost {ratio:.1f}x N in AnalyzeStack"
