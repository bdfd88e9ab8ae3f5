"""The pack's servicer (one deserialization per request) answers exactly as pulumi-policy's own.

`retraining_policies.analyzer_servicer` re-implements the SDK's `Analyze` and `AnalyzeStack`
loops so each resource is converted once per request instead of once per policy. These tests
hold every response equal to the stock servicer's: the whole corpus and every baseline stack,
under the shipped levels and under changed ones (disabled, advisory, remediate), plus the SDK
branches our policies never take (a value unknown at preview read through the proxy, a policy
without validation, a policy that reports not-applicable).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import policy_fixtures as fixtures
import pulumi_policy.policy as sdk_policy
import pytest
from policy_cases import CORPUS, Variant
from policy_harness import (
    UNKNOWN,
    FixtureResource,
    InProcessPack,
    analyze_request,
    analyze_stack_request,
)
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from retraining_policies import analyzer_servicer
from retraining_policies.catalogue import POLICIES

STOCK = sdk_policy._PolicyAnalyzerServicer
REQUIREMENTS = Path(__file__).resolve().parents[2] / "policy" / "requirements.txt"

_RESOURCE_POLICIES = [p.name for p in POLICIES if isinstance(p, ResourceValidationPolicy)]
_STACK_POLICIES = [p.name for p in POLICIES if isinstance(p, StackValidationPolicy)]
CONFIGS: dict[str, dict[str, dict[str, Any]]] = {
    "shipped levels": {},
    "changed levels": {
        _RESOURCE_POLICIES[0]: {"enforcementLevel": "disabled"},
        _RESOURCE_POLICIES[1]: {"enforcementLevel": "remediate"},
        _RESOURCE_POLICIES[2]: {"enforcementLevel": "advisory"},
        _STACK_POLICIES[0]: {"enforcementLevel": "disabled"},
        _STACK_POLICIES[1]: {"enforcementLevel": "remediate"},
    },
}
_PACKS: dict[tuple[str, str], InProcessPack] = {}


def _pack(config: str, servicer: type[Any]) -> InProcessPack:
    key = (config, servicer.__name__)
    if key not in _PACKS:
        _PACKS[key] = InProcessPack(CONFIGS[config], servicer_class=servicer)
    return _PACKS[key]


def _assert_same_answers(stock: InProcessPack, shared: InProcessPack, stack: list[Any]) -> None:
    for resource in stack:
        request = analyze_request(resource)
        assert shared.servicer.Analyze(request, None) == stock.servicer.Analyze(request, None), (
            resource.urn
        )
    request = analyze_stack_request(stack)
    assert shared.servicer.AnalyzeStack(request, None) == stock.servicer.AnalyzeStack(request, None)


_CASES = [
    *(Variant(f"baseline {name}", name, "", lambda r: r) for name in sorted(fixtures.STACKS)),
    *CORPUS,
]


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("case", _CASES, ids=[f"{c.policy}:{c.name}" for c in _CASES])
def test_the_pack_servicer_answers_as_the_sdk_servicer(case: Variant, config: str) -> None:
    stack = case.mutate(fixtures.STACKS[case.stack]())
    _assert_same_answers(
        _pack(config, STOCK), _pack(config, analyzer_servicer.SharedDeserializationServicer), stack
    )


def _reads_through_the_proxy(args: Any, report: Any) -> None:
    # Reading an unknown value through the SDK's proxy raises UnknownValueError.
    report(f"bucket {args.props['bucket']}")


def _not_applicable(args: Any, report: Any) -> None:
    raise sdk_policy._NotApplicableError("not for this resource")


def _stack_reads_through_the_proxy(args: Any, report: Any) -> None:
    for resource in args.resources:
        report(f"{resource.urn}: {resource.props['bucket']}", resource.urn)
        for dependency in resource.dependencies:
            report(f"{resource.urn} depends on {dependency.urn}")


class _RemediationOnly(ResourceValidationPolicy):
    def has_validation(self) -> bool:
        return False


_LEVEL = EnforcementLevel.MANDATORY
SDK_BRANCHES = [
    ResourceValidationPolicy(
        "reads-unknown", "reads through the proxy", _reads_through_the_proxy, _LEVEL
    ),
    ResourceValidationPolicy("not-applicable", "not applicable", _not_applicable, _LEVEL),
    _RemediationOnly("remediation-only", "no validation", lambda args, report: None, _LEVEL),
    StackValidationPolicy("stack-reads-unknown", "stack", _stack_reads_through_the_proxy, _LEVEL),
]


@pytest.mark.parametrize("bucket", ["known-bucket", UNKNOWN], ids=["known", "unknown"])
def test_the_sdk_branches_our_policies_never_take_answer_the_same(bucket: str) -> None:
    stock = InProcessPack(policies=SDK_BRANCHES, servicer_class=STOCK)
    shared = InProcessPack(policies=SDK_BRANCHES)
    first = FixtureResource(fixtures.QUEUE, "first", {"bucket": bucket})
    second = FixtureResource(
        fixtures.QUEUE, "second", {"bucket": "other"}, property_dependencies={"x": [first.urn]}
    )
    _assert_same_answers(stock, shared, [first, second])
    answer = shared.servicer.Analyze(analyze_request(first), None)
    assert {d.policyName for d in answer.diagnostics} == {"reads-unknown"}
    assert {n.policy_name for n in answer.not_applicable} == {"not-applicable", "remediation-only"}


def test_install_replaces_the_servicer_policy_pack_builds_only_on_the_checked_sdk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pinned = [
        line.split("==", 1)[1].strip()
        for line in REQUIREMENTS.read_text().splitlines()
        if line.startswith("pulumi-policy==")
    ]
    assert pinned == [analyzer_servicer.SDK_VERSION], (
        "pulumi-policy's pin moved: re-read its Analyze/AnalyzeStack and update analyzer_servicer"
    )
    monkeypatch.setattr(sdk_policy, "_PolicyAnalyzerServicer", STOCK)
    assert analyzer_servicer.install() is True
    assert sdk_policy._PolicyAnalyzerServicer is analyzer_servicer.SharedDeserializationServicer
    monkeypatch.setattr(sdk_policy, "_PolicyAnalyzerServicer", STOCK)
    monkeypatch.setattr(analyzer_servicer, "VERSION", "1.22.0")
    assert analyzer_servicer.install() is False
    assert sdk_policy._PolicyAnalyzerServicer is STOCK
