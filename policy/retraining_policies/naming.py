"""The one place the pack derives a team's name prefix from a resource.

Every name a team's stacks create starts with `<team>-` (docs/architecture.md "Names"; team names
are lowercase letters and digits without hyphens, so `<team>-` never matches another team). Longer
prefixes (`<team>-<env>-`, `<team>-<env>-<model>-`) all start with it, so judging "is this scoped
to the team" against `<team>-` stays right whatever the environment and model segments become.
"""

from __future__ import annotations

import re
from typing import Final

from retraining_policies.framework import Resource

TEAM_TAG: Final = "team"
_TEAM = re.compile(r"[a-z0-9]+")


def team_prefix(resource: Resource, role_reference: object = None) -> str | None:
    """`<team>-` of a resource: its `team` tag, else the first segment of its role's name."""
    team = resource.tags().get(TEAM_TAG)
    if isinstance(team, str) and _TEAM.fullmatch(team):
        return f"{team}-"
    for candidate in (role_reference, resource.get("name")):
        if isinstance(candidate, str) and candidate:
            first = candidate.rsplit("/", 1)[-1].split("-", 1)[0]
            if _TEAM.fullmatch(first) and "-" in candidate:
                return f"{first}-"
    return None
