"""Everything that reaches a role, by every path pulumi-aws 7 offers, grouped per role.

Paths (Pulumi type tokens and the properties read):

- `aws:iam/role:Role`: `inlinePolicies[].policy`, `managedPolicyArns[]`;
- `aws:iam/rolePolicy:RolePolicy`: `role` + `policy`;
- `aws:iam/rolePolicyAttachment:RolePolicyAttachment`: `role` + `policyArn`;
- `aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive`: `roleName` +
  `policyArns[]`;
- `aws:iam/policyAttachment:PolicyAttachment`: `roles[]` + `policyArn`;
- `aws:iam/rolePoliciesExclusive:RolePoliciesExclusive`: `roleName` + `policyNames[]` (names of
  inline policies; their documents are the RolePolicy resources of the same name, and a name no
  RolePolicy of the stack defines is a document the pack cannot read);
- a policy ARN resolves to an in-stack `aws:iam/policy:Policy` (its `policy` document) or to an
  AWS managed policy whose content the pack knows (`managed_policies.py`).

A role is an in-stack Role when the reference resolves to one (property dependency, name, ARN or
id); otherwise it is a role from elsewhere, named by the reference, and what this stack attaches
to it is judged all the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from retraining_policies import resource_types as types
from retraining_policies.framework import UNKNOWN, Resource, Stack, as_list, value_names
from retraining_policies.iam import documents as docs
from retraining_policies.iam import managed_policies
from retraining_policies.iam.identity import identity_documents

# (role property, policy ARN property) of each attachment type.
ATTACHMENTS: Final = {
    types.IAM_ROLE_POLICY_ATTACHMENT: ("role", "policyArn"),
    types.IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE: ("roleName", "policyArns"),
    types.IAM_POLICY_ATTACHMENT: ("roles", "policyArn"),
}


@dataclass(frozen=True)
class Grant:
    """One Allow statement that reaches a role, and where it came from."""

    source: str
    statement: docs.Statement


@dataclass
class RoleGrants:
    """What reaches one role. `anchor` is the URN findings are reported on."""

    name: str
    anchor: str
    in_stack: bool
    grants: list[Grant] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def add_document(self, source: str, value: Any) -> None:
        document = docs.parse_document(value)
        if document.unknown:
            self.unreadable.append(source)
        self.grants.extend(Grant(source, s) for s in document.allow_statements())


def role_name_of(reference: str) -> str:
    """The role name in a role reference (a name, or an ARN `...:role/<path/>name`)."""
    if reference.startswith("arn:") and ":role/" in reference:
        return reference.rsplit("/", 1)[-1]
    return reference


class _Collector:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.roles = stack.of_type(types.IAM_ROLE)
        self.policies = stack.of_type(types.IAM_POLICY)
        self.entries: dict[str, RoleGrants] = {}

    def entry_for_role(self, role: Resource) -> RoleGrants:
        if role.urn not in self.entries:
            self.entries[role.urn] = RoleGrants(role.name, role.urn, in_stack=True)
        return self.entries[role.urn]

    def targets(self, holder: Resource, prop: str) -> Iterator[RoleGrants]:
        """The roles `holder.prop` names: in-stack roles first, else roles from elsewhere."""
        found = [
            role
            for role in self.roles
            if role.urn in holder.property_dependencies.get(prop, ())
            or any(value_names(item, role) for item in as_list(holder.get(prop)))
            or any(
                isinstance(item, str) and role_name_of(item) == role.get("name")
                for item in as_list(holder.get(prop))
            )
        ]
        if found:
            yield from (self.entry_for_role(role) for role in found)
            return
        value = holder.get(prop)
        if value is UNKNOWN or UNKNOWN in as_list(value):
            # A role computed elsewhere: what this stack attaches to it is still judged.
            key = f"unknown:{holder.urn}"
            if key not in self.entries:
                label = f"the role of {holder.name} (unknown at preview)"
                self.entries[key] = RoleGrants(label, holder.urn, in_stack=False)
            yield self.entries[key]
        for item in as_list(value):
            if isinstance(item, str) and item:
                name = role_name_of(item)
                key = f"external:{name}"
                if key not in self.entries:
                    label = f"{name} (a role not in this stack)"
                    self.entries[key] = RoleGrants(label, holder.urn, in_stack=False)
                yield self.entries[key]

    def add_policy_arns(self, entry: RoleGrants, holder: Resource, prop: str) -> None:
        value = holder.get(prop)
        arns = [UNKNOWN] if value is UNKNOWN else as_list(value)
        resolved = 0
        for policy in self.policies:
            if self.stack.refers_to(holder, prop, policy) or any(
                isinstance(arn, str) and arn == policy.get("arn") for arn in arns
            ):
                entry.add_document(f"policy {policy.name}", policy.get("policy"))
                resolved += 1
        for arn in arns:
            name = managed_policies.aws_managed_name(arn) if isinstance(arn, str) else None
            statements = managed_policies.known_statements(name) if name else None
            if statements is not None:
                entry.grants.extend(Grant(f"AWS managed policy {name}", s) for s in statements)
        if sum(1 for arn in arns if arn is UNKNOWN) > resolved:
            entry.unreadable.append(f"{holder.name} {prop}")

    def collect(self) -> list[RoleGrants]:
        for role in self.roles:
            entry = self.entry_for_role(role)
            for label, value in identity_documents(role):
                entry.add_document(f"{role.name} {label}", value)
            self.add_policy_arns(entry, role, "managedPolicyArns")
        for role_policy in self.stack.of_type(types.IAM_ROLE_POLICY):
            for entry in self.targets(role_policy, "role"):
                entry.add_document(f"role policy {role_policy.name}", role_policy.get("policy"))
        for type_token, (role_prop, arn_prop) in ATTACHMENTS.items():
            for attachment in self.stack.of_type(type_token):
                for entry in self.targets(attachment, role_prop):
                    self.add_policy_arns(entry, attachment, arn_prop)
        defined = {
            name
            for role_policy in self.stack.of_type(types.IAM_ROLE_POLICY)
            if isinstance(name := role_policy.get("name"), str)
        }
        for exclusive in self.stack.of_type(types.IAM_ROLE_POLICIES_EXCLUSIVE):
            names = exclusive.get("policyNames")
            for entry in self.targets(exclusive, "roleName"):
                if names is UNKNOWN:
                    entry.unreadable.append(f"{exclusive.name} policyNames")
                    continue
                entry.unreadable.extend(
                    f"inline policy {name!r} (kept by {exclusive.name}, defined outside the stack)"
                    for name in as_list(names)
                    if not (isinstance(name, str) and name in defined)
                )
        return list(self.entries.values())


def all_role_grants(stack: Stack) -> list[RoleGrants]:
    """What reaches each role of the stack, and each role outside it this stack attaches to."""
    return _Collector(stack).collect()
