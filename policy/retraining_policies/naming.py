"""The one place the pack derives a team's and an environment's name prefix from a resource.

Every name a team's stacks create starts with `<team>-<env>-` (docs/architecture.md "Names",
built by shared/retraining_shared/naming.py, which the pack cannot import: it must stay
publishable from `policy/` alone; tests/policy/test_naming_agreement.py checks that both agree on
the shipped names). Team and environment identifiers have no hyphen, so `<team>-<env>-` never
matches another team's names, nor the same team's names in another environment: judging a scope
against it is what keeps a dev role off prod resources in a shared account.

The one documented exception is the team's ECR repositories, named `<team>-…` and shared by its
environments on purpose (an image is promoted from dev to prod unchanged, shared iam.py
`TeamScope.images_pattern`): `NameScope.prefix_for` gives `<team>-` for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from retraining_policies.framework import Resource

TEAM_TAG: Final = "team"
ENVIRONMENT_TAG: Final = "environment"
# The identifier shapes of shared naming.py (TEAM_PATTERN, ENVIRONMENT_PATTERN): no hyphens.
_TEAM: Final = re.compile(r"[a-z][a-z0-9]{1,15}")
_ENVIRONMENT: Final = re.compile(r"[a-z][a-z0-9]{1,6}")
# `<team>-<env>-<rest>`: how every role, function, queue and job name of a team starts.
_TEAM_ENV_NAME: Final = re.compile(r"(?P<team>[a-z][a-z0-9]{1,15})-(?P<env>[a-z][a-z0-9]{1,6})-.")

# (service, resource type) named `<team>-…` and shared across the team's environments on purpose.
CROSS_ENVIRONMENT: Final = frozenset({("ecr", "repository")})


@dataclass(frozen=True)
class NameScope:
    """A team, and the environment when it is known: the prefixes its resource names start with."""

    team: str
    environment: str | None

    @property
    def team_prefix(self) -> str:
        """`<team>-`: every environment of the team (only for CROSS_ENVIRONMENT types)."""
        return f"{self.team}-"

    @property
    def prefix(self) -> str:
        """`<team>-<env>-` when the environment is known, else `<team>-` (all that can be told)."""
        if self.environment is None:
            return self.team_prefix
        return f"{self.team}-{self.environment}-"

    def prefix_for(self, service: str, kind: str) -> str:
        """The prefix a name of this (service, resource type) must start with."""
        return self.team_prefix if (service, kind) in CROSS_ENVIRONMENT else self.prefix


def _known(value: object, pattern: re.Pattern[str]) -> str | None:
    return value if isinstance(value, str) and pattern.fullmatch(value) else None


def _name_scope(candidate: object) -> NameScope | None:
    """Team and environment from a `<team>-<env>-…` name (or an ARN ending in one)."""
    if not isinstance(candidate, str):
        return None
    match = _TEAM_ENV_NAME.match(candidate.rsplit("/", 1)[-1])
    return None if match is None else NameScope(match["team"], match["env"])


def name_scope(resource: Resource, role_reference: object = None) -> NameScope | None:
    """The team and environment a resource belongs to: its `team` and `environment` tags when
    they are known identifiers, else the `<team>-<env>-` of its role's name (or its own name).
    None when not even the team can be told."""
    tags = resource.tags()
    team = _known(tags.get(TEAM_TAG), _TEAM)
    environment = _known(tags.get(ENVIRONMENT_TAG), _ENVIRONMENT)
    if team is not None and environment is not None:
        return NameScope(team, environment)
    for candidate in (role_reference, resource.get("name")):
        scope = _name_scope(candidate)
        if scope is not None and team in (None, scope.team):
            return scope
    return None if team is None else NameScope(team, None)
