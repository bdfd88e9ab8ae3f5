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


class _RoleView:
    """One role's grants indexed by exact action; wildcard and NotAction grants checked per action.

    Most methods fail on their first action, so the common question is "does anything grant
    this one action": answered from the index without matching every statement.
    """

    def __init__(self, grants: list[Grant]) -> None:
        self._exact: dict[str, list[Grant]] = {}
        self._patterned: list[Grant] = []
        for grant in grants:
            actions = grant.statement.actions
            if actions is None or any(docs.is_wildcard(action) for action in actions):
                self._patterned.append(grant)
                continue
            for action in {action.lower() for action in actions}:
                self._exact.setdefault(action, []).append(grant)
        self._holders: dict[str, list[Grant]] = {}

    def holders(self, action: str) -> list[Grant]:
        key = action.lower()
        if key not in self._holders:
            self._holders[key] = [
                *self._exact.get(key, ()),
                *(grant for grant in self._patterned if grant.statement.grants(action)),
            ]
        return self._holders[key]


def _method_grants(method: escalation.Method, role: _RoleView) -> list[Grant] | None:
    """The grants that together allow `method` (None: the role cannot use it)."""
    used: list[Grant] = []
    if method.passes_role:
        services = escalation.passed_to(method)
        passers = [g for g in role.holders("iam:PassRole") if _passrole_reaches(g, services)]
        if not passers:
            return None
        used.extend(passers)
    for action in method.driven_actions:
        holders = role.holders(action)
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
        view = _RoleView(role.grants)
        for method in escalation.methods():
            if method.name.lower() in ignored or " + ".join(method.actions) in ignored:
                continue
            used = _method_grants(method, view)
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
