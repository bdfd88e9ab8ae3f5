"""cost-spot-required: training uses managed spot in the environments that require it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.cost.environments import ANY_ENVIRONMENT, environment_of
from retraining_policies.cost.specs import judge_field
from retraining_policies.framework import PolicyDoc, Resource, RetrainingResourcePolicy, describe

FAMILY: Final = "cost-guardrails"
SETTING: Final = "requiredIn"


def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    environment = environment_of(resource)
    required_in = [str(name) for name in config[SETTING]]
    if environment not in required_in and ANY_ENVIRONMENT not in required_in:
        return

    def judge(spot: Any) -> str | None:
        if spot is True:
            return None
        return (
            f"EnableManagedSpotTraining is {describe(spot)}, but environment "
            f"{environment or '(no environment tag)'} requires managed spot training "
            f"({SETTING}: {', '.join(required_in)}). Fix: set training.spot.enabled: true "
            "(with maxWaitSeconds > maxRuntimeSeconds and a checkpoint prefix)"
        )

    yield from judge_field(
        resource, "whether spot training is on", ("EnableManagedSpotTraining",), judge
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
