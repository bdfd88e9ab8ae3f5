"""schedule-expression-valid: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import EVENT_RULE, SCHEDULE, UNKNOWN, edit

POLICY = "schedule-expression-valid"

NON_COMPLIANT: list[Case] = [
    Case(
        "cron with five fields",
        "retraining-lambda",
        edit(EVENT_RULE, "schedule", scheduleExpression="cron(0 6 * * ?)"),
    ),
    Case(
        "both day fields constrained",
        "retraining-lambda",
        edit(EVENT_RULE, "schedule", scheduleExpression="cron(0 6 * * MON *)"),
    ),
    Case(
        "rate with plural for one",
        "retraining-lambda",
        edit(EVENT_RULE, "schedule", scheduleExpression="rate(1 hours)"),
    ),
    Case(
        "at() on a rule",
        "retraining-lambda",
        edit(EVENT_RULE, "schedule", scheduleExpression="at(2030-01-01T06:00:00)"),
    ),
    Case(
        "day-of-week 0",
        "retraining-step-functions",
        edit(SCHEDULE, "schedule", scheduleExpression="cron(0 6 ? * 0 *)"),
    ),
    Case(
        "time zone not IANA",
        "retraining-step-functions",
        edit(SCHEDULE, "schedule", scheduleExpressionTimezone="CEST"),
    ),
    Case(
        "schedule expression unknown at preview",
        "retraining-lambda",
        edit(EVENT_RULE, "schedule", scheduleExpression=UNKNOWN),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
