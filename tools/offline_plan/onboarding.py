"""Is each team a stack serves onboarded in the stacks it reads? Checked from the stack files.

A stack that serves one team (`<project>:team`, retraining) or several (`<project>:teams`,
notifications) can only deploy when every upstream stack it reads lists those teams under its
own `<upstream project>:teams`. The programs check the same against the upstream's exports, but
only once all their other settings are valid and the upstream is planned; the stack files say
it earlier, and say where to fix it: the upstream file and the line of its `teams` key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from retraining_shared import naming
from retraining_shared.config import format_key

from offline_plan.config_diagnostics import placed
from offline_plan.discovery import InputProblem, StackTarget
from offline_plan.stack_file_positions import StackFilePositions

TEAMS_KEY = "teams"
TEAM_KEY = "team"


def _json_mapping(text: str | None) -> Mapping[str, object] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def served_teams(target: StackTarget) -> dict[str, tuple[str | int, ...]]:
    """Team -> the key path (in the target's project) that names it."""
    assert target.config is not None  # noqa: S101 - only called for loaded stacks
    values = target.config.values
    team = values.get(f"{target.project}:{TEAM_KEY}")
    if isinstance(team, str) and team:
        return {team: (TEAM_KEY,)}
    teams = _json_mapping(values.get(f"{target.project}:{TEAMS_KEY}"))
    return {str(name): (TEAMS_KEY, str(name)) for name in teams or {}}


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def onboarding_problems(
    target: StackTarget, planned: Mapping[str, StackTarget]
) -> list[InputProblem]:
    """One problem per team of `target` missing from the `teams` of upstream stack files,
    placed at the key naming the team, saying which files and keys to add it to."""
    if target.config is None:
        return []
    missing: dict[str, list[tuple[str, StackTarget, Mapping[str, object]]]] = {}
    for upstream_key, upstream_name in target.upstreams.items():
        upstream = planned.get(upstream_name)
        if upstream is None or upstream.config is None:
            continue  # deployed (read from a file: the program checks its exports) or broken
        onboarded = _json_mapping(upstream.config.values.get(f"{upstream.project}:{TEAMS_KEY}"))
        if onboarded is None:
            continue  # the upstream's own problem, reported there
        for team in served_teams(target):
            if team not in onboarded and not naming.team_problem(team):
                missing.setdefault(team, []).append((upstream_key, upstream, onboarded))
    problems = []
    for team, upstreams in missing.items():
        key = format_key(target.project, served_teams(target)[team])
        fixes = []
        for _, upstream, onboarded in upstreams:
            teams_key = f"{upstream.project}:{TEAMS_KEY}"
            where = StackFilePositions(upstream.config_file, upstream.project).locate(
                teams_key, at_key=True
            )
            line = f":{where.line}" if where is not None else ""
            listed = ", ".join(sorted(onboarded)) or "none"
            fixes.append(
                f"`{team}:` under `{teams_key}` in {_display(upstream.config_file)}{line} "
                f"(onboarded there: {listed})"
            )
        names = " and ".join(upstream.full_name for _, upstream, _ in upstreams)
        problems.append(
            placed(
                target,
                key,
                f"{key}: team {team!r} is not onboarded in {names} (got {json.dumps(team)}); "
                f"add {' and '.join(fixes)}",
                keys=tuple(upstream_key for upstream_key, _, _ in upstreams),
            )
        )
    return problems
