"""The one implementation of the EventBridge rule and EventBridge Scheduler schedule grammars.

Used by the policy pack and, through the symlink `shared/retraining_shared/schedule_grammar.py`, by
the stacks, so config validation at program start and the pack's checks can never disagree. It
lives inside `policy/` because `pulumi policy publish` uploads only that folder.

Grammar (AWS EventBridge user guide "Schedule expressions for rules", EventBridge Scheduler
user guide "Schedule types"):
- `cron(Minutes Hours Day-of-month Month Day-of-week Year)`: exactly six fields separated by single
  spaces; minutes 0-59, hours 0-23, day-of-month 1-31 (`, - * ? / L W`), month 1-12 or JAN-DEC,
  day-of-week 1-7 or SUN-SAT with 1=SUN (`, - * ? L #`), year 1970-2199; exactly one of
  day-of-month and day-of-week is `?`; `#` only in day-of-week and only as the whole field; `W`
  only in day-of-month. Field syntax is decided by `aws-croniter`; this module adds what it lacks
  (rate/at, year steps, step 0, `LW`, all problems at once, messages that name the field and why).
- `rate(N unit)`: N a positive whole number, unit minute/hour/day, singular if and only if N = 1.
- `at(yyyy-mm-ddThh:mm:ss)`: one-time schedules, EventBridge Scheduler only.
- Rules run in UTC; Scheduler evaluates cron and at() in an IANA time zone. On daylight-saving
  days Scheduler skips wall-clock times that do not exist and runs repeated ones once.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, available_timezones

from aws_croniter import AwsCroniter
from aws_croniter.exceptions import AwsCroniterExpressionError

ScheduleKind = Literal["rule", "scheduler"]
SCHEDULE_KINDS: Final = ("rule", "scheduler")

UTC: Final = dt.UTC
HORIZON: Final = dt.timedelta(days=400)
"""How far ahead `minimum_interval` looks: a full year of calendar and daylight-saving patterns."""

_EXPRESSION = re.compile(r"(?P<form>[a-z]+)\((?P<body>.*)\)", re.DOTALL)
_RATE_BODY = re.compile(r"(?P<value>\S+) (?P<unit>\S+)")
_AT_BODY = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_RATE_UNITS: Final = {"minute": 60, "hour": 3600, "day": 86400}
_YEAR_STEP = re.compile(r"(?P<start>\*|\d{4}|\d{4}-\d{4})/(?P<step>\d+)")
_FIRST_YEAR, _LAST_YEAR = 1970, 2199

_FIELD_NAMES: Final = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
_FIELD_ALLOWED: Final = (
    "0-59 with , - * /",
    "0-23 with , - * /",
    "1-31 with , - * ? / L W",
    "1-12 or JAN-DEC with , - * /",
    "1-7 or SUN-SAT (1=SUN) with , - * ? L #",
    "1970-2199 with , - * /",
)
_FIELD_RANGES: Final = ((0, 59), (0, 23), (1, 31), (1, 12), (1, 7), (_FIRST_YEAR, _LAST_YEAR))
# A valid expression to probe one field at a time: every other field is a known-good value.
_PROBE_DOM: Final = ("0", "0", "1", "*", "?", "*")
_PROBE_DOW: Final = ("0", "0", "?", "*", "1", "*")
_DOM, _DOW, _YEAR = 2, 4, 5
_NAMES = re.compile(r"JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT")


class ScheduleExpressionError(ValueError):
    """An expression that is not valid for the service's grammar; `problems` lists every reason."""

    def __init__(self, expression: object, kind: str, problems: list[str]) -> None:
        super().__init__(
            f"invalid {kind} schedule expression {expression!r}: " + "; ".join(problems)
        )
        self.problems = problems


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def validate_schedule_expression(expression: str, kind: ScheduleKind) -> list[str]:
    """Every reason `expression` is not a valid schedule for `kind`; empty when it is valid.

    `kind` is "rule" (EventBridge rule: cron/rate, UTC) or "scheduler" (EventBridge Scheduler:
    cron/rate/at). A `kind` outside those two is a programming error and raises ValueError.
    """
    _check_kind(kind)
    if not isinstance(expression, str):
        return [f"the schedule expression must be a string, got {type(expression).__name__}"]
    forms = "cron(...) or rate(...)" if kind == "rule" else "cron(...), rate(...) or at(...)"
    if expression != expression.strip():
        return [f"{expression!r} has leading or trailing whitespace; AWS expects exactly {forms}"]
    match = _EXPRESSION.fullmatch(expression)
    if match is None:
        return [f"{expression!r} is not {forms}"]
    form, body = match["form"], match["body"]
    if form == "at" and kind == "rule":
        return [
            "at(...) one-time schedules exist only in EventBridge Scheduler, not in "
            "EventBridge rules (use cron(...) or rate(...), or an aws.scheduler.Schedule)"
        ]
    checker = _FORM_CHECKERS.get(form)
    if checker is None:
        return [f"unknown schedule form {form!r} in {expression!r}: expected {forms}"]
    return checker(body)


