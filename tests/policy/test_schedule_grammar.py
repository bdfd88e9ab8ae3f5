"""The schedule grammar: AWS facts (EventBridge and Scheduler user guides), agreement with
aws-croniter, run-time arithmetic."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from pathlib import Path

import pytest
from aws_croniter import AwsCroniter
from hypothesis import given, settings
from hypothesis import strategies as st
from retraining_policies.schedules import grammar
from retraining_policies.schedules.grammar import (
    ScheduleExpressionError,
    minimum_interval,
    next_run_times,
    validate_schedule_expression,
    validate_timezone,
)
from suite_profiles import examples

UTC = dt.UTC
JAN_2026 = dt.datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 6 * * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(0 6 ? * MON-FRI *)",
        "cron(0 6 ? * mon *)",
        "cron(0 6 L * ? *)",
        "cron(0 6 15W * ? *)",
        "cron(0 6 ? * 6#3 *)",
        "cron(0 6 ? * 6L *)",
        "cron(0 6 1 JAN-MAR ? 2026-2030)",
        "cron(0 6 1 * ? */2)",
        "cron(0 6 1 * ? 2026/5)",
        "cron(5,35 8-18 ? * 2-6 *)",
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
    ],
)
def test_valid_for_both_services(expression: str) -> None:
    assert validate_schedule_expression(expression, "rule") == []
    assert validate_schedule_expression(expression, "scheduler") == []


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 6 * * ?)", "has 5 fields"),
        ("cron(0 0 6 * * ? *)", "no seconds field"),
        ("cron(0 6 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 6 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(60 6 * * ? *)", "minutes field '60': 60 is outside 0-59"),
        ("cron(0 24 * * ? *)", "hours field '24': 24 is outside 0-23"),
        ("cron(0 6 32 * ? *)", "day-of-month field '32': 32 is outside 1-31"),
        ("cron(0 6 * 13 ? *)", "month field '13': 13 is outside 1-12"),
        ("cron(0 6 ? * 0 *)", "day-of-week field '0': day-of-week runs 1-7 with 1=SUN"),
        ("cron(0 6 ? * 8 *)", "day-of-week field '8': 8 is outside 1-7"),
        ("cron(0 6 * * ? 1969)", "year field '1969': 1969 is outside 1970-2199"),
        ("cron(0 6 * * ? 2200)", "year field '2200': 2200 is outside 1970-2199"),
        ("cron(0 6 1#2 * ? *)", "'#' (nth weekday of the month) is only allowed in day-of-week"),
        ("cron(0 6 ? * 6#3,2 *)", "'#' must be the whole day-of-week field"),
        ("cron(0 6 ? * 6#6 *)", "the week number after '#' must be 1-5"),
        ("cron(0 6 ? * 5W *)", "'W' (nearest weekday) is only allowed in day-of-month"),
        ("cron(0 6 LW * ? *)", "'LW' is not supported"),
        ("cron(0 L * * ? *)", "hours field 'L': 'L' (last) is only allowed"),
        ("cron(*/0 6 * * ? *)", "minutes field '*/0': the step after '/' must be a positive"),
        ("cron(0 6 ? * 1/2 *)", "'/' (step) is not allowed in day-of-week"),
        ("cron(0  6 * * ? *)", "single spaces"),
        (" cron(0 6 * * ? *)", "leading or trailing whitespace"),
        ("CRON(0 6 * * ? *)", "is not cron(...)"),
        ("cron 0 6 * * ? *", "is not cron(...)"),
        ("rate(1 hours)", "must be 'hour' (singular) when the value is 1"),
        ("rate(2 hour)", "must be 'hours' (plural) when the value is 2"),
        ("rate(0 minutes)", "rate value '0' must be a positive whole number"),
        ("rate(-5 minutes)", "rate value '-5' must be a positive whole number"),
        ("rate(1.5 hours)", "rate value '1.5' must be a positive whole number"),
        ("rate(5 weeks)", "rate unit 'weeks' must be one of minute, minutes"),
        ("rate(5  minutes)", "with one space"),
        ("rate(5)", "with one space"),
        ("every(5 minutes)", "unknown schedule form 'every'"),
    ],
)
def test_invalid_expressions_name_the_field_and_reason(expression: str, expected: str) -> None:
    for kind in ("rule", "scheduler"):
        problems = validate_schedule_expression(expression, kind)
        assert any(expected in problem for problem in problems), (kind, problems)


def test_all_field_problems_are_reported_at_once() -> None:
    problems = validate_schedule_expression("cron(60 24 32 13 ? 2200)", "rule")
    fields = ["minutes", "hours", "day-of-month", "month", "year"]
    assert len(problems) == len(fields)
    for field, problem in zip(fields, problems, strict=True):
        assert problem.startswith(f"{field} field ")
        assert "allowed:" in problem


def test_at_is_scheduler_only_and_must_be_a_real_time() -> None:
    assert validate_schedule_expression("at(2030-01-31T06:00:00)", "scheduler") == []
    rule_problems = validate_schedule_expression("at(2030-01-31T06:00:00)", "rule")
    assert rule_problems
    assert "only in EventBridge Scheduler" in rule_problems[0]
    assert (
        "not a real date" in validate_schedule_expression("at(2030-02-30T06:00:00)", "scheduler")[0]
    )
    assert (
        "at(yyyy-mm-ddThh:mm:ss)" in validate_schedule_expression("at(2030-1-31)", "scheduler")[0]
    )


def test_non_string_and_unknown_kind() -> None:
    assert "must be a string" in validate_schedule_expression(42, "rule")[0]
    with pytest.raises(ValueError, match="schedule kind 'cron' is not one of rule, scheduler"):
        validate_schedule_expression("rate(1 hour)", "cron")


def test_timezones() -> None:
    assert validate_timezone("Europe/Berlin") == []
    assert validate_timezone("UTC") == []
    assert "did you mean 'Europe/Berlin'" in validate_timezone("europe/berlin")[0]
    assert "not an IANA time zone" in validate_timezone("Mars/Olympus")[0]
    assert "not an IANA time zone" in validate_timezone("Factory")[0]
    assert "not an IANA time zone" in validate_timezone("../../etc/passwd")[0]
    assert "must be a string" in validate_timezone(None)[0]


def test_next_run_times_cron_rate_at() -> None:
    assert next_run_times("cron(0 6 * * ? *)", "rule", after=JAN_2026) == [
        dt.datetime(2026, 1, day, 6, tzinfo=UTC) for day in (1, 2, 3)
    ]
    berlin = next_run_times("cron(0 6 * * ? *)", "scheduler", 2, "Europe/Berlin", JAN_2026)
    assert [run.astimezone(UTC).hour for run in berlin] == [5, 5]
    assert next_run_times("rate(2 hours)", "rule", 2, after=JAN_2026) == [
        JAN_2026 + dt.timedelta(hours=2),
        JAN_2026 + dt.timedelta(hours=4),
    ]
    assert next_run_times("at(2030-01-31T06:00:00)", "scheduler", after=JAN_2026) == [
        dt.datetime(2030, 1, 31, 6, tzinfo=UTC)
    ]
    assert next_run_times("at(2020-01-31T06:00:00)", "scheduler", after=JAN_2026) == []
    assert next_run_times("cron(0 0 31 2 ? *)", "rule", after=JAN_2026) == []


# EventBridge User Guide, "Cron expressions": L in day-of-month is the last day of the month, in
# day-of-week the last day of the week (SAT, 7) or, after a day, the last such day of the month;
# <day>W is the weekday nearest that day within the month; <day>#<n> the n-th such day.
@pytest.mark.parametrize(
    ("expression", "expected_days"),
    [
        ("cron(0 6 ? * L *)", [(1, 3), (1, 10), (1, 17)]),  # Saturdays
        ("cron(0 6 ? * 6L *)", [(1, 30), (2, 27), (3, 27)]),  # last Friday of the month
        ("cron(0 6 ? * FRIL *)", [(1, 30), (2, 27), (3, 27)]),
        ("cron(0 6 L * ? *)", [(1, 31), (2, 28), (3, 31)]),  # last day of the month
        ("cron(0 6 15W * ? *)", [(1, 15), (2, 16), (3, 16)]),  # Feb/Mar 15 2026 are Sundays
        ("cron(0 6 ? * 2#1 *)", [(1, 5), (2, 2), (3, 2)]),  # first Monday (2 = MON)
        ("cron(0 6 ? * MON#2 *)", [(1, 12), (2, 9), (3, 9)]),
    ],
)
def test_next_runs_of_l_w_and_hash_forms(
    expression: str, expected_days: list[tuple[int, int]]
) -> None:
    runs = next_run_times(expression, "rule", 3, after=JAN_2026)
    assert [(run.month, run.day) for run in runs] == expected_days
    assert all(run.hour == 6 for run in runs)


def test_w_stays_within_the_month() -> None:
    # 2026-08-01 is a Saturday: 1W is Monday the 3rd, not Friday July 31.
    assert next_run_times("cron(0 6 1W 8 ? 2026)", "rule", 1, after=JAN_2026)[0].day == 3
    # 2026-05-31 is a Sunday: 31W is Friday the 29th, not Monday June 1.
    assert next_run_times("cron(0 6 31W 5 ? 2026)", "rule", 1, after=JAN_2026)[0].day == 29


def test_a_rate_too_large_for_the_calendar_has_no_runs() -> None:
    assert next_run_times("rate(99999999999999999999 minutes)", "rule", after=JAN_2026) == []
    assert minimum_interval("rate(99999999999999999999 minutes)", "rule") is None
    assert next_run_times("rate(999999999 days)", "rule", after=JAN_2026) == []


def test_run_time_functions_reject_invalid_input() -> None:
    with pytest.raises(ScheduleExpressionError, match="has 5 fields"):
        next_run_times("cron(0 6 * * ?)", "rule")
    with pytest.raises(ScheduleExpressionError, match="EventBridge rules run in UTC only"):
        minimum_interval("cron(0 6 * * ? *)", "rule", "Europe/Berlin")
    with pytest.raises(ScheduleExpressionError, match="not an IANA time zone"):
        minimum_interval("cron(0 6 * * ? *)", "scheduler", "Berlin")
    with pytest.raises(ValueError, match="timezone-aware"):
        next_run_times("rate(1 hour)", "rule", after=dt.datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("expression", "timezone", "expected"),
    [
        ("cron(0 6 * * ? *)", "UTC", dt.timedelta(days=1)),
        ("cron(* * * * ? *)", "UTC", dt.timedelta(minutes=1)),
        ("cron(0/15 * * * ? *)", "UTC", dt.timedelta(minutes=15)),
        ("cron(0 0,23 * * ? *)", "UTC", dt.timedelta(hours=1)),  # 23:00 -> 00:00 next day
        ("cron(0 0,23 1,31 JAN,DEC ? *)", "UTC", dt.timedelta(hours=1)),  # Dec 31 -> Jan 1
        ("cron(0 6 ? * MON *)", "UTC", dt.timedelta(days=7)),
        ("cron(0 6 1 * ? *)", "UTC", dt.timedelta(days=28)),
        # Spring forward: 01:00 and 03:00 New York are one real hour apart on that day.
        ("cron(0 1,3 * * ? *)", "America/New_York", dt.timedelta(hours=1)),
        # A daily run in a DST zone has a 23-hour day once a year.
        ("cron(0 6 * * ? *)", "Europe/Berlin", dt.timedelta(hours=23)),
        # 02:30 does not exist on the spring day (skipped) and repeats in autumn (runs once).
        ("cron(30 2 * * ? *)", "Europe/Berlin", dt.timedelta(days=1)),
        ("cron(0 0 * * ? *)", "Australia/Lord_Howe", dt.timedelta(hours=23, minutes=30)),
        ("rate(5 minutes)", "UTC", dt.timedelta(minutes=5)),
        ("rate(1 day)", "UTC", dt.timedelta(days=1)),
    ],
)
def test_minimum_interval(expression: str, timezone: str, expected: dt.timedelta) -> None:
    assert minimum_interval(expression, "scheduler", timezone, after=JAN_2026) == expected


def test_minimum_interval_none_for_single_or_no_runs() -> None:
    assert minimum_interval("at(2030-01-31T06:00:00)", "scheduler") is None
    assert minimum_interval("cron(0 0 31 2 ? *)", "rule", after=JAN_2026) is None
    assert minimum_interval("cron(0 6 1 1 ? 2026)", "rule", after=JAN_2026) is None


def test_shared_symlink_is_this_module() -> None:
    link = Path(__file__).resolve().parents[2] / "shared/retraining_shared/schedule_grammar.py"
    assert link.is_symlink()
    assert os.readlink(link) == "../../policy/retraining_policies/schedules/grammar.py"
    assert link.resolve() == Path(grammar.__file__).resolve()


# --- property-based: agreement with aws-croniter and invariants ------------------------------

_MINUTE = st.one_of(
    st.just("*"),
    st.integers(0, 59).map(str),
    st.tuples(st.integers(0, 59), st.integers(1, 30)).map(lambda t: f"{t[0]}/{t[1]}"),
    st.lists(st.integers(0, 59), min_size=1, max_size=4).map(lambda v: ",".join(map(str, v))),
)
_HOUR = st.one_of(
    st.just("*"),
    st.integers(0, 23).map(str),
    st.tuples(st.integers(0, 23), st.integers(0, 23)).map(lambda t: f"{min(t)}-{max(t)}"),
)
_DOM = st.one_of(
    st.just("*"),
    st.integers(1, 31).map(str),
    st.just("L"),
    st.integers(1, 31).map(lambda d: f"{d}W"),
)
_DOW = st.one_of(
    st.just("*"),
    st.sampled_from(["MON", "TUE", "MON-FRI", "SAT,SUN", "1", "7", "6L"]),
    st.tuples(st.integers(1, 7), st.integers(1, 5)).map(lambda t: f"{t[0]}#{t[1]}"),
)
_MONTH = st.one_of(st.just("*"), st.integers(1, 12).map(str), st.sampled_from(["JAN", "JAN-JUN"]))


@st.composite
def _valid_cron_fields(draw: st.DrawFn) -> str:
    minute, hour, month = draw(_MINUTE), draw(_HOUR), draw(_MONTH)
    if draw(st.booleans()):
        dom, dow = draw(_DOM), "?"
    else:
        dom, dow = "?", draw(_DOW)
    return f"{minute} {hour} {dom} {month} {dow} *"


@settings(max_examples=examples(150), deadline=None)
@given(_valid_cron_fields())
def test_valid_cron_agrees_with_aws_croniter(fields: str) -> None:
    assert validate_schedule_expression(f"cron({fields})", "rule") == []
    expected = [run for run in AwsCroniter(fields).get_next(JAN_2026, n=3) if run is not None]
    assert next_run_times(f"cron({fields})", "rule", after=JAN_2026) == expected


_FIELD_TEXT = st.text(alphabet="0123456789*?,-/LW#JANMONSUT ", min_size=0, max_size=12)


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(_FIELD_TEXT, min_size=1, max_size=8).map(" ".join))
def test_arbitrary_cron_never_crashes_and_agrees_on_acceptance(fields: str) -> None:
    problems = validate_schedule_expression(f"cron({fields})", "rule")
    assert all(isinstance(problem, str) and problem for problem in problems)
    if not problems:
        # Anything we accept, aws-croniter can compute (year steps aside, which we expand).
        next_run_times(f"cron({fields})", "rule", after=JAN_2026)
        if "/" not in fields.split(" ")[5]:
            AwsCroniter(fields)


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=40), st.sampled_from(["rule", "scheduler"]))
def test_arbitrary_text_never_crashes(expression: str, kind: str) -> None:
    problems = validate_schedule_expression(expression, kind)
    assert isinstance(problems, list)


@settings(max_examples=examples(100), deadline=None)
@given(st.integers(1, 10_000), st.sampled_from(["minute", "hour", "day"]))
def test_rate_unit_agreement(value: int, unit: str) -> None:
    right = unit if value == 1 else unit + "s"
    wrong = unit + "s" if value == 1 else unit
    assert validate_schedule_expression(f"rate({value} {right})", "scheduler") == []
    assert validate_schedule_expression(f"rate({value} {wrong})", "scheduler") != []
    seconds = {"minute": 60, "hour": 3600, "day": 86400}[unit]
    assert minimum_interval(f"rate({value} {right})", "rule") == dt.timedelta(
        seconds=value * seconds
    )


@settings(max_examples=examples(60), deadline=None)
@given(_valid_cron_fields(), st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]))
def test_minimum_interval_never_exceeds_an_observed_gap(fields: str, timezone: str) -> None:
    expression = f"cron({fields})"
    shortest = minimum_interval(expression, "scheduler", timezone, after=JAN_2026)
    horizon_end = JAN_2026 + grammar.HORIZON
    runs = next_run_times(expression, "scheduler", 40, timezone, JAN_2026)
    gaps = [b - a for a, b in itertools.pairwise(runs) if b <= horizon_end]
    if gaps:
        assert shortest is not None
        assert shortest <= min(gaps)
        assert shortest >= dt.timedelta(minutes=1)
