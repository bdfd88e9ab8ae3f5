"""schedule-target-dlq-retry: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import DELETE, EVENT_TARGET, edit

POLICY = "schedule-target-dlq-retry"

NON_COMPLIANT: list[Case] = [
    Case(
        "rule target without DLQ",
        "retraining-lambda",
        edit(EVENT_TARGET, "schedule-target", deadLetterConfig=DELETE),
    ),
    Case(
        "rule target without retry policy",
        "retraining-lambda",
        edit(EVENT_TARGET, "schedule-target", retryPolicy=DELETE),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