def validate_timezone(name: object) -> list[str]:
    """Why `name` is not an IANA time zone EventBridge Scheduler accepts; empty when it is one."""
    if not isinstance(name, str):
        return [
            f"the time zone must be a string such as 'Europe/Berlin', got {type(name).__name__}"
        ]
    zones = _iana_zones()
    if name in zones:
        return []
    close = sorted(zone for zone in zones if zone.lower() == name.strip().lower())
    hint = f" (did you mean {close[0]!r}? names are case-sensitive)" if close else ""
    return [
        f"time zone {name!r} is not an IANA time zone name such as 'UTC', 'Europe/Berlin' "
        f"or 'America/New_York'{hint}"
    ]


def _check_kind(kind: object) -> None:
    if kind not in SCHEDULE_KINDS:
        raise ValueError(f"schedule kind {kind!r} is not one of {', '.join(SCHEDULE_KINDS)}")


@functools.cache
def _iana_zones() -> frozenset[str]:
    try:
        listing = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
        zones = frozenset(line.strip() for line in listing.splitlines() if line.strip())
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - tzdata is a dependency
        zones = frozenset(available_timezones())
    # "Factory" is tzdata's placeholder for unconfigured machines, not a place.
    return zones - {"Factory", "localtime"}


def _rate_problems(body: str) -> list[str]:
    match = _RATE_BODY.fullmatch(body)
    if match is None:
        return [
            f"rate({body}) must be 'rate(<value> <unit>)' with one space, e.g. rate(1 hour) or "
            "rate(12 hours)"
        ]
    value, unit = match["value"], match["unit"]
    problems: list[str] = []
    number: int | None = None
    if re.fullmatch(r"[1-9][0-9]*", value):
        number = int(value)
    else:
        problems.append(
            f"rate value {value!r} must be a positive whole number without leading zeros"
        )
    singular = unit.rstrip("s") if unit.endswith("s") else unit
    if singular not in _RATE_UNITS or unit not in (singular, singular + "s"):
        problems.append(
            f"rate unit {unit!r} must be one of minute, minutes, hour, hours, day, days"
        )
    elif number is not None:
        expected = singular if number == 1 else singular + "s"
        if unit != expected:
            which = "singular" if number == 1 else "plural"
            problems.append(
                f"rate unit {unit!r} must be {expected!r} ({which}) when the value is {number}"
            )
    return problems


def _at_problems(body: str) -> list[str]:
    if _AT_BODY.fullmatch(body) is None:
        return [f"at({body}) must be at(yyyy-mm-ddThh:mm:ss), e.g. at(2030-01-31T06:00:00)"]
    try:
        dt.datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
    except ValueError as error:
        return [f"at({body}) is not a real date and time: {error}"]
    return []


