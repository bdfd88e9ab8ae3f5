"""sqs-encryption: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import QUEUE, edit

POLICY = "sqs-encryption"

NON_COMPLIANT: list[Case] = [
    Case(
        "unencrypted DLQ",
        "retraining-lambda",
        edit(QUEUE, "dlq", sqsManagedSseEnabled=False),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
