"""log-retention: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import DELETE, LOG_GROUP, edit

POLICY = "log-retention"

NON_COMPLIANT: list[Case] = [
    Case(
        "logs kept forever",
        "retraining-lambda",
        edit(LOG_GROUP, "orchestrator", retentionInDays=DELETE),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
