"""schedule-enabled: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import EVENT_RULE, SCHEDULE, edit

POLICY = "schedule-enabled"

NON_COMPLIANT: list[Case] = [
    Case("rule DISABLED", "retraining-lambda", edit(EVENT_RULE, "schedule", state="DISABLED")),
    Case("rule not enabled", "retraining-lambda", edit(EVENT_RULE, "schedule", isEnabled=False)),
    Case(
        "Scheduler schedule DISABLED",
        "retraining-step-functions",
        edit(SCHEDULE, "schedule", state="DISABLED"),
    ),
]
COMPLIANT: list[Case] = [
    Case("rule ENABLED", "retraining-lambda", edit(EVENT_RULE, "schedule", state="ENABLED")),
    Case(
        "a disabled rule that schedules nothing",
        "retraining-lambda",
        edit(EVENT_RULE, "job-state", state="DISABLED"),
    ),
]

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
