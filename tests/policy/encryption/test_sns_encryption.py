"""sns-encryption: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import DELETE, TOPIC, TOPIC_NAME, edit

POLICY = "sns-encryption"

NON_COMPLIANT: list[Case] = [
    Case(
        "unencrypted topic",
        "notifications",
        edit(TOPIC, TOPIC_NAME, kmsMasterKeyId=DELETE),
    ),
    Case(
        "AWS managed SNS key",
        "notifications",
        edit(TOPIC, TOPIC_NAME, kmsMasterKeyId="alias/aws/sns"),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
