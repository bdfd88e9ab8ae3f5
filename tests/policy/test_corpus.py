"""The shipped-stack stand-ins pass cleanly; every insecure variant (one mistake each) is caught.

The resource sets are hand-written to mirror docs/architecture.md (fixtures.py). When the offline
plan captures the real stacks' resources, they replace STACKS here and must pass the same way.
"""

from __future__ import annotations

import policy_fixtures as fixtures
import pytest
from policy_harness import InProcessPack, by_policy, mandatory
from retraining_policies.catalogue import POLICIES

LEVELS = {policy.name: policy.doc.enforcement_level.value for policy in POLICIES}


@pytest.fixture(scope="module")
def pack() -> InProcessPack:
    return InProcessPack()


@pytest.mark.parametrize("stack", sorted(fixtures.STACKS))
def test_compliant_stack_has_no_findings(pack: InProcessPack, stack: str) -> None:
    diagnostics = pack.preview(fixtures.STACKS[stack]())
    assert diagnostics == []


@pytest.mark.parametrize("variant", fixtures.CORPUS, ids=lambda variant: variant.name)
def test_insecure_variant_is_caught(pack: InProcessPack, variant: fixtures.Variant) -> None:
    resources = variant.mutate(fixtures.STACKS[variant.stack]())
    diagnostics = pack.preview(resources)
    caught = by_policy(diagnostics, variant.policy)
    assert caught, f"{variant.policy} missed {variant.name}: {diagnostics}"
    assert {d.level for d in caught} == {LEVELS[variant.policy]}
    urns = {resource.urn for resource in resources}
    assert all(d.urn in urns for d in caught), "every finding names a resource of the stack"


def test_corpus_exercises_every_checking_policy() -> None:
    reporters = {"policy-exemptions-report", "policy-exemptions-report-stack"}
    covered = {variant.policy for variant in fixtures.CORPUS}
    missing = sorted(set(LEVELS) - reporters - covered)
    assert missing == []


def test_compliant_stacks_cover_every_inspected_resource_type() -> None:
    present = {resource.type for build in fixtures.STACKS.values() for resource in build()}
    inspected = {
        type_token
        for policy in POLICIES
        for type_token in policy.doc.resource_types
        if type_token != "*"
    }
    # Types no shipped stack creates (attachments, buckets, aliases) are covered in test_policies.
    assert inspected - present <= {
        "aws:iam/policy:Policy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    }


def test_mandatory_findings_of_one_variant_do_not_leak_into_others(pack: InProcessPack) -> None:
    # A mistake in one stack must not make another compliant stack fail (no shared state).
    pack.preview(fixtures.CORPUS[0].mutate(fixtures.STACKS[fixtures.CORPUS[0].stack]()))
    assert mandatory(pack.preview(fixtures.retraining_lambda())) == []
