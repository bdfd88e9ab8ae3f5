"""resource-policy-scoped: queue, bucket and key policies are not open to everyone or any account.

The same condition semantics as trust and topic policies (`iam/conditions.py`): a statement for
`*` or for a service principal must carry a positive condition with concrete values on a key that
pins this account or organisation. One documented exception: the SNS Developer Guide ("Amazon
SNS event sources ... encrypted topics") states that aws:SourceAccount, aws:SourceArn and
aws:SourceOrgID in the *KMS key policy* are not supported for EventBridge publishing to an
encrypted topic, so a key-policy statement for events.amazonaws.com needs no such condition.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.encryption import resource_policies
from retraining_policies.framework import (
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
    cannot_verify,
)
from retraining_policies.iam import documents as docs

_KEY_POLICY_HOLDERS: Final = (types.KMS_KEY, types.KMS_KEY_POLICY)
_KEY_POLICY_WITHOUT_SOURCE_KEYS: Final = ("events.amazonaws.com",)


def check_resource_policy(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    del config
    value = resource.get("policy")
    if value is None:
        return  # a key without a policy gets the default key policy (account root only)
    document = docs.parse_document(value)
    if document.unknown:
        yield cannot_verify("who may use the resource", "policy")
        return
    yield from (f"policy: {problem}" for problem in document.problems)
    exempt = _KEY_POLICY_WITHOUT_SOURCE_KEYS if resource.type in _KEY_POLICY_HOLDERS else ()
    for statement in document.allow_statements():
        yield from resource_policies.scope_problems(f"policy {statement.label}", statement, exempt)


RESOURCE_POLICY_SCOPED = PolicyDoc(
    name="resource-policy-scoped",
    family="encryption",
    description="SQS queue, S3 bucket and KMS key policies never open the resource to '*' or to "
    "a service acting for any account.",
    why=(
        "A dead-letter queue, bucket or key policy that lets events.amazonaws.com or '*' in "
        "without aws:SourceAccount/aws:SourceArn lets another account's rules write into the "
        "queue or use the key (confused deputy). A condition only counts when its operator and "
        "values really narrow the key."
    ),
    remediation=(
        "Add Condition StringEquals aws:SourceAccount = the account id, or ArnEquals "
        "aws:SourceArn = the rules/topics of this account (not negated, not IfExists, no "
        "all-wildcard ARN); name role principals by ARN."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    resource_types=(types.SQS_QUEUE_POLICY, types.S3_BUCKET_POLICY, *_KEY_POLICY_HOLDERS),
)

POLICY = RetrainingResourcePolicy(RESOURCE_POLICY_SCOPED, check_resource_policy)
