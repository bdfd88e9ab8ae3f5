"""Which stacks an offline plan runs, with which config, in which order.

Conventions (the same as `noxfile.py`'s `preview`/`up` sessions):

- every folder under the stacks directory with a `Pulumi.yaml` is a Pulumi project;
- the stacks of environment `<env>` are the `Pulumi.<stack>.yaml` files whose stack name is
  `<env>` (network-iam, notifications: `Pulumi.dev.yaml`) or ends with `-<env>` (retraining:
  `Pulumi.<team>-<model>-<env>.yaml`);
- a stack names the stacks it reads through config keys of its own project ending in `Stack`
  (`networkIamStack`, `notificationsStack`), as the CLI would resolve them: `org/project/stack`,
  `project/stack` (the run's organization) or `stack` (the same project). Those upstream stacks
  are planned first, even from another environment if a stack really names one;
- a stack given by `--upstream-outputs` is deployed: it is read from its file, never planned
  (it needs no Pulumi.<stack>.yaml here), and the stacks that read it are recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retraining_shared.stack_outputs import UPSTREAM_STACK_PROJECTS, upstream_stack_name

from offline_plan.mock_runtime import (
    PlanInputError,
    ProjectConfig,
    StackConfigError,
    load_project_config,
    load_yaml,
)

PROJECT_ORDER = ("network-iam", "notifications", "retraining")
"""Tie-break for stacks that do not depend on each other: the platform's layering."""
UPSTREAM_KEY_SUFFIX = "Stack"
DEFAULT_REVIEW_PROJECT = "retraining"
"""The project of a `--stack-config` file outside every project folder: a team's stack."""
_STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>[A-Za-z0-9_.-]+)\.yaml$")


@dataclass(frozen=True)
class InputProblem:
    """Why (part of) the input cannot be planned, naming the file and, when known, the key."""

    message: str
    file: str | None = None
    key: str | None = None
    stack: str | None = None
    keys: tuple[str, ...] = ()
    """Every key at fault when the error names several (`key` is the first)."""
    line: int | None = None
    """1-based line in `file` of the key or value at fault (stack_file_positions)."""
    column: int | None = None

    def render(self) -> str:
        if self.file and self.line is not None:
            if self.message.startswith(f"{self.file}:{self.line}:"):
                return self.message  # a YAML syntax error names its place itself
            return f"{self.file}:{self.line}:{self.column}: {self.message}"
        if not self.file or Path(self.file).name in self.message:
            return self.message  # the message already names its file
        return f"{self.file}: {self.message}"


@dataclass
class StackTarget:
    project_dir: Path
    project: str
    stack: str
    organization: str
    config_file: Path
    """The file that describes this stack (its Pulumi.<stack>.yaml or the extra file)."""
    extra_config_file: Path | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    config: ProjectConfig | None = None
    upstreams: dict[str, str] = field(default_factory=dict)
    """Qualified config key -> full name of the stack it references."""
    role: str = "target"
    """`target`: planned and judged; `upstream`: planned only for the exports a target reads."""
    problems: list[InputProblem] = field(default_factory=list)
    """Why this stack cannot be planned (config that does not load, an unknown upstream)."""
    config_error: StackConfigError | None = None
    """Keys the CLI's config checks refuse (`config` then holds what did load)."""

    @property
    def full_name(self) -> str:
        return f"{self.organization}/{self.project}/{self.stack}"

    @property
    def aliases(self) -> tuple[str, ...]:
        """Every name a StackReference may use for this stack."""
        return (self.full_name, f"{self.project}/{self.stack}")


@dataclass
class Discovery:
    targets: list[StackTarget]
    """Every stack to plan, in dependency order."""
    problems: list[InputProblem]
    readers: dict[str, list[str]] = field(default_factory=dict)
    """Deployed stack (read from an --upstream-outputs file) -> the planned stacks reading it."""


