"""cost-spot-required: training uses managed spot in the environments that require it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.cost.environments import ANY_ENVIRONMENT, environment_of
from retraining_policies.cost.specs import spec_values
from retraining_policies.framework import (
    UNKNOWN,
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
    cannot_verify,
    describe,
)

FAMILY: Final = "cost-guardrails"
SETTING: Final = "requiredIn"


def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    environment = environment_of(resource)
    required_in = [str(name) for name in config[SETTING]]
    scope = environment if environment in required_in else None
    if scope is None and ANY_ENVIRONMENT in required_in:
        scope = ANY_ENVIRONMENT
    if scope is None:
        return
    for label, spec, value in spec_values(
        resource, "whether spot training is on", "EnableManagedSpotTraining"
    ):
        if spec is None:
            yield str(value)
        elif value is UNKNOWN:
            yield cannot_verify("whether spot training is on", f"{label} EnableManagedSpotTraining")
        elif value is not True:
            yield (
                f"{label}: EnableManagedSpotTraining is {describe(value)}, but environment "
                f"{environment or '(no environment tag)'} requires managed spot training "
                f"({SETTING}: {', '.join(required_in)}). Fix: set training.spot.enabled: true "
                "(with maxWaitSeconds > maxRuntimeSeconds and a checkpoint prefix)"
            )


DOC = PolicyDoc(
    name="cost-spot-required",
    family=FAMILY,
    description="Training jobs use managed spot capacity in the environments that require it.",
    why=(
        "Managed spot training runs the same job on spare capacity at a fraction of the "
        "on-demand price; in environments where a delayed retrain harms no one (dev), "
        "paying on-demand is waste."
    ),
    remediation=(
        "Set training.spot.enabled: true (the stack adds MaxWaitTimeInSeconds and the "
        "checkpoint location), or remove the environment from requiredIn."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config={
        SETTING: {
            "type": "array",
            "items": {"type": "string"},
            "default": ["dev"],
            "description": "Environments (tag 'environment') whose training jobs must use "
            "managed spot; '*' for every environment.",
        }
    },
    resource_types=(types.LAMBDA_FUNCTION, types.STATE_MACHINE),
)
POLICY: Final = RetrainingResourcePolicy(DOC, check)