def _cron_problems(body: str) -> list[str]:
    fields = body.split(" ")
    if "" in fields:
        return [f"cron({body}) fields must be separated by single spaces, without extra spaces"]
    if len(fields) != 6:
        hint = ""
        if len(fields) == 5:
            hint = " (AWS cron has a year field: add '*' at the end)"
        elif len(fields) == 7:
            hint = " (AWS cron has no seconds field)"
        return [
            f"cron({body}) has {len(fields)} fields, AWS cron needs exactly 6: minutes hours "
            f"day-of-month month day-of-week year{hint}"
        ]
    problems: list[str] = []
    dom, dow = fields[_DOM], fields[_DOW]
    if (dom == "?") == (dow == "?"):
        problems.append(
            f"exactly one of day-of-month and day-of-week must be '?', got day-of-month {dom!r} "
            f"and day-of-week {dow!r} (AWS cron cannot constrain both; put '?' in the one you "
            "do not use)"
        )
    for index, value in enumerate(fields):
        if value == "?" and index in (_DOM, _DOW):
            continue  # the pairing rule above covers '?'
        if not _field_accepted(index, value):
            problems.append(_explain_field(index, value))
    return problems


_FORM_CHECKERS: Final[dict[str, Callable[[str], list[str]]]] = {
    "cron": _cron_problems,
    "rate": _rate_problems,
    "at": _at_problems,
}


def _field_accepted(index: int, value: str) -> bool:
    """Whether aws-croniter accepts `value` in field `index` (and can parse it)."""
    probe = list(_PROBE_DOW if index == _DOW else _PROBE_DOM)
    candidate = _normalise_year(value) if index == _YEAR else value
    if candidate is None:
        return False
    if index == _DOM and value.upper() == "LW":
        return False  # aws-croniter's pattern admits LW but it cannot compute it; AWS documents nW
    probe[index] = candidate
    try:
        AwsCroniter(" ".join(probe))
    except AwsCroniterExpressionError:  # the field-specific subclasses, e.g. ...MinuteError
        return False
    except (ValueError, IndexError):
        return False  # passed the pattern but not the parser, e.g. a step of 0
    return True


def _normalise_year(value: str) -> str | None:
    """Expand year steps (`*/2`, `2025/5`, `2025-2035/2`) that aws-croniter's pattern rejects.

    AWS documents `/` for the year field; aws-croniter only accepts an increment that is itself a
    year, so hand it the equivalent explicit list. None when a step part is invalid.
    """
    parts = value.split(",")
    expanded: list[str] = []
    for part in parts:
        match = _YEAR_STEP.fullmatch(part)
        if match is None:
            expanded.append(part)
            continue
        step = int(match["step"])
        start_text = match["start"]
        if start_text == "*":
            start, end = _FIRST_YEAR, _LAST_YEAR
        elif "-" in start_text:
            start, end = (int(year) for year in start_text.split("-"))
        else:
            start, end = int(start_text), _LAST_YEAR
        if step < 1 or not (_FIRST_YEAR <= start <= end <= _LAST_YEAR):
            return None
        expanded.extend(str(year) for year in range(start, end + 1, step))
    return ",".join(expanded)


def _explain_field(index: int, value: str) -> str:
    """Say which field is wrong and the most specific reason we can tell.

    aws-croniter has already decided the field is invalid; this only words the reason.
    """
    reason = _special_character_reason(index, value) or _value_reason(index, value)
    return f"{_FIELD_NAMES[index]} field {value!r}: {reason}; allowed: {_FIELD_ALLOWED[index]}"