@dataclass(frozen=True)
class StackSelection:
    environment: str = "dev"
    stacks: Sequence[str] = ()
    """`stack` or `project/stack` names to plan alone (with their upstream stacks)."""
    stack_config_files: Sequence[Path] = ()
    """Extra stack config files (a team's stack under review), planned alone likewise."""
    review_project: str | None = None
    overrides: Sequence[str] = ()
    """`--config [project:]key=value` entries."""
    organization: str = "organization"


def _projects(stacks_dir: Path, problems: list[InputProblem]) -> dict[str, Path]:
    projects: dict[str, Path] = {}
    if not stacks_dir.is_dir():
        problems.append(InputProblem("the stacks directory does not exist", file=str(stacks_dir)))
        return projects
    for manifest in sorted(stacks_dir.glob("*/Pulumi.yaml")):
        try:
            document = load_yaml(manifest)
        except PlanInputError as error:
            problems.append(InputProblem(str(error), file=str(manifest)))
            continue
        name = document.get("name") if isinstance(document, dict) else None
        if not isinstance(name, str):
            problems.append(
                InputProblem("missing the project 'name'", file=str(manifest), key="name")
            )
            continue
        projects[name] = manifest.parent
    return projects


def _stack_files(project_dir: Path) -> dict[str, Path]:
    files = {}
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        match = _STACK_FILE.match(path.name)
        if match:
            files[match["stack"]] = path
    return files


def _belongs_to_environment(stack: str, environment: str) -> bool:
    return stack == environment or stack.endswith(f"-{environment}")


def _declared_keys(project_dir: Path, config_files: Sequence[Path]) -> set[str]:
    """Unqualified keys a project declares in Pulumi.yaml or a stack file sets (best effort)."""
    keys: set[str] = set()
    for path in (project_dir / "Pulumi.yaml", *config_files):
        try:
            document = load_yaml(path)
        except PlanInputError:
            continue
        section = document.get("config") if isinstance(document, dict) else None
        if isinstance(section, dict):
            keys.update(str(key).split(":", 1)[-1] for key in section)
    return keys


def _parse_overrides(
    entries: Sequence[str], problems: list[InputProblem]
) -> list[tuple[str | None, str, str]]:
    """`[namespace:]key=value` -> (namespace or None, key, value)."""
    parsed: list[tuple[str | None, str, str]] = []
    for entry in entries:
        key, separator, value = entry.partition("=")
        if not separator or not key:
            problems.append(InputProblem(f"expected KEY=VALUE, got {entry!r}", file="--config"))
            continue
        namespace, colon, name = key.partition(":")
        parsed.append((namespace, name, value) if colon else (None, key, value))
    return parsed


def _overrides_for(
    target: StackTarget,
    parsed: Sequence[tuple[str | None, str, str]],
    project_names: set[str],
) -> dict[str, str]:
    """A namespaced key goes to its project's stacks (or every stack for a provider namespace
    like `aws`); a bare key goes to the stacks whose project declares or sets it."""
    overrides: dict[str, str] = {}
    if not parsed:
        return overrides
    declared = _declared_keys(target.project_dir, [target.config_file])
    for namespace, name, value in parsed:
        if namespace is None:
            if name in declared:
                overrides[f"{target.project}:{name}"] = value
        elif namespace not in project_names or namespace == target.project:
            overrides[f"{namespace}:{name}"] = value
    return overrides


def _resolve_reference(value: str, target: StackTarget) -> str:
    parts = value.split("/")
    if len(parts) == 3:
        return value
    if len(parts) == 2:
        return f"{target.organization}/{value}"
    return f"{target.organization}/{target.project}/{value}"


def _upstreams(target: StackTarget) -> dict[str, str]:
    """Qualified key -> upstream stack; an empty key of a known upstream (`networkIamStack`)
    names the stack of this stack's environment and organisation, as the program derives it."""
    assert target.config is not None  # noqa: S101 - loaded just before
    prefix = f"{target.project}:"
    environment = target.config.values.get(f"{prefix}environment", "")
    upstreams = {}
    for key, value in sorted(target.config.values.items()):
        if not key.startswith(prefix) or not key.endswith(UPSTREAM_KEY_SUFFIX):
            continue
        name = key.removeprefix(prefix)
        if not value.strip() and name in UPSTREAM_STACK_PROJECTS and environment:
            upstreams[key] = upstream_stack_name(
                "", key=name, environment=environment, organization=target.organization
            )
        elif value.strip():
            upstreams[key] = _resolve_reference(value.strip(), target)
    return upstreams


