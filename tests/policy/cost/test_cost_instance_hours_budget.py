"""cost-instance-hours-budget: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import EVENT_RULE, edit

POLICY = "cost-instance-hours-budget"

NON_COMPLIANT: list[Case] = [
    Case(
        "hourly schedule over the dev instance-hour budget",
        "retraining-lambda",
        edit(EVENT_RULE, "schedule", scheduleExpression="rate(1 hour)"),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
