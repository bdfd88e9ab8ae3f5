"""Schedules in words: AWS's six-field cron (1 = SUN), rate() and at(), with the time zone."""

from __future__ import annotations

from pathlib import Path

import pytest
from offline_plan.schedule_words import describe, summary
from plan_harness import run_cli

REPOSITORY = Path(__file__).parents[2]
AWS_DAY_NUMBERS = {
    "1": "Sunday",
    "2": "Monday",
    "3": "Tuesday",
    "4": "Wednesday",
    "5": "Thursday",
    "6": "Friday",
    "7": "Saturday",
}
"""Amazon EventBridge user guide, "Schedule expressions for rules": Day-of-week 1-7 or SUN-SAT,
1 = SUN (Unix cron counts 0-6 from Sunday: 1 would be Monday there)."""


@pytest.mark.parametrize(("number", "day"), sorted(AWS_DAY_NUMBERS.items()))
def test_day_of_week_numbers_are_read_as_aws_numbers_them(number: str, day: str) -> None:
    assert describe(f"cron(0 12 ? * {number} *)") == f"At 12:00, only on {day} (UTC)"


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("cron(0 6 * * ? *)", "At 06:00, every day (UTC)"),
        ("cron(30 5 ? * MON *)", "At 05:30, only on Monday (UTC)"),
        ("cron(0 9 ? * 2-6 *)", "At 09:00, Monday through Friday (UTC)"),
        ("cron(0 9 ? * 6#3 *)", "At 09:00, on the third Friday of the month (UTC)"),
        ("cron(0 9 ? * 2L *)", "At 09:00, on the last Monday of the month (UTC)"),
        ("cron(0 9 L * ? *)", "At 09:00, on the last day of the month (UTC)"),
        ("cron(0 9 15W * ? *)", "At 09:00, on the weekday nearest day 15 of the month (UTC)"),
        ("cron(0/15 * * * ? *)", "Every 15 minutes, every day (UTC)"),
        ("rate(1 day)", "Every day (UTC)"),
        ("rate(7 days)", "Every 7 days (UTC)"),
        ("at(2027-01-01T08:00:00)", "Once, at 2027-01-01 08:00:00 (UTC)"),
    ],
)
def test_expressions_in_words(expression: str, words: str) -> None:
    assert describe(expression) == words


def test_the_time_zone_is_named() -> None:
    assert describe("cron(30 5 ? * MON *)", "Europe/Berlin") == (
        "At 05:30, only on Monday (Europe/Berlin)"
    )


@pytest.mark.parametrize("expression", ["cron(0 6 * * *)", "weekly", "rate(soon)"])
def test_what_it_cannot_read_is_left_to_the_stack_s_validation(expression: str) -> None:
    assert describe(expression) is None


def test_the_summary_lists_the_next_runs_in_the_schedule_s_zone() -> None:
    outputs = {
        "schedule_expression": "cron(30 5 ? * MON *)",
        "schedule_timezone": "Europe/Berlin",
        "next_run_times": {
            "utc": ["2026-12-07T04:30:00+00:00"],
            "Europe/Berlin": ["2026-12-07T05:30:00+01:00"],
        },
    }
    found = summary(outputs)
    assert found is not None
    assert found.next_runs == ("2026-12-07T05:30:00+01:00",)
    assert summary({"teams": {}}) is None


def test_the_plan_shows_each_schedule_in_words_beside_its_next_runs(tmp_path: Path) -> None:
    outcome = run_cli(
        ["--stacks-dir", str(REPOSITORY / "stacks"), "--no-policy-pack"],
        tmp_path / "report.json",
    )
    text = " ".join(outcome.text.split())
    assert "Schedule: At 05:30, only on Monday (Europe/Berlin) cron(30 5 ? * MON *)" in text
    assert "Schedule: At 06:00, every day (UTC) cron(0 6 * * ? *)" in text
    assert "next: 2026-" in text
