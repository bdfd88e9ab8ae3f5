"""iam-trust-policy-scoped: roles trust named service principals under a constraining condition."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
    cannot_verify,
)
from retraining_policies.iam import conditions
from retraining_policies.iam import documents as docs
from retraining_policies.iam.identity import (
    CONFUSED_DEPUTY_KEYS,
    DEFAULT_SERVICE_PRINCIPALS,
    FAMILY,
    TRUST_ACTIONS,
    listed,
)


def check_trust_policy(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    allowed = set(config["allowedServicePrincipals"])
    value = resource.get("assumeRolePolicy")
    if value is None:
        yield "the role has no assumeRolePolicy (trust policy)"
        return
    document = docs.parse_document(value)
    if document.unknown:
        yield cannot_verify("who may assume this role", "assumeRolePolicy")
        return
    yield from (f"assumeRolePolicy: {problem}" for problem in document.problems)
    for statement in document.allow_statements():
        yield from _trust_statement_problems(statement, allowed)


def _trust_statement_problems(statement: docs.Statement, allowed: set[str]) -> Iterator[str]:
    where = f"assumeRolePolicy {statement.label}"
    if statement.not_principal is not None:
        yield f"{where}: Allow with NotPrincipal trusts everyone else; name the service"
    services, others = docs.service_principals(statement.principal)
    if others:
        yield (
            f"{where} trusts {listed(others)}: only AWS service principals may assume "
            "retraining roles"
        )
    if not services and not others and statement.not_principal is None:
        yield f"{where} has no Principal"
    for service in services:
        if not docs.SERVICE_PRINCIPAL.fullmatch(service):
            yield f"{where}: service principal {service!r} is not a single AWS service"
        elif allowed and service not in allowed:
            yield (
                f"{where}: service principal {service!r} is not one of {', '.join(sorted(allowed))}"
            )
    for action in statement.actions or ():
        if action.lower() not in TRUST_ACTIONS:
            yield f"{where}: action {action!r}; trust policies allow sts:AssumeRole"
    if services and not conditions.constrained(statement, CONFUSED_DEPUTY_KEYS):
        yield (
            f"{where} lets {listed(services)} assume the role for any account"
            f"{conditions.why_not_constrained(statement, CONFUSED_DEPUTY_KEYS)}: add "
            '"Condition": {"StringEquals": {"aws:SourceAccount": "<account id>"}} '
            "(or ArnLike aws:SourceArn naming the resources)"
        )


TRUST_POLICY_SCOPED = PolicyDoc(
    name="iam-trust-policy-scoped",
    family=FAMILY,
    description="Role trust policies trust named AWS service principals "
    "only, with aws:SourceAccount or aws:SourceArn.",
    why=(
        "A trust policy is who can become the role. '*' or account principals open it to "
        "people; a service principal without aws:SourceAccount lets the service act for another "
        "account (confused deputy)."
    ),
    remediation=(
        "Trust exactly the service that assumes the role (sagemaker, lambda, states, scheduler "
        "or events .amazonaws.com) with Condition StringEquals aws:SourceAccount = the account "
        "id (plus ArnLike aws:SourceArn where the service sets it)."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config={
        "allowedServicePrincipals": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_SERVICE_PRINCIPALS,
            "description": "Service principals a role may trust (empty: any AWS service).",
        }
    },
    resource_types=(types.IAM_ROLE,),
)

POLICY = RetrainingResourcePolicy(TRUST_POLICY_SCOPED, check_trust_policy)
