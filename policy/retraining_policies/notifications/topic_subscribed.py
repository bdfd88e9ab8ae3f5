"""notifications-topic-subscribed: every topic reaches someone."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    Finding,
    PolicyDoc,
    RetrainingStackPolicy,
    Stack,
    cannot_verify,
    describe,
)
from retraining_policies.notifications.routes import (
    FAMILY,
)


def check_topic_subscribed(stack: Stack, config: Mapping[str, Any]) -> Iterator[Finding]:
    allowed = set(config["allowedProtocols"])
    subscriptions = stack.of_type(types.SNS_SUBSCRIPTION)
    for subscription in subscriptions:
        protocol = subscription.get("protocol")
        if protocol is UNKNOWN:
            yield Finding(cannot_verify("the subscription protocol", "protocol"), subscription.urn)
        elif not isinstance(protocol, str) or protocol not in allowed:
            yield Finding(
                f"subscription protocol {describe(protocol)} "
                f"is not one of {', '.join(sorted(allowed))}",
                subscription.urn,
            )
        endpoint = subscription.get("endpoint")
        if (
            protocol == "https"
            and isinstance(endpoint, str)
            and not endpoint.startswith("https://")
        ):
            yield Finding(
                f"https subscription endpoint {endpoint!r} must start with https://",
                subscription.urn,
            )
    unresolved = [
        s
        for s in subscriptions
        if s.get("topic") is UNKNOWN
        and not any(d.type == types.SNS_TOPIC for d in stack.dependencies_of(s, "topic"))
    ]
    for topic in stack.of_type(types.SNS_TOPIC):
        linked = [s for s in subscriptions if stack.refers_to(s, "topic", topic)]
        usable = [s for s in linked if _protocol_usable(s.get("protocol"), allowed)]
        if usable:
            continue
        if unresolved:
            yield Finding(
                cannot_verify(f"that topic {topic.name} has a subscription", "topic"), topic.urn
            )
        else:
            yield Finding(
                f"topic {topic.name} has no subscription with an allowed protocol: its "
                "notifications reach nobody",
                topic.urn,
            )


def _protocol_usable(protocol: Any, allowed: set[str]) -> bool:
    return protocol is UNKNOWN or (isinstance(protocol, str) and protocol in allowed)


TOPIC_SUBSCRIBED = PolicyDoc(
    name="notifications-topic-subscribed",
    family=FAMILY,
    description="Every SNS topic has at least one subscription, over an allowed protocol.",
    why="A topic without subscribers swallows every failure notice; plain http leaks them.",
    remediation=(
        "Add the team's subscriptions (email, sqs, https, lambda) to the notifications stack "
        "config; use https endpoints, never http."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        "allowedProtocols": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["email", "email-json", "sqs", "https", "lambda", "firehose"],
            "description": "Subscription protocols that count (http and sms are left out).",
        }
    },
)

POLICY = RetrainingStackPolicy(TOPIC_SUBSCRIBED, check_topic_subscribed)
