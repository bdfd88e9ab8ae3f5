"""registry-gated: a Model Package Group says which quality gate lets models in, and the gate
can fail (no `automatic` approval without a threshold)."""

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
)
from retraining_policies.registry import gate_tags

FAMILY: Final = "registry"


def check_group_gated(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    del config  # no settings
    if resource.get("tags") is UNKNOWN and not isinstance(resource.get("tagsAll"), dict):
        yield cannot_verify("the quality gate of the group", "tags")
        return
    yield from gate_tags.gate_problems(resource.tags())


GROUP_GATED = PolicyDoc(
    name="registry-gated",
    family=FAMILY,
    description="Every SageMaker Model Package Group carries a valid quality gate (metric, "
    "direction, threshold, approval as tags): models are registered only after being judged, "
    "and automatic approval never comes without a threshold.",
    why="A group is where scheduled retraining registers new model versions; with automatic "
    "approval and no threshold every model the schedule produces would be approved for "
    "deployment unattended, however bad.",
    remediation="Set retraining:qualityGate (metric, direction, threshold, approval; optional "
    "minImprovement): the stack writes the gate on its group "
    "(retraining_shared.quality_gate_tags). Without a gate the stack creates no group.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    resource_types=(types.MODEL_PACKAGE_GROUP,),
)

POLICY = RetrainingResourcePolicy(GROUP_GATED, check_group_gated)
