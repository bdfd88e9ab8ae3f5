"""resource-policy-scoped: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from typing import Any

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import (
    ACCOUNT,
    BASE,
    BUCKET_POLICY,
    DATA_BUCKET,
    KEY,
    QUEUE_POLICY,
    TEAM,
    add,
    arn,
    doc,
    edit,
    res,
)

POLICY = "resource-policy-scoped"
DLQ_ARN = arn("sqs", f"{BASE}-schedule-dlq")


def _queue_policy(name: str, principal: Any, condition: dict[str, Any] | None) -> Case:
    statement: dict[str, Any] = {
        "Sid": "DeadLetter",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sqs:SendMessage",
        "Resource": DLQ_ARN,
    }
    if condition is not None:
        statement["Condition"] = condition
    props = {"queueUrl": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{BASE}-schedule-dlq"}
    policy = res(QUEUE_POLICY, "dlq-policy", {**props, "policy": doc(statement)}, "retraining")
    return Case(name, "retraining-lambda", add(policy))


def _key_usable_by(name: str, service: str) -> Case:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": f"{service}.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
    }
    return Case(name, "network-iam", edit(KEY, f"{TEAM}-dev-retraining", policy=doc(statement)))


EVENTS = {"Service": "events.amazonaws.com"}
RULES_OF_THIS_ACCOUNT = {"ArnEquals": {"aws:SourceArn": arn("events", f"rule/{BASE}-schedule")}}

NON_COMPLIANT: list[Case] = [
    _queue_policy("queue open to a service for any account", EVENTS, None),
    _queue_policy(
        "queue with a negated source ARN",
        EVENTS,
        {"ArnNotEquals": {"aws:SourceArn": arn("events", "rule/other")}},
    ),
    _queue_policy("queue for everyone", "*", None),
    _queue_policy(
        "queue for everyone with an IfExists account",
        {"AWS": "*"},
        {"StringEqualsIfExists": {"aws:PrincipalAccount": ACCOUNT}},
    ),
    Case(
        "bucket readable by a service for any account",
        "network-iam",
        add(
            res(
                BUCKET_POLICY,
                "data-policy",
                {
                    "bucket": DATA_BUCKET,
                    "policy": doc(
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "logging.s3.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": f"arn:aws:s3:::{DATA_BUCKET}/*",
                            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}},
                        }
                    ),
                },
                "network-iam",
            )
        ),
    ),
    _key_usable_by("key usable by CloudWatch for any account", "cloudwatch"),
]
COMPLIANT: list[Case] = [
    _queue_policy("queue for this account's rule", EVENTS, RULES_OF_THIS_ACCOUNT),
    _queue_policy(
        "queue for this account", EVENTS, {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    ),
    _queue_policy("queue for a named role", {"AWS": f"arn:aws:iam::{ACCOUNT}:role/x"}, None),
    _key_usable_by("key usable by EventBridge without source keys (SNS Developer Guide)", "events"),
]

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
