"""registry-group-name-prefixed: a Model Package Group is named `<team>-<env>-…`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
    cannot_verify,
    describe,
)
from retraining_policies.naming import name_scope

FAMILY: Final = "registry"
NAME_KEY: Final = "modelPackageGroupName"


def check_group_name_prefixed(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    del config  # no settings
    name = resource.get(NAME_KEY)
    if name is UNKNOWN:
        yield cannot_verify("the group's name", NAME_KEY)
        return
    if not isinstance(name, str) or not name:
        yield f"{NAME_KEY} is {describe(name)}: name the group <team>-<env>-<model>"
        return
    scope = name_scope(resource)
    if scope is None or scope.environment is None:
        yield (
            f"group {name}: its team and environment cannot be told (tags team and environment "
            "are missing or not identifiers), so its name cannot be checked against them"
        )
    elif not name.startswith(scope.prefix):
        yield (
            f"group {name} does not start with {scope.prefix} (team {scope.team}, environment "
            f"{scope.environment}): the team's roles may register only in "
            f"model-package/{scope.prefix}*, and another team's roles could reach it"
        )


GROUP_NAME_PREFIXED = PolicyDoc(
    name="registry-group-name-prefixed",
    family=FAMILY,
    description="Every SageMaker Model Package Group's name starts with its team's and "
    "environment's prefix <team>-<env>- (from its team and environment tags).",
    why="IAM scopes the quality gate to model-package/<team>-<env>-*: a group outside the "
    "prefix cannot be used by the team's gate, and a group inside another team's prefix is "
    "writable by that team.",
    remediation="Name the group with retraining_shared.naming.model_package_group_name(team, "
    "model, environment) and tag it with the stack's tags.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    resource_types=(types.MODEL_PACKAGE_GROUP,),
)

POLICY = RetrainingResourcePolicy(GROUP_NAME_PREFIXED, check_group_name_prefixed)
