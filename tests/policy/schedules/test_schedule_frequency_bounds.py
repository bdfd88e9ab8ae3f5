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
    Case(
        "rate beyond the calendar",
        "retraining-lambda",
        edit(EVENT_RULE, "schedule", scheduleExpression="rate(99999999999999999999 minutes)"),
    ),
]
COMPLIANT: list[Case] = [
    Case(
        "last day of the week",
        "retraining-lambda",
        edit(EVENT_RULE, "schedule", scheduleExpression="cron(0 6 ? * L *)"),
    ),
    Case(
        "last Friday of the month",
        "retraining-step-functions",
        edit(SCHEDULE, "schedule", scheduleExpression="cron(0 6 ? * 6L *)"),
    ),
    Case(
        "nearest weekday to the 15th",
        "retraining-lambda",
        edit(EVENT_RULE, "schedule", scheduleExpression="cron(0 6 15W * ? *)"),
    ),
    Case(
        "second Monday",
        "retraining-lambda",
        edit(EVENT_RULE, "schedule", scheduleExpression="cron(0 6 ? * MON#2 *)"),
    ),
]


def test_remediation_says_to_lower_the_minimum_for_more_frequent_runs() -> None:
    from retraining_policies.schedules.frequency_bounds import FREQUENCY_BOUNDS

    assert "lower minimumIntervalMinutes" in FREQUENCY_BOUNDS.remediation
    assert "raise" not in FREQUENCY_BOUNDS.remediation


test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
