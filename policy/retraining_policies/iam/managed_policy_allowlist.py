"""iam-managed-policy-allowlist: no admin-like AWS managed policies reach a role."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    Finding,
    PolicyDoc,
    RetrainingStackPolicy,
    Stack,
    as_list,
    cannot_verify,
)
from retraining_policies.iam import documents as docs
from retraining_policies.iam import managed_policies
from retraining_policies.iam.grants import ATTACHMENTS
from retraining_policies.iam.identity import (
    FAMILY,
)
from retraining_policies.iam.managed_policies import aws_managed_name

_MANAGED_HOLDERS: Final = {
    types.IAM_ROLE: "managedPolicyArns",
    **{type_token: arn_prop for type_token, (_role, arn_prop) in ATTACHMENTS.items()},
}


def check_managed_policies(stack: Stack, config: Mapping[str, Any]) -> Iterator[Finding]:
    denied = list(config["deniedPolicyNamePatterns"])
    allowed = set(config["allowedPolicyArns"])
    for resource in stack.of_type(*_MANAGED_HOLDERS):
        prop = _MANAGED_HOLDERS[resource.type]
        value = resource.get(prop)
        values = [UNKNOWN] if value is UNKNOWN else as_list(value)
        in_stack_policies = [
            dependency
            for dependency in stack.dependencies_of(resource, prop)
            if dependency.type == types.IAM_POLICY
        ]
        unknown_count = sum(1 for item in values if item is UNKNOWN)
        if unknown_count > len(in_stack_policies) or (value is UNKNOWN and not in_stack_policies):
            yield Finding(cannot_verify("which managed policies are attached", prop), resource.urn)
        for arn in values:
            if not isinstance(arn, str) or arn in allowed:
                continue
            name = aws_managed_name(arn)
            if name is None:
                continue
            by_name = any(docs.action_matches(pattern, name) for pattern in denied)
            if by_name or managed_policies.is_admin_like(name):
                what = (
                    "grants far more than retraining needs"
                    if by_name
                    else "is admin-like by what it grants"
                )
                yield Finding(
                    f"{prop} attaches the AWS managed policy {arn!r}, which {what}; attach a "
                    "customer policy naming the actions",
                    resource.urn,
                )


MANAGED_POLICY_ALLOWLIST = PolicyDoc(
    name="iam-managed-policy-allowlist",
    family=FAMILY,
    description="No AdministratorAccess, PowerUserAccess or "
    "*FullAccess AWS managed policies on roles.",
    why=(
        "AWS managed admin and FullAccess policies (AmazonSageMakerFullAccess included) grant "
        "every action of a service on every resource and change without notice."
    ),
    remediation=(
        "Detach the managed policy and attach the least-privilege document from "
        "`retraining_shared.iam` for that role; if one is truly needed, list its ARN in "
        "allowedPolicyArns with a comment in the policy config."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config={
        "deniedPolicyNamePatterns": {
            "type": "array",
            "items": {"type": "string"},
            "default": [
                "AdministratorAccess*",
                "PowerUserAccess",
                "IAMFullAccess",
                "*FullAccess*",
                "SystemAdministrator",
                "NetworkAdministrator",
                "DatabaseAdministrator",
                "DataScientist",
            ],
            "description": "Name patterns of AWS managed policies that may not be attached.",
        },
        "allowedPolicyArns": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Managed policy ARNs accepted although their name matches.",
        },
    },
)

POLICY = RetrainingStackPolicy(MANAGED_POLICY_ALLOWLIST, check_managed_policies)