def _special_character_reason(index: int, value: str) -> str | None:
    upper = value.upper()
    checks: tuple[tuple[bool, str], ...] = (
        (
            "#" in value and index != _DOW,
            "'#' (nth weekday of the month) is only allowed in day-of-week",
        ),
        (
            "#" in value and any(char in value for char in ",-/"),
            "'#' must be the whole day-of-week field, e.g. 6#3, not part of a list or range",
        ),
        (
            "#" in value and re.fullmatch(r"\w+#[1-5]", value) is None,
            "the week number after '#' must be 1-5 (e.g. 2#1 is the first Monday)",
        ),
        (
            "W" in upper.replace("WED", "") and index != _DOM,
            "'W' (nearest weekday) is only allowed in day-of-month",
        ),
        (
            upper == "LW",
            "'LW' is not supported: use L (last day) or <day>W (nearest weekday), e.g. 15W",
        ),
        (
            "W" in upper and re.fullmatch(r"(0?[1-9]|[12][0-9]|3[01])W", upper) is None,
            "'W' must follow a single day of the month, e.g. 15W",
        ),
        (
            "L" in upper.replace("JUL", "") and index not in (_DOM, _DOW),
            "'L' (last) is only allowed in day-of-month and day-of-week",
        ),
        ("?" in value, "'?' is only allowed as the whole day-of-month or day-of-week field"),
        ("/" in value and index == _DOW, "'/' (step) is not allowed in day-of-week"),
        (
            re.search(r"/0*(?:\D|$)", value) is not None,
            "the step after '/' must be a positive number",
        ),
        (
            index == _DOW and re.search(r"(?<!\d)0(?!\d)", value) is not None,
            "day-of-week runs 1-7 with 1=SUN; 0 is not allowed",
        ),
    )
    return next((reason for applies, reason in checks if applies), None)


def _value_reason(index: int, value: str) -> str:
    low, high = _FIELD_RANGES[index]
    numbers = [int(number) for number in re.findall(r"\d+", _NAMES.sub("", value.upper()))]
    out_of_range = [number for number in numbers if not low <= number <= high]
    if out_of_range:
        return f"{', '.join(str(number) for number in out_of_range)} is outside {low}-{high}"
    if index == _YEAR and "/" in value:
        return "a year step must be */N, YYYY/N or YYYY-YYYY/N with N >= 1"
    return "is not valid syntax"


# ---------------------------------------------------------------------------------------------
# Run times
# ---------------------------------------------------------------------------------------------


def next_run_times(
    expression: str,
    kind: ScheduleKind,
    count: int = 3,
    timezone: str = "UTC",
    after: dt.datetime | None = None,
) -> list[dt.datetime]:
    """The next `count` runs strictly after `after` (default: now), aware, in `timezone`.

    cron and at() are read in `timezone` (rules: UTC only). rate() has no calendar anchor: AWS
    counts from the moment the rule or schedule is created, so runs are counted from `after`.
    Fewer than `count` (possibly none) when the expression stops firing. Raises
    ScheduleExpressionError for an invalid expression or time zone.
    """
    zone = _checked_zone(expression, kind, timezone)
    start = _aware(after)
    form, body = _split(expression)
    if form == "rate":
        step = _rate_interval(body)
        rate_runs: list[dt.datetime] = []
        for index in range(1, count + 1):
            if step is None:
                break
            try:
                rate_runs.append((start + step * index).astimezone(zone))
            except OverflowError:  # past year 9999: no further run exists in the calendar
                break
        return rate_runs
    if form == "at":
        when = dt.datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
        instant = _existing_instant(when, zone)
        return [instant.astimezone(zone)] if instant is not None and instant > start else []
    runs: list[dt.datetime] = []
    for instant in _cron_instants(_cron(body), zone, start):
        runs.append(instant.astimezone(zone))
        if len(runs) >= count:
            break
    return runs


