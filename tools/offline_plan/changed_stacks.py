"""`--changed-since REF`: plan only the stacks a change can affect.

A stack is affected when its own `Pulumi.<stack>.yaml` or its project's program changed
(`ci_matrix.changes_of`, the rule the preview matrix uses), when code every stack runs or every
plan judges with changed (EVERY_STACK: the shared library, the policy pack, the planner, the
pinned dependencies), or when a stack it reads is affected (its StackReferences read what
changed). The planner then adds the stacks each selected stack reads, as for `--stack`.

Changes are the commits since the merge base with REF (`REF...HEAD`, what a pull request
changes) plus uncommitted and untracked files (a stack `nox -s new-team` just wrote).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from offline_plan.ci_matrix import changed_files, changes_of, git_lines
from offline_plan.discovery import StackSelection, discover

EVERY_STACK = (
    "shared/",
    "policy/",
    "tools/offline_plan/",
    "requirements-dev.txt",
    "pyproject.toml",
    ".pulumi.version",
)
"""Paths whose change can change the plan of every stack."""


def repository_root(path: Path) -> Path:
    return Path(git_lines(path, "rev-parse", "--show-toplevel")[0])


def changed_since(repository: Path, ref: str) -> list[str]:
    """Repository-relative paths changed since `ref` (committed, uncommitted, untracked)."""
    committed = changed_files(repository, ref)
    uncommitted = git_lines(repository, "diff", "--name-only", "HEAD")
    untracked = git_lines(repository, "ls-files", "--others", "--exclude-standard")
    return sorted({*committed, *uncommitted, *untracked})


def affected_stacks(
    repository: Path, stacks_dir: Path, selection: StackSelection, changed: Sequence[str]
) -> list[str]:
    """`project/stack` of every stack of the environment that `changed` can affect."""
    environment_only = StackSelection(selection.environment, organization=selection.organization)
    discovery = discover(stacks_dir, environment_only)
    if any(path.startswith(EVERY_STACK) for path in changed):
        return [f"{t.project}/{t.stack}" for t in discovery.targets]
    affected = {t.full_name for t in discovery.targets if changes_of(t, repository, changed)}
    grew = True
    while grew:  # a stack reading an affected stack is affected too
        readers = {
            t.full_name
            for t in discovery.targets
            if t.full_name not in affected and set(t.upstreams.values()) & affected
        }
        affected |= readers
        grew = bool(readers)
    return [f"{t.project}/{t.stack}" for t in discovery.targets if t.full_name in affected]
