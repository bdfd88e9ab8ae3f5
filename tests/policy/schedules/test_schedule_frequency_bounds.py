"""schedule-frequency-bounds: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import EVENT_RULE, SCHEDULE, edit

POLICY = "schedule-frequency-bounds"

NON_COMPLIANT: list[Case] = [
    Case(
        "every five minutes",
        "retraining-lambda",
        edit(EVENT_RULE, "schedule", scheduleExpression="rate(5 minutes)"),
    ),
    Case(
        "every minute of hour 6",
        "retraining-step-functions",
        edit(SCHEDULE, "schedule", scheduleExpression="cron(* 6 ? * MON-FRI *)"),
    ),
    Case(
        "one-time run in the past",
        "retraining-step-functions",
        edit(SCHEDULE, "schedule", scheduleExpression="at(2020-01-01T06:00:00)"),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
