"""Step Functions: failures and job outcomes that really reach SNS.

Amazon States Language ("Error handling in Step Functions"): `States.ALL` matches every error
name; `States.TaskFailed` matches every error except `States.Timeout`; catchers are scanned in
order. A catcher that lists only `States.Timeout` (or named errors) lets every other failure end
the execution without a notification. So a Task state's failures reach SNS when the catchers
whose `Next` path reaches an `sns:publish` Task together cover `States.ALL`, or both
`States.TaskFailed` and `States.Timeout`, and no catcher sends a `States.*` error (a class of
failures) down a path that never publishes. A catcher of a specific, named error (e.g. a
duplicate delivery's ResourceInUse) may lead to a quiet end: that is a handled condition, not a
swallowed failure.

A state machine reports its training job's outcomes itself (instead of a SageMaker job-state
rule) when it runs the job with `createTrainingJob.sync` (Step Functions waits for the job to
end: "Run a Job (.sync)") and that Task both continues on success to a publish and reaches a
publish on every failure, by the rule above; every Task between the job and that publish (a
quality gate's Lambda task) must reach a publish on every failure too.

Definitions are walked iteratively with a bound, so a deeply nested or cyclic definition gives a
clean answer instead of a recursion error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from retraining_policies.framework import as_list
from retraining_policies.notifications.routes import MAX_STEPS

_PUBLISH_RESOURCES: Final = ("states:::sns:publish", "states:::aws-sdk:sns:publish")
_TRAINING_JOB_SYNC: Final = "states:::sagemaker:createtrainingjob.sync"
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


def _is_publish(state: Mapping[str, Any]) -> bool:
    resource = state.get("Resource")
    return (
        state.get("Type") == "Task"
        and isinstance(resource, str)
        and resource.lower().endswith(_PUBLISH_RESOURCES)
    )


def _walk_to_publish(states: Mapping[str, Any], start: Any) -> tuple[bool, list[str]]:
    """Following Next/Choices/Default from `start`: whether a Task publishing to SNS is reached,
    and the other Tasks passed before the first publish (e.g. a quality gate's Lambda task
    between the job and its message)."""
    pending = [start]
    seen: set[str] = set()
    tasks: list[str] = []
    publishes = False
    while pending and len(seen) < MAX_STEPS:
        name = pending.pop()
        if not isinstance(name, str) or name in seen:
            continue
        seen.add(name)
        state = states.get(name)
        if not isinstance(state, Mapping):
            continue
        if _is_publish(state):
            publishes = True
            continue
        if state.get("Type") == "Task":
            tasks.append(name)
        pending.append(state.get("Next"))
        pending.append(state.get("Default"))
        pending.extend(
            c.get("Next") for c in as_list(state.get("Choices")) if isinstance(c, Mapping)
        )
    return publishes, tasks


def _path_publishes(states: Mapping[str, Any], start: Any) -> bool:
    """Whether following Next/Choices/Default from `start` reaches a Task publishing to SNS."""
    return _walk_to_publish(states, start)[0]


def covers_every_error(errors: set[str]) -> bool:
    return "States.ALL" in errors or {"States.TaskFailed", "States.Timeout"} <= errors


def _failure_verdict(
    states: Mapping[str, Any], name: str, state: Mapping[str, Any]
) -> tuple[bool | None, list[str]]:
    """Whether every failure of a state reaches a publish: None when it catches nothing."""
    reported: set[str] = set()
    notes: list[str] = []
    catchers = [c for c in as_list(state.get("Catch")) if isinstance(c, Mapping)]
    for catcher in catchers:
        errors = {e for e in as_list(catcher.get("ErrorEquals")) if isinstance(e, str)}
        if _path_publishes(states, catcher.get("Next")):
            reported |= errors
            continue
        classes = sorted(e for e in errors if e.startswith("States."))
        if classes:
            notes.append(
                f"state {name}'s Catch sends {', '.join(classes)} to {catcher.get('Next')!r}, "
                "a path that never publishes to SNS"
            )
    if not catchers:
        return None, notes
    if reported and not covers_every_error(reported):
        notes.append(
            f"state {name}'s Catch to SNS handles only {', '.join(sorted(reported))}; catch "
            "States.ALL so every failure is reported"
        )
    return covers_every_error(reported) and not notes, notes


def _tasks(
    definition: Mapping[str, Any],
) -> Iterator[tuple[Mapping[str, Any], str, Mapping[str, Any]]]:
    """(the states of its machine, name, state) of every Task, nested machines included."""
    for machine in _machines(definition):
        states = machine.get("States")
        if not isinstance(states, Mapping):
            continue
        for name, state in states.items():
            if isinstance(state, Mapping) and state.get("Type") == "Task":
                yield states, str(name), state


def catch_verdict(definition: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """(some Task's failures all reach SNS through Catch, notes on catchers that fall short)."""
    complete = False
    notes: list[str] = []
    for states, name, state in _tasks(definition):
        verdict, task_notes = _failure_verdict(states, name, state)
        notes.extend(task_notes)
        complete = complete or bool(verdict)
    return complete, notes


def job_outcomes_verdict(definition: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """(the machine reports its training job's outcomes to SNS itself, why not)."""
    notes: list[str] = []
    trainings = [
        (states, name, state)
        for states, name, state in _tasks(definition)
        if isinstance(state.get("Resource"), str)
        and state["Resource"].lower().endswith(_TRAINING_JOB_SYNC)
    ]
    if not trainings:
        return False, [
            "it runs no createTrainingJob.sync task, so it does not see how the job ends"
        ]
    for states, name, state in trainings:
        failures, failure_notes = _failure_verdict(states, name, state)
        notes.extend(failure_notes)
        if failures is None:
            notes.append(
                f"state {name} catches no error: a failed job ends the execution unreported"
            )
        success, between_tasks = _walk_to_publish(states, state.get("Next"))
        if not success:
            notes.append(f"state {name}'s success path never publishes to SNS")
        # A Task between the completed job and its message (a quality gate) must report its
        # own failures too, or a completed job can end the execution unreported.
        for between in between_tasks:
            verdict, between_notes = _failure_verdict(states, between, states[between])
            notes.extend(between_notes)
            if not verdict:
                success = False
                if verdict is None:
                    notes.append(
                        f"state {between}, on {name}'s success path, catches no error: a "
                        "completed job ends the execution unreported when it fails"
                    )
        if failures and success:
            return True, []
    return False, notes
