"""iam-passrole-scoped: iam:PassRole names exact roles and the service they are passed to."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import naming
from retraining_policies import resource_types as types
from retraining_policies.framework import (
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
)
from retraining_policies.iam import conditions
from retraining_policies.iam import documents as docs
from retraining_policies.iam.identity import (
    FAMILY,
    parsed,
)


def check_passrole_scoped(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    allowed_services = set(config["allowedPassedToServices"])
    for label, document in parsed(resource, "how iam:PassRole is scoped"):
        if isinstance(document, str):
            yield document
            continue
        scope = naming.name_scope(resource, resource.get("role"))
        for statement in document.allow_statements():
            if not statement.grants("iam:PassRole"):
                continue
            via = ""
            if statement.actions is not None and not any(
                action.lower() == "iam:passrole" for action in statement.actions
            ):
                via = " (granted through a wildcard)"
            where = f"{label} {statement.label}: iam:PassRole{via}"
            yield from _passrole_resource_problems(where, statement, scope)
            yield from _passed_to_service_problems(where, statement, allowed_services)


def _passrole_resource_problems(
    where: str, statement: docs.Statement, scope: naming.NameScope | None
) -> Iterator[str]:
    if statement.not_resources is not None or not statement.resources:
        yield f"{where} is not limited to named roles; list the role ARNs it may pass"
        return
    for arn in statement.resources:
        if not docs.is_concrete_role_arn(arn):
            yield (
                f"{where} on {arn!r}: name the exact role ARN it may pass "
                "(arn:aws:iam::<account>:role/<name>, no wildcards)"
            )
        elif scope is not None and not arn.rsplit("/", 1)[-1].startswith(scope.prefix):
            # A dev role that may pass a prod role starts jobs with prod's data and keys: the
            # passed role must be of the same team and environment as the role that passes it.
            yield (
                f"{where} on {arn!r}: the passed role is not of the same team and environment; "
                f"pass only roles named {scope.prefix}…"
            )


def _passed_to_service_problems(
    where: str, statement: docs.Statement, allowed_services: set[str]
) -> Iterator[str]:
    services = conditions.constrained_values(statement, docs.PASSED_TO_SERVICE)
    if services is None:
        yield (
            f"{where} is not limited by iam:PassedToService"
            f"{conditions.why_not_constrained(statement, [docs.PASSED_TO_SERVICE])}, so the "
            'role can be handed to any service; add "Condition": {"StringEquals": '
            '{"iam:PassedToService": "sagemaker.amazonaws.com"}}'
        )
        return
    for service in services:
        if allowed_services and service not in allowed_services:
            yield (
                f"{where}: iam:PassedToService {service!r} is not one of "
                f"{', '.join(sorted(allowed_services))}"
            )


PASSROLE_SCOPED = PolicyDoc(
    name="iam-passrole-scoped",
    family=FAMILY,
    description="iam:PassRole names exact role ARNs and carries an iam:PassedToService condition.",
    why=(
        "PassRole on '*' (or without PassedToService) lets a role hand any other role - "
        "including admin roles - to a service it can drive, the classic escalation path. No "
        "generic scanner checks the role and the service together. Passing another "
        "environment's role (dev → prod) crosses the environment boundary the names draw."
    ),
    remediation=(
        "Allow iam:PassRole only on the SageMaker execution role ARN of the same team and "
        "environment (`<team>-<env>-sagemaker-execution`) with Condition StringEquals "
        "iam:PassedToService = sagemaker.amazonaws.com."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config={
        "allowedPassedToServices": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["sagemaker.amazonaws.com"],
            "description": "Services a role may be passed to (empty: any named service).",
        }
    },
    resource_types=types.IDENTITY_POLICY_HOLDERS,
)

POLICY = RetrainingResourcePolicy(PASSROLE_SCOPED, check_passrole_scoped)
