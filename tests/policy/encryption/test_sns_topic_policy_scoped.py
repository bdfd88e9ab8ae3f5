"""sns-topic-policy-scoped: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from typing import Any

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import ACCOUNT, TEAM, TOPIC_ARN, TOPIC_POLICY, arn, doc, edit

POLICY = "sns-topic-policy-scoped"


def _events_publish(name: str, condition: dict[str, Any]) -> Case:
    statement = {
        "Sid": "PublishFromEvents",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": TOPIC_ARN,
        "Condition": condition,
    }
    return Case(name, "notifications", edit(TOPIC_POLICY, "policy", policy=doc(statement)))


NON_COMPLIANT: list[Case] = [
    Case(
        "topic policy open to everyone",
        "notifications",
        edit(
            TOPIC_POLICY,
            "policy",
            policy=doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": TOPIC_ARN,
                }
            ),
        ),
    ),
    _events_publish(
        "negated source account", {"StringNotEquals": {"aws:SourceAccount": "999999999999"}}
    ),
    _events_publish("source ARN all wildcards", {"ArnLike": {"aws:SourceArn": "arn:*:*:*:*:*"}}),
    _events_publish(
        "source ARN of any account",
        {"ArnLike": {"aws:SourceArn": f"arn:aws:events:*:*:rule/{TEAM}-*"}},
    ),
    _events_publish(
        "source account IfExists", {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}
    ),
    _events_publish("organization id wildcard", {"StringLike": {"aws:PrincipalOrgID": "o-*"}}),
]
COMPLIANT: list[Case] = [
    _events_publish(
        "source ARN of this account's rules",
        {"ArnLike": {"aws:SourceArn": arn("events", f"rule/{TEAM}-*")}},
    ),
    _events_publish("source account", {"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
]

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
