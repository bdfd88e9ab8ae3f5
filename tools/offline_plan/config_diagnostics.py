"""Config problems that point: `file:line:column: <key>: <what is wrong> (got …; allowed: …)`.

Every phase's problems of one stack are reported in one run: the CLI's own checks of the
declared config (missing keys, types, secrets: `mock_runtime.StackConfigError`), the program's
validation (`retraining_shared.config.ConfigError`, one problem per key) and the onboarding of
its teams in the stacks it reads (`onboarding`). Each becomes one `InputProblem` placed at the
key or value it names in the stack file (`stack_file_positions`); a key named by two phases is
reported once, by the phase that says most (the program's, which also says what is allowed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from retraining_shared.config import (
    REQUIRED_PROBLEM,
    UNKNOWN_KEY_PROBLEM,
    format_key,
    parse_key,
)

from offline_plan.discovery import InputProblem, StackTarget
from offline_plan.mock_runtime import StackConfigError
from offline_plan.stack_file_positions import StackFilePositions


def placed(
    target: StackTarget,
    key: str,
    message: str,
    *,
    missing: bool = False,
    unknown: bool = False,
    keys: Sequence[str] = (),
) -> InputProblem:
    """`message` about `key` (a `format_key` path), placed at it in the target's stack file."""
    project, parts = parse_key(key)
    qualified = f"{project}:{parts[0]}" if parts else key
    position = StackFilePositions(target.config_file, target.project).locate(
        qualified, parts[1:], at_key=unknown
    )
    if missing and position is not None and not position.exact:
        parent = "config:" if len(parts) <= 1 else format_key(project, parts[:-1])
        message += f"; add it under {parent} in this file"
    return InputProblem(
        message,
        file=str(target.config_file),
        key=key,
        stack=target.full_name,
        keys=tuple(dict.fromkeys([key, *keys])),
        line=position.line if position else None,
        column=position.column if position else None,
    )


def declaration_problems(target: StackTarget, error: StackConfigError) -> list[InputProblem]:
    """The CLI's config checks, one problem per key, at the key in the stack file."""
    return [
        placed(target, problem.key, problem.message, missing="is missing" in problem.message)
        for problem in error.problems
    ]


def program_problems(target: StackTarget, error: BaseException) -> list[InputProblem] | None:
    """A program's ConfigError (anything with `problems` of `key`/`problem`), one problem per
    key, at the key or value; None for any other exception."""
    problems: Any = getattr(error, "problems", None)
    if not isinstance(problems, tuple | list) or not problems:
        return None
    found = []
    for problem in problems:
        key = getattr(problem, "key", None)
        text = getattr(problem, "problem", None)
        if not isinstance(key, str) or not isinstance(text, str):
            return None
        found.append(
            placed(
                target,
                key,
                str(problem),
                missing=text.startswith(REQUIRED_PROBLEM),
                unknown=text.startswith(UNKNOWN_KEY_PROBLEM),
            )
        )
    return found


def merged(*phases: Iterable[InputProblem]) -> list[InputProblem]:
    """Every phase's problems, each key once (the earlier phase wins), in file order."""
    seen: set[str] = set()
    result: list[InputProblem] = []
    for phase in phases:
        batch = list(phase)
        fresh = [p for p in batch if not (set(p.keys or (p.key,)) & seen) or p.key is None]
        for problem in fresh:
            seen.update(k for k in (problem.keys or (problem.key,)) if k)
        result += fresh
    return sorted(result, key=lambda p: (p.file or "", p.line or 0, p.column or 0))
