"""iam-no-privilege-escalation: no role holds an escalation combination across its grants."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies.framework import (
    Finding,
    PolicyDoc,
    RetrainingStackPolicy,
    Stack,
    cannot_verify,
)
from retraining_policies.iam import conditions, escalation
from retraining_policies.iam import documents as docs
from retraining_policies.iam.grants import Grant, all_role_grants
from retraining_policies.iam.identity import (
    FAMILY,
    listed,
)


def _holders(grants: list[Grant], action: str) -> list[Grant]:
    return [grant for grant in grants if grant.statement.grants(action)]


def _passrole_reaches(grant: Grant, services: tuple[str, ...]) -> bool:
    """Whether this PassRole grant lets the role pass roles beyond its named delegation."""
    statement = grant.statement
    passed_to = conditions.constrained_values(statement, docs.PASSED_TO_SERVICE)
    if passed_to is not None and not any(
        docs.action_matches(value, service) for value in passed_to for service in services
    ):
        return False
    resources = statement.resources or ()
    named_roles = (
        statement.not_resources is None
        and bool(resources)
        and all(docs.is_concrete_role_arn(arn) for arn in resources)
    )
    # Passing named roles to the one service that needs them is delegation by design: those
    # roles are themselves judged by this pack. Anything broader can pass an admin role.
    return not (named_roles and passed_to is not None)


def _method_grants(method: escalation.Method, grants: list[Grant]) -> list[Grant] | None:
    """The grants that together allow `method` (None: the role cannot use it)."""
    used: list[Grant] = []
    if method.passes_role:
        services = escalation.passed_to(method)
        passers = [g for g in _holders(grants, "iam:PassRole") if _passrole_reaches(g, services)]
        if not passers:
            return None
        used.extend(passers)
    for action in method.driven_actions:
        holders = _holders(grants, action)
        if not holders:
            return None
        used.extend(holders)
    return used


def check_privilege_escalation(stack: Stack, config: Mapping[str, Any]) -> Iterator[Finding]:
    ignored = {name.lower() for name in config["ignoredPaths"]}
    for role in all_role_grants(stack):
        if role.unreadable:
            yield Finding(
                cannot_verify(
                    f"privilege escalation through everything attached to role {role.name}",
                    ", ".join(role.unreadable),
                ),
                role.anchor,
            )
        found: list[str] = []
        sources: set[str] = set()
        for method in escalation.methods():
            if method.name.lower() in ignored or " + ".join(method.actions) in ignored:
                continue
            used = _method_grants(method, role.grants)
            if used is not None:
                spelled = (docs.known_action(action) or action for action in method.actions)
                found.append(f"{method.name} ({' + '.join(spelled)})")
                sources.update(grant.source for grant in used)
        if found:
            yield Finding(
                f"role {role.name} can escalate its privileges: {listed(found)} "
                f"(granted by {listed(sorted(sources))}); methods from Cloudsplaining's "
                "catalogue and the pack's supplement (iam/escalation.py)",
                role.anchor,
            )


PRIVILEGE_ESCALATION = PolicyDoc(
    name="iam-no-privilege-escalation",
    family=FAMILY,
    description="No role holds a known privilege-escalation "
    "combination across everything attached to it.",
    why=(
        "Escalation often needs two grants that look harmless apart (iam:PassRole + "
        "lambda:CreateFunction), so each role is judged on the union of everything that reaches "
        "it (inline and role policies, attachments of every kind, customer and known AWS "
        "managed policies), roles outside the stack included. The methods are Cloudsplaining's "
        "maintained catalogue plus a sourced supplement."
    ),
    remediation=(
        "Remove the IAM-writing action, or restrict iam:PassRole to the named role(s) with "
        "iam:PassedToService so the role can only hand its intended role to its intended "
        "service."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config={
        "ignoredPaths": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Escalation methods to ignore, by name as in the message "
            "(e.g. 'EditExistingLambdaFunctionWithRole').",
        }
    },
)

POLICY = RetrainingStackPolicy(PRIVILEGE_ESCALATION, check_privilege_escalation)
