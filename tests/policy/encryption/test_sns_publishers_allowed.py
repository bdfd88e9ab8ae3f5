"""sns-publishers-allowed: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import ACCOUNT, KEY, doc, edit

POLICY = "sns-publishers-allowed"

NON_COMPLIANT: list[Case] = [
    Case(
        "key policy without EventBridge",
        "notifications",
        edit(
            KEY,
            "notifications",
            policy=doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": ["kms:DescribeKey"],
                    "Resource": "*",
                }
            ),
        ),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
