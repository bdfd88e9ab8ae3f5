"""Step Functions: a Catch that really carries every failure to SNS.

Amazon States Language ("Error handling in Step Functions"): `States.ALL` matches every error
name; `States.TaskFailed` matches every error except `States.Timeout`. A catcher that lists only
`States.Timeout` (or named errors) lets every other failure end the execution without a
notification. So a Task state's failures reach SNS when the catchers whose `Next` path reaches an
`sns:publish` Task together cover `States.ALL`, or both `States.TaskFailed` and `States.Timeout`.

Definitions are walked iteratively with a bound, so a deeply nested or cyclic definition gives a
clean answer instead of a recursion error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from retraining_policies.framework import as_list
from retraining_policies.notifications.routes import MAX_STEPS

_PUBLISH_RESOURCES: Final = ("states:::sns:publish", "states:::aws-sdk:sns:publish")
_MAX_MACHINES: Final = 200


def _machines(root: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The machine and every nested one (Parallel branches, Map iterators), breadth first."""
    pending: list[Any] = [root]
    seen = 0
    while pending and seen < _MAX_MACHINES:
        machine = pending.pop(0)
        if not isinstance(machine, Mapping):
            continue
        seen += 1
        yield machine
        states = machine.get("States")
        if not isinstance(states, Mapping):
            continue
        for state in states.values():
            if isinstance(state, Mapping):
                pending.extend(as_list(state.get("Branches")))
                pending.extend(state.get(key) for key in ("Iterator", "ItemProcessor"))


def _path_publishes(states: Mapping[str, Any], start: Any) -> bool:
    """Whether following Next/Choices/Default from `start` reaches a Task publishing to SNS."""
    pending = [start]
    seen: set[str] = set()
    while pending and len(seen) < MAX_STEPS:
        name = pending.pop()
        if not isinstance(name, str) or name in seen:
            continue
        seen.add(name)
        state = states.get(name)
        if not isinstance(state, Mapping):
            continue
        resource = state.get("Resource")
        if (
            state.get("Type") == "Task"
            and isinstance(resource, str)
            and resource.lower().endswith(_PUBLISH_RESOURCES)
        ):
            return True
        pending.append(state.get("Next"))
        pending.append(state.get("Default"))
        pending.extend(
            c.get("Next") for c in as_list(state.get("Choices")) if isinstance(c, Mapping)
        )
    return False


def covers_every_error(errors: set[str]) -> bool:
    return "States.ALL" in errors or {"States.TaskFailed", "States.Timeout"} <= errors


def catch_verdict(definition: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """(some Task's failures all reach SNS through Catch, notes on catchers that fall short)."""
    complete = False
    notes: list[str] = []
    for machine in _machines(definition):
        states = machine.get("States")
        if not isinstance(states, Mapping):
            continue
        for name, state in states.items():
            if not isinstance(state, Mapping):
                continue
            caught: set[str] = set()
            for catcher in as_list(state.get("Catch")):
                if isinstance(catcher, Mapping) and _path_publishes(states, catcher.get("Next")):
                    caught.update(
                        e for e in as_list(catcher.get("ErrorEquals")) if isinstance(e, str)
                    )
            if not caught:
                continue
            if covers_every_error(caught):
                complete = True
            else:
                notes.append(
                    f"state {name}'s Catch to SNS handles only {', '.join(sorted(caught))}; "
                    "catch States.ALL so every failure is reported"
                )
    return complete, notes