def _review_target(
    path: Path,
    selection: StackSelection,
    projects: Mapping[str, Path],
    problems: list[InputProblem],
) -> StackTarget | None:
    path = path.resolve()
    match = _STACK_FILE.match(path.name)
    if match is None:
        problems.append(
            InputProblem(
                "a stack config file must be named Pulumi.<stack>.yaml (the stack name comes "
                "from the file name, as for the CLI)",
                file=str(path),
            )
        )
        return None
    if not path.is_file():
        problems.append(InputProblem("file not found", file=str(path)))
        return None
    containing = next((name for name, folder in projects.items() if folder == path.parent), None)
    project = selection.review_project or containing or DEFAULT_REVIEW_PROJECT
    if project not in projects:
        problems.append(
            InputProblem(
                f"project {project!r} not found; projects: {', '.join(sorted(projects))}",
                file=str(path),
            )
        )
        return None
    return StackTarget(
        project_dir=projects[project],
        project=project,
        stack=match["stack"],
        organization=selection.organization,
        config_file=path,
        extra_config_file=None if path.parent == projects[project] else path,
    )


def _named(name: str, target: StackTarget) -> bool:
    return name in (target.stack, f"{target.project}/{target.stack}", target.full_name)


def _select_by_name(
    names: Sequence[str], candidates: Sequence[StackTarget], problems: list[InputProblem]
) -> list[StackTarget]:
    chosen = []
    for name in names:
        matches = [c for c in candidates if _named(name, c)]
        if not matches:
            known = ", ".join(f"{c.project}/{c.stack}" for c in candidates) or "none"
            problems.append(InputProblem(f"no stack {name!r} in this plan; stacks: {known}"))
        elif len(matches) > 1:
            problems.append(
                InputProblem(f"stack name {name!r} is ambiguous; use project/stack", key=name)
            )
        else:
            chosen.append(matches[0])
    return chosen


def discover(
    stacks_dir: Path, selection: StackSelection, deployed: Mapping[str, str] | None = None
) -> Discovery:
    """`deployed`: full names of the stacks read from --upstream-outputs files -> their file."""
    deployed = deployed or {}
    problems: list[InputProblem] = []
    projects = _projects(stacks_dir, problems)
    parsed_overrides = _parse_overrides(selection.overrides, problems)

    # Every stack file of every project is addressable (an upstream may live in another env);
    # the environment's stacks are the default selection.
    every: dict[str, StackTarget] = {}
    for project, folder in projects.items():
        for stack, path in _stack_files(folder).items():
            target = StackTarget(folder, project, stack, selection.organization, path)
            every[target.full_name] = target
    chosen = _choose(stacks_dir, selection, projects, every, deployed=deployed, problems=problems)
    readers: dict[str, list[str]] = {name: [] for name in deployed}
    planned = _expand(chosen, every, parsed_overrides, set(projects), readers)
    for namespace, name, _ in parsed_overrides:
        if namespace is None and not any(
            f"{t.project}:{name}" in t.overrides for t in planned.values()
        ):
            problems.append(
                InputProblem(
                    f"no planned stack declares or sets {name!r}; qualify it as project:{name}",
                    file="--config",
                    key=name,
                )
            )
    problems += _same_deployment_twice(list(planned.values()), projects)
    ordered, cycle = _dependency_order(list(planned.values()))
    if cycle:
        problems.append(
            InputProblem("stacks reference each other in a cycle: " + " -> ".join(cycle))
        )
    return Discovery(ordered, problems, readers)


