"""sns-publishers-allowed: key and topic policies let the publishing services (CloudWatch alarms)
publish."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    Finding,
    PolicyDoc,
    Resource,
    RetrainingStackPolicy,
    Stack,
    cannot_verify,
)
from retraining_policies.iam import documents as docs


def _topic_keys(stack: Stack, topic: Resource) -> list[Resource] | None:
    """In-stack KMS keys a topic is encrypted with ([] if the key lives elsewhere, None unknown)."""
    keys = [d for d in stack.dependencies_of(topic, "kmsMasterKeyId") if d.type == types.KMS_KEY]
    for alias in stack.referred_by(topic, "kmsMasterKeyId", types.KMS_ALIAS):
        keys += [d for d in stack.dependencies_of(alias, "targetKeyId") if d.type == types.KMS_KEY]
        keys += stack.named_by(alias.get("targetKeyId"), types.KMS_KEY)
    value = topic.get("kmsMasterKeyId")
    keys += stack.named_by(value, types.KMS_KEY, extra_keys=("keyId",))
    if keys:
        return keys
    if value is UNKNOWN and not stack.dependencies_of(topic, "kmsMasterKeyId"):
        return None
    return []


def _allows(document: docs.Document, service: str, actions: Sequence[str]) -> bool:
    for action in actions:
        if not any(
            service in docs.service_principals(statement.principal)[0] and statement.grants(action)
            for statement in document.allow_statements()
        ):
            return False
    return True


def check_publishers_allowed(stack: Stack, config: Mapping[str, Any]) -> Iterator[Finding]:
    services = list(config["publishingServices"])
    for topic in stack.of_type(types.SNS_TOPIC):
        if topic.get("kmsMasterKeyId") not in (None, ""):
            keys = _topic_keys(stack, topic)
            if keys is None:
                yield Finding(
                    cannot_verify(f"the key policy of topic {topic.name}'s key", "kmsMasterKeyId"),
                    topic.urn,
                )
            for key in keys or ():
                yield from _key_policy_findings(key, topic, services)
        policies = stack.referring_to(topic, "arn", types.SNS_TOPIC_POLICY)
        if not policies:
            yield Finding(
                f"topic {topic.name} has no TopicPolicy letting {', '.join(services)} publish",
                topic.urn,
            )
        for policy in policies:
            document = docs.parse_document(policy.get("policy"))
            if document.unknown:
                yield Finding(cannot_verify("who may publish to the topic", "policy"), policy.urn)
                continue
            missing = [s for s in services if not _allows(document, s, ["sns:Publish"])]
            if missing:
                yield Finding(
                    "the topic policy does not let "
                    f"{', '.join(missing)} sns:Publish to {topic.name}",
                    policy.urn,
                )


def _key_policy_findings(key: Resource, topic: Resource, services: list[str]) -> Iterator[Finding]:
    value = key.get("policy")
    if value is None:
        yield Finding(
            f"key {key.name} (topic {topic.name}) has the default key policy, which does not "
            f"let {', '.join(services)} use it: their notifications would fail",
            key.urn,
        )
        return
    document = docs.parse_document(value)
    if document.unknown:
        yield Finding(
            cannot_verify(f"that key {key.name} lets the publishers use it", "policy"), key.urn
        )
        return
    missing = [
        s for s in services if not _allows(document, s, ["kms:GenerateDataKey", "kms:Decrypt"])
    ]
    if missing:
        yield Finding(
            f"key {key.name} (topic {topic.name}) does not let {', '.join(missing)} use "
            "kms:GenerateDataKey* and kms:Decrypt: they cannot publish to the encrypted topic",
            key.urn,
        )


PUBLISHERS_ALLOWED = PolicyDoc(
    name="sns-publishers-allowed",
    family="encryption",
    description="Encrypted topics' KMS key policies and topic "
    "policies let the publishing services (CloudWatch alarms) publish.",
    why=(
        "An encrypted topic whose key policy omits cloudwatch.amazonaws.com drops every "
        "platform-health alarm without an error anyone sees; the same for a topic policy without "
        "it. Job outcomes are published by the orchestrators' roles, not by a service: add "
        "events.amazonaws.com here only if a rule of yours targets a topic."
    ),
    remediation=(
        "In the key policy allow each publishing service kms:GenerateDataKey* and kms:Decrypt "
        "(aws:SourceAccount condition), and in the topic policy sns:Publish."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        "publishingServices": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["cloudwatch.amazonaws.com"],
            "description": "Service principals that must be able to publish to every topic.",
        }
    },
)

POLICY = RetrainingStackPolicy(PUBLISHERS_ALLOWED, check_publishers_allowed)
