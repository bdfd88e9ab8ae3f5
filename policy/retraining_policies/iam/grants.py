"""Everything that reaches a role: inline, role policies, attached customer and AWS policies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from retraining_policies import resource_types as types
from retraining_policies.framework import Resource, Stack, as_list
from retraining_policies.iam import documents as docs
from retraining_policies.iam.identity import identity_documents


def aws_managed_name(arn: str) -> str | None:
    prefix, _, rest = arn.partition(":iam::aws:policy/")
    if not rest or not prefix.startswith("arn:"):
        return None
    return rest.rsplit("/", 1)[-1]


# What a few AWS managed policies mean for escalation (the allowlist policy flags them anyway).
_MANAGED_GRANTS: Final[Mapping[str, tuple[str, ...]]] = {
    "AdministratorAccess": ("*",),
    "IAMFullAccess": ("iam:*",),
    "PowerUserAccess": ("*",),
}


@dataclass(frozen=True)
class Grant:
    """One Allow statement attached to a role, and where it came from."""

    source: str
    statement: docs.Statement


def role_grants(stack: Stack, role: Resource) -> tuple[list[Grant], list[str]]:
    """Every Allow statement attached to `role`, and what could not be read."""
    grants: list[Grant] = []
    unreadable: list[str] = []

    def add(source: str, value: Any) -> None:
        document = docs.parse_document(value)
        if document.unknown:
            unreadable.append(source)
        grants.extend(Grant(source, s) for s in document.allow_statements())

    for label, value in identity_documents(role):
        add(f"{role.name} {label}", value)
    for role_policy in stack.of_type(types.IAM_ROLE_POLICY):
        if stack.refers_to(role_policy, "role", role):
            add(f"role policy {role_policy.name}", role_policy.get("policy"))
    attached: list[tuple[Resource, str]] = [(role, "managedPolicyArns")]
    for attachment in stack.of_type(types.IAM_ROLE_POLICY_ATTACHMENT):
        if stack.refers_to(attachment, "role", role):
            attached.append((attachment, "policyArn"))
    for attachment in stack.of_type(types.IAM_POLICY_ATTACHMENT):
        roles = attachment.get("roles")
        if role.urn in attachment.property_dependencies.get("roles", ()) or any(
            isinstance(item, str) and item in (role.get("name"), role.get("id"))
            for item in as_list(roles)
        ):
            attached.append((attachment, "policyArn"))
    policies = stack.of_type(types.IAM_POLICY)
    for holder, prop in attached:
        for policy in policies:
            if stack.refers_to(holder, prop, policy) or any(
                isinstance(arn, str) and arn == policy.get("arn")
                for arn in as_list(holder.get(prop))
            ):
                add(f"policy {policy.name}", policy.get("policy"))
        for arn in as_list(holder.get(prop)):
            name = aws_managed_name(arn) if isinstance(arn, str) else None
            if name is not None and name in _MANAGED_GRANTS:
                statement = docs.Statement(
                    0, name, "Allow", _MANAGED_GRANTS[name], None, ("*",), None, None, None
                )
                grants.append(Grant(f"AWS managed policy {name}", statement))
    return grants, unreadable