def _choose(
    stacks_dir: Path,
    selection: StackSelection,
    projects: Mapping[str, Path],
    every: dict[str, StackTarget],
    *,
    deployed: Mapping[str, str],
    problems: list[InputProblem],
) -> list[StackTarget]:
    environment_stacks = [
        t for t in every.values() if _belongs_to_environment(t.stack, selection.environment)
    ]
    # A deployed stack is read from its file: the environment's plan does not plan it again,
    # and selecting it by name is a contradiction worth saying.
    names = list(selection.stacks)
    for name in selection.stacks:
        matches = [t for t in environment_stacks if _named(name, t)]
        if matches and all(t.full_name in deployed for t in matches):
            names.remove(name)
            problems.append(
                InputProblem(
                    f"--stack {name} is read from {deployed[matches[0].full_name]} "
                    "(--upstream-outputs), not planned: select the stacks that read it",
                    key="--stack",
                )
            )
    if not selection.stacks and not selection.stack_config_files:
        if not environment_stacks and not problems:
            problems.append(
                InputProblem(
                    f"no stack config of environment {selection.environment!r} (expected "
                    f"Pulumi.{selection.environment}.yaml or Pulumi.<name>-"
                    f"{selection.environment}.yaml in a project folder)",
                    file=str(stacks_dir),
                )
            )
        return [t for t in environment_stacks if t.full_name not in deployed]
    environment_stacks = [t for t in environment_stacks if t.full_name not in deployed]
    chosen = _select_by_name(names, environment_stacks, problems)
    for path in selection.stack_config_files:
        review = _review_target(Path(path), selection, projects, problems)
        if review is None:
            continue
        if review.full_name in deployed:
            problems.append(
                InputProblem(
                    f"stack {review.full_name} is both under review and read from "
                    f"{deployed[review.full_name]} (--upstream-outputs): plan it or read it, "
                    "not both",
                    file=str(review.config_file),
                    key="--upstream-outputs",
                )
            )
            continue
        every[review.full_name] = review
        chosen.append(review)
    return chosen


def _expand(
    chosen: Sequence[StackTarget],
    every: Mapping[str, StackTarget],
    parsed_overrides: Sequence[tuple[str | None, str, str]],
    project_names: set[str],
    readers: dict[str, list[str]],
) -> dict[str, StackTarget]:
    """Load each chosen stack's config and add the upstream stacks it names, transitively;
    a deployed stack (a key of `readers`) is not planned, its readers are recorded."""
    planned: dict[str, StackTarget] = {}
    pending = list(chosen)
    while pending:
        target = pending.pop(0)
        if target.full_name in planned:
            continue
        planned[target.full_name] = target
        target.overrides = _overrides_for(target, parsed_overrides, project_names)
        try:
            # The CLI's own loading: defaults, the stack file, declared types, secure values.
            target.config = load_project_config(
                target.project_dir, target.stack, target.overrides, target.extra_config_file
            )
        except StackConfigError as error:
            # Keys the CLI would refuse: the planner reports them with every other problem of
            # the stack, from the config that did load (config_diagnostics).
            target.config, target.config_error = error.partial, error
        except PlanInputError as error:
            target.problems.append(
                InputProblem(
                    str(error),
                    file=error.file or str(target.config_file),
                    stack=target.full_name,
                    line=error.line,
                    column=error.column,
                )
            )
            continue
        target.upstreams = _upstreams(target)
        for key, upstream in target.upstreams.items():
            if upstream in readers:
                readers[upstream].append(target.full_name)
                continue
            found = every.get(upstream)
            if found is None:
                project = upstream.split("/")[1] if upstream.count("/") == 2 else ""
                available = (
                    ", ".join(sorted(n for n in every if n.split("/")[1] == project)) or "none"
                )
                target.problems.append(
                    InputProblem(
                        f"{key} = {upstream!r} names a stack the offline plan does not know "
                        f"(no Pulumi.<stack>.yaml for it; stacks of project {project!r}: "
                        f"{available})",
                        file=str(target.config_file),
                        key=key,
                        stack=target.full_name,
                    )
                )
            elif found.full_name not in planned:
                if found not in chosen:
                    found.role = "upstream"
                pending.append(found)
    return planned


