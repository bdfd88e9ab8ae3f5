"""Across the per-policy case modules: the baselines are clean and every policy has cases.

The cases themselves live with their policy (`tests/policy/<family>/test_<policy>.py`).
"""

from __future__ import annotations

import policy_cases
import policy_fixtures as fixtures
import pytest
from policy_harness import InProcessPack, mandatory
from retraining_policies.catalogue import POLICIES


@pytest.fixture(scope="module")
def pack() -> InProcessPack:
    return InProcessPack()


@pytest.mark.parametrize("stack", sorted(fixtures.STACKS))
def test_compliant_stack_has_no_findings(pack: InProcessPack, stack: str) -> None:
    diagnostics = pack.preview(fixtures.STACKS[stack]())
    assert diagnostics == []


def test_every_checking_policy_has_its_own_case_module() -> None:
    reporters = {"policy-exemptions-report", "policy-exemptions-report-stack"}
    modules = {module.POLICY: module for module in policy_cases.CASE_MODULES}
    missing = sorted(set(policy_cases.LEVELS) - reporters - set(modules))
    assert missing == []
    assert all(modules[policy].NON_COMPLIANT for policy in modules)
    for policy, module in modules.items():
        assert module.__file__.endswith(f"test_{policy.replace('-', '_')}.py"), policy


def test_compliant_stacks_cover_every_inspected_resource_type() -> None:
    present = {resource.type for build in fixtures.STACKS.values() for resource in build()}
    inspected = {
        type_token
        for policy in POLICIES
        for type_token in policy.doc.resource_types
        if type_token != "*"
    }
    # Types no shipped stack creates (attachments, buckets, aliases) are covered by cases.
    assert inspected - present <= {
        "aws:iam/policy:Policy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        "aws:iam/policyAttachment:PolicyAttachment",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:kms/keyPolicy:KeyPolicy",
    }


def test_mandatory_findings_of_one_variant_do_not_leak_into_others(pack: InProcessPack) -> None:
    # A mistake in one stack must not make another compliant stack fail (no shared state).
    first = policy_cases.CORPUS[0]
    pack.preview(first.mutate(fixtures.STACKS[first.stack]()))
    assert mandatory(pack.preview(fixtures.retraining_lambda())) == []
