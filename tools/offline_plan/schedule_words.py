"""A schedule expression in plain words, with its time zone: "At 05:30, only on Monday
(Europe/Berlin)".

cron(...) is described by cron-descriptor (PyPI, 2.2.1), which reads Quartz-style expressions
with seconds first and `?`, `L`, `W` and `#`. AWS's form has no seconds and numbers the days of
the week 1-7 with 1 = SUN (Amazon EventBridge user guide, "Schedule expressions for rules":
Day-of-week 1-7 or SUN-SAT; the grammar in retraining_shared.schedule_grammar), while
cron-descriptor numbers them 0-6 from SUN unless told otherwise. So the expression gets a `0`
seconds field in front and `day_of_week_start_index_zero = False` (tests/plan/
test_schedule_words.py checks the day names against AWS's numbering). rate(...) and at(...)
are said here: cron-descriptor does not read them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cron_descriptor import ExpressionDescriptor, Options

_CRON = re.compile(r"^cron\((?P<body>.*)\)$")
_RATE = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minutes?|hours?|days?)\)$")
_AT = re.compile(r"^at\((?P<moment>[^)]*)\)$")


def _options() -> Options:
    options = Options()
    options.day_of_week_start_index_zero = False  # AWS: 1 = SUN ... 7 = SAT
    options.use_24hour_time_format = True
    return options


def describe(expression: str, timezone: str = "UTC") -> str | None:
    """The expression in words and its zone, or None when it is not one this can read (the
    stack's own validation reports those)."""
    text = expression.strip()
    if cron := _CRON.match(text):
        fields = cron["body"].split()
        if len(fields) != 6:
            return None
        try:
            words = ExpressionDescriptor(" ".join(["0", *fields]), _options()).get_description()
        except Exception:  # cron-descriptor raises its own types for what it cannot read
            return None
        day_of_month, month, day_of_week, year = fields[2:]
        if {day_of_month, day_of_week} <= {"*", "?"} and month == "*" and year == "*":
            words += ", every day"  # cron-descriptor leaves it implicit
    elif rate := _RATE.match(text):
        value, unit = int(rate["value"]), rate["unit"].rstrip("s")
        words = f"Every {unit}" if value == 1 else f"Every {value} {unit}s"
    elif at := _AT.match(text):
        words = f"Once, at {at['moment'].replace('T', ' ')}"
    else:
        return None
    return f"{words} ({timezone})"


@dataclass(frozen=True)
class ScheduleSummary:
    expression: str
    words: str | None
    next_runs: tuple[str, ...]
    """In the schedule's own zone."""


SCHEDULE_EXPORTS = ("schedule_expression", "schedule_timezone", "next_run_times")
"""What a retraining stack exports about its schedule (retraining_stack.stack)."""


def summary(outputs: Mapping[str, Any]) -> ScheduleSummary | None:
    """The schedule of a planned stack, from its exports; None for a stack without one."""
    expression = outputs.get("schedule_expression")
    if not isinstance(expression, str):
        return None
    timezone = outputs.get("schedule_timezone")
    zone = timezone if isinstance(timezone, str) and timezone else "UTC"
    runs = outputs.get("next_run_times")
    listed = runs.get(zone, runs.get("utc")) if isinstance(runs, Mapping) else None
    next_runs = tuple(str(r) for r in listed) if isinstance(listed, list) else ()
    return ScheduleSummary(expression, describe(expression, zone), next_runs)
