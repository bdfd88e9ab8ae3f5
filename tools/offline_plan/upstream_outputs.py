"""`--upstream-outputs FILE`: the exports of deployed stacks, read instead of planned.

A team reviewing its stack against the real base stacks exports them with

    pulumi stack output --json --show-secrets --stack <org>/<project>/<stack> > FILE

and the plan resolves a StackReference to such a stack from the file: every value known, as a
real preview against the deployed stack sees it. Two shapes are accepted:

    {"stack": "<org>/<project>/<stack>", "outputs": {...}, "secretOutputNames": ["..."]}
    {"<org>/<project>/<stack>": {...outputs...}, ...}

`outputs` is exactly what the command prints. `--show-secrets` prints secrets as plain values and
the file cannot say which ones were secret, so nothing is secret unless `secretOutputNames` (first
shape only) names it; those exports stay secret downstream and masked in the plan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline_plan.discovery import InputProblem
from offline_plan.mock_runtime import SECRET_SIG, SECRET_SIG_KEY

OPTION = "--upstream-outputs"
STACK_KEY = "stack"
OUTPUTS_KEY = "outputs"
SECRET_NAMES_KEY = "secretOutputNames"  # noqa: S105 - a JSON key, not a credential
SINGLE_STACK_KEYS = (STACK_KEY, OUTPUTS_KEY, SECRET_NAMES_KEY)
MASKED_BY_CLI = "[secret]"
"""What `pulumi stack output --json` prints for a secret without --show-secrets."""
FULL_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHAPES = (
    f'{{"{STACK_KEY}": "<org>/<project>/<stack>", "{OUTPUTS_KEY}": {{...}}, '
    f'"{SECRET_NAMES_KEY}": [...]}} or {{"<org>/<project>/<stack>": {{...outputs...}}, ...}}'
)


@dataclass(frozen=True)
class DeployedStack:
    """One deployed stack's exports, as the file gives them."""

    name: str
    """`org/project/stack`."""
    source: str
    """The file it was read from."""
    outputs: Mapping[str, Any]
    """Plain JSON values, as `pulumi stack output --json --show-secrets` prints them."""
    secret_output_names: tuple[str, ...] = ()

    @property
    def project_and_stack(self) -> str:
        return self.name.split("/", 1)[1]

    @property
    def organization(self) -> str:
        return self.name.split("/", 1)[0]

    def wire_outputs(self) -> dict[str, Any]:
        """The exports as the engine hands them to a StackReference: the named secrets wrapped."""
        secrets = set(self.secret_output_names)
        return {
            key: {SECRET_SIG_KEY: SECRET_SIG, "value": value} if key in secrets else value
            for key, value in self.outputs.items()
        }


_JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def _json_type(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


class _DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _DuplicateKeyError(key)
        document[key] = value
    return document


def _masked_paths(value: Any, path: str) -> list[str]:
    """Where the CLI's secret mask stands in for a value (exported without --show-secrets)."""
    if isinstance(value, str):
        return [path] if value == MASKED_BY_CLI else []
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _masked_paths(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [
            p for index, item in enumerate(value) for p in _masked_paths(item, f"{path}[{index}]")
        ]
    return []


def _stack_problems(name: Any, where: str) -> list[str]:
    if not isinstance(name, str) or not FULL_STACK_NAME.match(name):
        return [
            f"{where} {json.dumps(name)} is not a fully qualified stack name "
            "<org>/<project>/<stack> (letters, digits, '-', '_', '.'), e.g. "
            "acme/network-iam/prod"
        ]
    return []


def _outputs_problems(name: str, outputs: Any, where: str) -> list[str]:
    if not isinstance(outputs, dict):
        return [
            f"{where} of stack {name} must be a JSON object (what `pulumi stack output --json` "
            f"prints), got {_json_type(outputs)}"
        ]
    return [
        f"{where} of stack {name}: {path} is {json.dumps(MASKED_BY_CLI)}, the CLI's mask for a "
        "secret; export again with `pulumi stack output --json --show-secrets`"
        for key, value in outputs.items()
        for path in _masked_paths(value, str(key))
    ]


def _single_stack(document: dict[str, Any]) -> tuple[list[DeployedStack], list[str]]:
    problems: list[str] = []
    unexpected = sorted(set(document) - set(SINGLE_STACK_KEYS))
    if unexpected:
        problems.append(
            f"unexpected key(s) {', '.join(map(json.dumps, unexpected))} next to "
            f"{json.dumps(STACK_KEY)}; allowed: {', '.join(SINGLE_STACK_KEYS)}"
        )
    for required in (STACK_KEY, OUTPUTS_KEY):
        if required not in document:
            problems.append(f"missing the key {json.dumps(required)} (expected {_SHAPES})")
    name = document.get(STACK_KEY)
    if STACK_KEY in document:
        problems += _stack_problems(name, json.dumps(STACK_KEY))
    outputs = document.get(OUTPUTS_KEY)
    if OUTPUTS_KEY in document:
        problems += _outputs_problems(str(name), outputs, json.dumps(OUTPUTS_KEY))
    secret_names = document.get(SECRET_NAMES_KEY, [])
    if not isinstance(secret_names, list) or not all(isinstance(n, str) for n in secret_names):
        problems.append(
            f"{json.dumps(SECRET_NAMES_KEY)} must be a list of output names, got "
            f"{json.dumps(secret_names)}"
        )
    elif isinstance(outputs, dict):
        exported = ", ".join(sorted(outputs)) or "none"
        problems += [
            f"{json.dumps(SECRET_NAMES_KEY)} names {json.dumps(secret)}, which stack {name} does "
            f"not export (outputs: {exported})"
            for secret in secret_names
            if secret not in outputs
        ]
    if problems:
        return [], problems
    assert isinstance(name, str)  # noqa: S101 - checked above
    assert isinstance(outputs, dict)  # noqa: S101 - checked above
    return [DeployedStack(name, "", outputs, tuple(dict.fromkeys(secret_names)))], []


def _stack_map(document: dict[str, Any]) -> tuple[list[DeployedStack], list[str]]:
    if not document:
        return [], [f"names no stack (expected {_SHAPES})"]
    problems: list[str] = []
    stacks: list[DeployedStack] = []
    for name, outputs in document.items():
        found = _stack_problems(name, "key")
        found += _outputs_problems(name, outputs, "the value") if not found else []
        problems += found
        if not found:
            stacks.append(DeployedStack(name, "", outputs))
    return stacks, problems


def _read_file(path: Path) -> tuple[list[DeployedStack], list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], ["file not found"]
    except (OSError, UnicodeDecodeError) as error:
        return [], [f"cannot read: {error}"]
    return _parse(text)


def _parse(text: str) -> tuple[list[DeployedStack], list[str]]:
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKeyError as error:
        return [], [f"the key {json.dumps(str(error))} appears twice in one object"]
    except json.JSONDecodeError as error:
        return [], [
            f"not JSON: {error.msg} at line {error.lineno} column {error.colno} "
            f"(expected {_SHAPES})"
        ]
    if not isinstance(document, dict):
        return [], [f"expected a JSON object, got {_json_type(document)} (expected {_SHAPES})"]
    if any(key in document for key in SINGLE_STACK_KEYS):
        return _single_stack(document)
    return _stack_map(document)


def _read_raw_outputs(name: str, path: Path) -> tuple[list[DeployedStack], list[str]]:
    """`ORG/PROJECT/STACK=FILE`: FILE is exactly what `pulumi stack output --json` printed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], ["file not found"]
    except (OSError, UnicodeDecodeError) as error:
        return [], [f"cannot read: {error}"]
    try:
        outputs = json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKeyError as error:
        return [], [f"the key {json.dumps(str(error))} appears twice in one object"]
    except json.JSONDecodeError as error:
        return [], [f"not JSON: {error.msg} at line {error.lineno} column {error.colno}"]
    problems = _outputs_problems(name, outputs, "the file")
    if problems:
        return [], problems
    return [DeployedStack(name, "", outputs)], []


def split_stack_assignment(argument: str) -> tuple[str, Path] | None:
    """`ORG/PROJECT/STACK=FILE` -> (stack, FILE); None for a plain FILE argument."""
    if Path(argument).exists() or "=" not in argument:
        return None
    name, _, file = argument.partition("=")
    return (name, Path(file)) if FULL_STACK_NAME.match(name) and file else None


def load_upstream_outputs(
    paths: Sequence[Path | str],
) -> tuple[dict[str, DeployedStack], list[InputProblem]]:
    """Every stack the files give, by full name, and every problem of every file.

    An argument is a FILE in one of the two wrapped shapes, or `ORG/PROJECT/STACK=FILE` where
    FILE is the raw output of `pulumi stack output --json --show-secrets` for that stack.
    """
    stacks: dict[str, DeployedStack] = {}
    problems: list[InputProblem] = []
    for argument in paths:
        assignment = split_stack_assignment(str(argument))
        if assignment is not None:
            stack_name, path = assignment
            source = str(path)
            found, messages = _read_raw_outputs(stack_name, path)
        else:
            source = str(argument)
            found, messages = _read_file(Path(argument))
        problems += [
            InputProblem(f"{source}: {OPTION}: {message}", file=source, key=OPTION)
            for message in messages
        ]
        for stack in found:
            if stack.name in stacks:
                problems.append(
                    InputProblem(
                        f"{source}: {OPTION}: stack {stack.name} is also given by "
                        f"{stacks[stack.name].source}; give each stack once",
                        file=source,
                        key=OPTION,
                    )
                )
                continue
            stacks[stack.name] = DeployedStack(
                stack.name, source, stack.outputs, stack.secret_output_names
            )
    return stacks, problems
