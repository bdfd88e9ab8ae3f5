"""Which resources schedule retraining, and their expression, kind and time zone."""

from __future__ import annotations

from typing import Any, Final

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    Resource,
)
from retraining_policies.schedules import grammar

FAMILY: Final = "valid-schedules"
SCHEDULE_TYPES: Final = (types.EVENT_RULE, types.SCHEDULE)
MAX_FLEXIBLE_WINDOW_MINUTES = 1440
RETRY_AGE_SECONDS = (60, 86400)
RETRY_ATTEMPTS = (0, 185)


def schedule_of(resource: Resource) -> tuple[Any, grammar.ScheduleKind, Any] | None:
    """(expression, kind, time zone) of a scheduling resource, None if it schedules nothing."""
    if resource.type == types.EVENT_RULE:
        expression = resource.get("scheduleExpression")
        if expression is None or expression == "":
            return None
        return expression, "rule", "UTC"
    if resource.type == types.SCHEDULE:
        timezone = resource.get("scheduleExpressionTimezone")
        return resource.get("scheduleExpression"), "scheduler", timezone or "UTC"
    return None
