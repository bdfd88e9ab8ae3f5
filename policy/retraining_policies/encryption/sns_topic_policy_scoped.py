"""sns-topic-policy-scoped: topic policies are not open and scope service principals."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

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


def check_topic_policy(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    del config
    document = docs.parse_document(resource.get("policy"))
    if document.unknown:
        yield cannot_verify("who may use the topic", "policy")
        return
    yield from (f"policy: {problem}" for problem in document.problems)
    for statement in document.allow_statements():
        where = f"policy {statement.label}"
        yield from resource_policies.scope_problems(where, statement)
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
