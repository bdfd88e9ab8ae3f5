"""sns-topic-policy-scoped: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import TOPIC_ARN, TOPIC_POLICY, doc, edit

POLICY = "sns-topic-policy-scoped"

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
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
