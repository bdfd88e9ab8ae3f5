"""A small EventBridge event-pattern matcher: enough to prove a rule hears a given event.

Supports exact values, `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (value, list or
prefix), `wildcard`, `exists`, `numeric` is not needed for the SageMaker events we check, and
`$or`. Anything else yields None ("cannot tell"), never a guess.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

_ABSENT = object()


def matches(pattern: Any, event: Mapping[str, Any]) -> bool | None:
    """Whether `event` matches `pattern` (True/False), or None when the pattern is unsupported."""
    if not isinstance(pattern, Mapping):
        return None
    results: list[bool | None] = []
    for key, rule in pattern.items():
        if key == "$or":
            if not isinstance(rule, list) or not rule:
                return None
            alternatives = [matches(alternative, event) for alternative in rule]
            results.append(
                True if True in alternatives else None if None in alternatives else False
            )
            continue
        value = event.get(key, _ABSENT)
        if isinstance(rule, Mapping):
            if not isinstance(value, Mapping):
                results.append(False)
            else:
                results.append(matches(rule, value))
        elif isinstance(rule, list):
            results.append(_field_matches(rule, value))
        else:
            return None
    if False in results:
        return False
    if None in results:
        return None
    return True


def _field_matches(rules: list[Any], value: Any) -> bool | None:
    if not rules:
        return False
    outcomes = [_one(rule, value) for rule in rules]
    if True in outcomes:
        return True
    if None in outcomes:
        return None
    return False


def _one(rule: Any, value: Any) -> bool | None:  # noqa: PLR0911 - one branch per matcher
    if not isinstance(rule, Mapping):
        return value is not _ABSENT and rule == value
    if len(rule) != 1:
        return None
    ((name, argument),) = rule.items()
    if name == "exists":
        return (value is not _ABSENT) == bool(argument) if isinstance(argument, bool) else None
    if value is _ABSENT:
        return False
    if name == "prefix":
        if isinstance(argument, Mapping) and set(argument) == {"equals-ignore-case"}:
            text = argument["equals-ignore-case"]
            return (
                isinstance(value, str)
                and isinstance(text, str)
                and value.lower().startswith(text.lower())
            )
        return isinstance(value, str) and isinstance(argument, str) and value.startswith(argument)
    if name == "suffix":
        return isinstance(value, str) and isinstance(argument, str) and value.endswith(argument)
    if name == "equals-ignore-case":
        return (
            isinstance(value, str)
            and isinstance(argument, str)
            and value.lower() == argument.lower()
        )
    if name == "wildcard":
        return (
            isinstance(value, str)
            and isinstance(argument, str)
            and fnmatch.fnmatchcase(value, argument)
        )
    if name == "anything-but":
        if isinstance(argument, list):
            return bool(value not in argument)
        if isinstance(argument, Mapping):
            inner = _one(argument, value)
            return None if inner is None else not inner
        return bool(value != argument)
    return None
