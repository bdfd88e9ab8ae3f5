"""sns-topic-policy-scoped: topic policies are not open and scope service principals."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

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

_SCOPING_KEYS: Final = (
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOwner",
    "aws:PrincipalOrgID",
    "aws:PrincipalAccount",
)


def check_topic_policy(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    del config
    document = docs.parse_document(resource.get("policy"))
    if document.unknown:
        yield cannot_verify("who may use the topic", "policy")
        return
    yield from (f"policy: {problem}" for problem in document.problems)
    for statement in document.allow_statements():
        where = f"policy {statement.label}"
        services, others = docs.service_principals(statement.principal)
        scoped = conditions.constrained(statement, _SCOPING_KEYS)
        why = conditions.why_not_constrained(statement, _SCOPING_KEYS)
        if any(other in ("*", "AWS: '*'", 'AWS: "*"') for other in others) and not scoped:
            yield (
                f"{where} lets anyone use the topic{why}; name the principals or add "
                "aws:SourceAccount"
            )
        if services and not scoped:
            yield (
                f"{where} lets {', '.join(services)} publish on behalf of any account{why}: add "
                "aws:SourceAccount (or aws:SourceArn naming the rules and alarms)"
            )
        for action in statement.actions or ():
            if docs.is_wildcard(action):
                yield f"{where}: action {action!r} is a wildcard; allow sns:Publish only"
        if statement.not_actions is not None:
            yield f"{where}: Allow with NotAction; allow sns:Publish only"


TOPIC_POLICY_SCOPED = PolicyDoc(
    name="sns-topic-policy-scoped",
    family="encryption",
    description="SNS topic policies never open the topic to '*' and scope "
    "service principals with aws:SourceAccount/SourceArn.",
    why="A topic policy with Principal '*' lets anyone publish fake "
    "'training succeeded' notices or read the subscriptions.",
    remediation=(
        "Allow events.amazonaws.com and cloudwatch.amazonaws.com sns:Publish with Condition "
        "StringEquals aws:SourceAccount, and the orchestrator roles by ARN."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    resource_types=(types.SNS_TOPIC_POLICY,),
)

POLICY = RetrainingResourcePolicy(TOPIC_POLICY_SCOPED, check_topic_policy)