def run_times_between(
    expression: str,
    kind: ScheduleKind,
    start: dt.datetime,
    end: dt.datetime,
    timezone: str = "UTC",
) -> list[dt.datetime]:
    """Every run strictly after `start` and at or before `end` (both aware), in `timezone`.

    The same reading as `next_run_times`: cron and at() in `timezone` (a wall-clock time the
    spring change skips does not run, a repeated autumn one runs once), rate() counted from
    `start`. Raises ScheduleExpressionError for an invalid expression or time zone.
    """
    zone = _checked_zone(expression, kind, timezone)
    first, last = _aware(start), _aware(end)
    form, body = _split(expression)
    if form == "rate":
        step = _rate_interval(body)
        if step is None:  # a period beyond the calendar: no run in any window
            return []
        count = int((last - first) // step) if last > first else 0
        return [(first + step * index).astimezone(zone) for index in range(1, count + 1)]
    if form == "at":
        return [
            run for run in next_run_times(expression, kind, 1, timezone, after=first) if run <= last
        ]
    runs: list[dt.datetime] = []
    for instant in _cron_instants(_cron(body), zone, first):
        if instant > last:
            break
        runs.append(instant.astimezone(zone))
    return runs


def minimum_interval(
    expression: str,
    kind: ScheduleKind,
    timezone: str = "UTC",
    after: dt.datetime | None = None,
) -> dt.timedelta | None:
    """The shortest real time between consecutive runs, over gaps starting in the next 400 days.

    None for at() (a single run) and for a cron expression that never runs twice. The skipped
    spring hour of daylight saving (which can shorten a gap) is computed exactly; the repeated
    autumn hour runs once, which only lengthens a gap, so that gap counts at its wall-clock
    length (never longer than the truth). Raises ScheduleExpressionError for an invalid
    expression or time zone.
    """
    _checked_zone(expression, kind, timezone)
    form, body = _split(expression)
    if form == "at":
        return None
    if form == "rate":
        return _rate_interval(body)
    first_day = _aware(after).astimezone(_zone(timezone)).date()
    return _cron_minimum_interval(body, timezone, first_day)


def _checked_zone(expression: str, kind: ScheduleKind, timezone: str) -> ZoneInfo:
    problems = validate_schedule_expression(expression, kind)
    if kind == "rule" and timezone != "UTC":
        problems.append(f"EventBridge rules run in UTC only; got time zone {timezone!r}")
    else:
        problems.extend(validate_timezone(timezone))
    if problems:
        raise ScheduleExpressionError(expression, kind, problems)
    return _zone(timezone)


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _aware(after: dt.datetime | None) -> dt.datetime:
    if after is None:
        return dt.datetime.now(UTC)
    if after.tzinfo is None:
        raise ValueError(f"`after` must be timezone-aware, got naive {after.isoformat()}")
    return after.astimezone(UTC)


def _split(expression: str) -> tuple[str, str]:
    match = _EXPRESSION.fullmatch(expression)
    assert match is not None  # validated by _checked_zone  # noqa: S101
    return match["form"], match["body"]


def _rate_interval(body: str) -> dt.timedelta | None:
    """The rate's period; None when it exceeds what a datetime can hold (~2.7 million years):
    such a schedule never runs within any calendar."""
    value, unit = body.split(" ")
    try:
        return dt.timedelta(seconds=int(value) * _RATE_UNITS[unit.rstrip("s")])
    except OverflowError:
        return None


@functools.lru_cache(maxsize=256)
def _cron(body: str) -> Any:
    fields = body.split(" ")
    fields[_YEAR] = _normalise_year(fields[_YEAR]) or fields[_YEAR]
    # EventBridge: "The L wildcard in the Day-of-month or Day-of-week fields specifies the last
    # day of the month or week" (User Guide, "Cron expressions"); the last day of the week is
    # SAT (7, days count from 1 = SUN). aws-croniter 2.x finds no run for a bare L in
    # day-of-week, so it gets the day it means.
    if fields[_DOW].upper() == "L":
        fields[_DOW] = "7"
    return AwsCroniter(" ".join(fields))


def _wall(instant: dt.datetime) -> dt.datetime:
    """aws-croniter computes in 'UTC'; we hand it wall-clock times labelled UTC."""
    return instant.replace(tzinfo=UTC)


def _existing_instant(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime | None:
    """The real instant of a wall-clock time in `zone`, None if the clock skips it (spring).

    Repeated wall-clock times (autumn) resolve to their first occurrence, as Scheduler runs once.
    """
    naive = wall.replace(tzinfo=None)
    local = naive.replace(tzinfo=zone, fold=0)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return instant


def _cron_instants(cron: Any, zone: ZoneInfo, start: dt.datetime) -> Iterator[dt.datetime]:
    """Real instants of a cron expression's runs after `start`, in order, in UTC."""
    cursor = _wall(start.astimezone(zone))
    while True:
        wall = cron.occurrence(cursor).next()
        if wall is None:
            return
        cursor = wall
        instant = _existing_instant(wall, zone)
        if instant is not None and instant > start:
            yield instant


@functools.lru_cache(maxsize=256)
def _cron_minimum_interval(body: str, timezone: str, first_day: dt.date) -> dt.timedelta | None:
    """Shortest gap: the daily pattern, the gaps between run-days, and daylight-saving days.

    Every day that runs at all runs at the same wall-clock times (minutes x hours), so only the
    run-days need enumerating, and only until two consecutive calendar days are found (no closer
    pair of days exists). Days on which the zone's UTC offset changes are computed run by run.
    """
    cron = _cron(body)
    zone = _zone(timezone)
    times = sorted({hour * 60 + minute for hour in cron.hours for minute in cron.minutes})
    intra = min((b - a for a, b in itertools.pairwise(times)), default=None)
    span = times[-1] - times[0]
    wall_first = dt.datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    wall_end = wall_first + HORIZON

    run_days: list[dt.date] = []
    smallest_day_gap: int | None = None
    cursor = wall_first - dt.timedelta(minutes=1)
    while smallest_day_gap != 1:
        wall = cron.occurrence(cursor).next()
        if wall is None:
            break
        if run_days:
            gap = (wall.date() - run_days[-1]).days
            smallest_day_gap = gap if smallest_day_gap is None else min(smallest_day_gap, gap)
        run_days.append(wall.date())
        if wall > wall_end:
            break  # the run that ends the last gap starting inside the horizon
        cursor = wall.replace(hour=23, minute=59)
    if not run_days:
        return None

    candidates: list[int] = []
    if intra is not None:
        candidates.append(intra)
    if smallest_day_gap is not None:
        candidates.append(smallest_day_gap * 1440 - span)
    for transition_day in _transition_days(zone, first_day, HORIZON.days):
        candidates.extend(_gaps_around(cron, transition_day, zone))
    if not candidates:
        return None
    return dt.timedelta(minutes=min(candidates))


@functools.lru_cache(maxsize=64)
def _transition_days(zone: ZoneInfo, first: dt.date, days: int) -> tuple[dt.date, ...]:
    """Local dates during which the zone's UTC offset changes (typically two a year)."""
    found: list[dt.date] = []
    previous = _midnight_offset(zone, first)
    for index in range(1, days + 2):
        day = first + dt.timedelta(days=index)
        offset = _midnight_offset(zone, day)
        if offset != previous:
            found.append(day - dt.timedelta(days=1))
        previous = offset
    return tuple(found)


def _midnight_offset(zone: ZoneInfo, day: dt.date) -> dt.timedelta | None:
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone).utcoffset()


def _gaps_around(cron: Any, day: dt.date, zone: ZoneInfo) -> list[int]:
    """The exact gap (minutes) between the last run before `day`'s offset change and the next one.

    Only the gap that spans the change differs from its wall-clock length; every other gap on a
    transition day is already counted by the daily pattern.
    """
    transition = _transition_instant(day, zone)
    if transition is None:
        return []
    wall_before = _wall((transition - dt.timedelta(seconds=1)).astimezone(zone))
    previous_wall = cron.occurrence(wall_before).prev(inclusive=True)
    previous = None if previous_wall is None else _existing_instant(previous_wall, zone)
    if previous is None:
        return []
    cursor = _wall(transition.astimezone(zone)) - dt.timedelta(minutes=1)
    # Skipped (spring) or already-run (autumn) wall times last at most a few hours.
    for _ in range(_MAX_TRANSITION_STEPS):
        wall = cron.occurrence(cursor).next()
        if wall is None:
            return []
        cursor = wall
        instant = _existing_instant(wall, zone)
        if instant is not None and instant >= transition:
            return [int((instant - previous).total_seconds() // 60)]
    return []


_MAX_TRANSITION_STEPS: Final = 600


def _transition_instant(day: dt.date, zone: ZoneInfo) -> dt.datetime | None:
    """The first instant (UTC, to the quarter hour) of `day` at which the zone's offset changes."""
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    offset = midnight.astimezone(zone).utcoffset()
    for quarter in range(1, 4 * 27):
        instant = midnight + dt.timedelta(minutes=15 * quarter)
        if instant.astimezone(zone).utcoffset() != offset:
            return instant
    return None