DEPLOYMENT_IDENTITY_KEYS = ("team", "model", "environment")
"""Config keys that together name what a stack deploys: every resource name of a retraining
stack is `<team>-<model>-<environment>-...` (docs/architecture.md "Naming"), so two stacks with
the same three values would create the same named resources and collide at deploy."""


def _identity(values: Mapping[str, Any], project: str) -> tuple[str, ...] | None:
    identity = tuple(str(values.get(f"{project}:{key}", "")) for key in DEPLOYMENT_IDENTITY_KEYS)
    return identity if all(identity) else None


def _stack_files_by_identity(
    folder: Path, project: str
) -> dict[tuple[str, ...], list[tuple[str, Path]]]:
    """The project's stack files (stack, path), in `_stack_files` order, by deployment identity."""
    found: dict[tuple[str, ...], list[tuple[str, Path]]] = {}
    for stack, path in _stack_files(folder).items():
        try:
            document = load_yaml(path)
        except PlanInputError:
            continue  # reported where that stack is planned
        entries = document.get("config") if isinstance(document, dict) else None
        values = {
            (key if ":" in str(key) else f"{project}:{key}"): value
            for key, value in (entries or {}).items()
        }
        identity = _identity(values, project)
        if identity is not None:
            found.setdefault(identity, []).append((stack, path))
    return found


def _same_deployment_twice(
    planned: Sequence[StackTarget], projects: Mapping[str, Path]
) -> list[InputProblem]:
    """Two stack files of one project (in the checkout or under review) that deploy the same
    team/model/environment: refused before anything is planned, naming both files."""
    problems = []
    planned_files = {t.config_file.resolve() for t in planned}
    # Each project's stack files read once, grouped by what they deploy (not once per planned
    # stack: that was quadratic in the stacks of a project, seconds at a few hundred).
    by_identity: dict[str, dict[tuple[str, ...], list[tuple[str, Path]]]] = {}
    for target in planned:
        if target.config is None:
            continue
        identity = _identity(target.config.values, target.project)
        folder = projects.get(target.project)
        if identity is None or folder is None:
            continue
        if target.project not in by_identity:
            by_identity[target.project] = _stack_files_by_identity(folder, target.project)
        for stack, path in by_identity[target.project].get(identity, []):
            if stack == target.stack:
                continue  # the same stack (a revision of it under review is no second stack)
            reported_from_there = path.resolve() in planned_files and stack > target.stack
            if not reported_from_there:
                team, model, environment = identity
                problems.append(
                    InputProblem(
                        f"{target.config_file} and {path} both deploy team {team!r}, model "
                        f"{model!r}, environment {environment!r}: their resources share the "
                        f"names {team}-{model}-{environment}-* and would collide at deploy; "
                        "keep one stack per team/model/environment",
                        file=str(target.config_file),
                        key=f"{target.project}:model",
                        stack=target.full_name,
                    )
                )
    return problems


def _dependency_order(targets: list[StackTarget]) -> tuple[list[StackTarget], list[str]]:
    def rank(target: StackTarget) -> tuple[int, str, str]:
        position = (
            PROJECT_ORDER.index(target.project)
            if target.project in PROJECT_ORDER
            else len(PROJECT_ORDER)
        )
        return (position, target.project, target.stack)

    by_name = {t.full_name: t for t in targets}
    ordered: list[StackTarget] = []
    done: set[str] = set()
    visiting: list[str] = []

    def visit(target: StackTarget) -> list[str]:
        if target.full_name in done:
            return []
        if target.full_name in visiting:
            return [*visiting[visiting.index(target.full_name) :], target.full_name]
        visiting.append(target.full_name)
        for upstream in sorted(target.upstreams.values()):
            if upstream in by_name:
                cycle = visit(by_name[upstream])
                if cycle:
                    return cycle
        visiting.pop()
        done.add(target.full_name)
        ordered.append(target)
        return []

    for target in sorted(targets, key=rank):
        cycle = visit(target)
        if cycle:
            return sorted(targets, key=rank), cycle
    return ordered, []
