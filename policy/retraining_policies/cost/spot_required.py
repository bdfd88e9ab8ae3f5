"""cost-spot-required: training uses managed spot in the environments that require it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.cost.environments import ANY_ENVIRONMENT, ENVIRONMENT_TAG, environment_of
from retraining_policies.cost.specs import judge_field
from retraining_policies.framework import (
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
    cannot_verify,
    describe,
    is_unknown,
)

FAMILY: Final = "cost-guardrails"
SETTING: Final = "requiredIn"


def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    required_in = [str(name) for name in config[SETTING]]
    tag = resource.tags().get(ENVIRONMENT_TAG)
    environment = environment_of(resource)
    if is_unknown(tag):
        why_required = None  # judged per job below: only an on-demand job needs the environment
    elif environment is None:
        # No (usable) environment tag: judged as the strictest environment, as every cost
        # guardrail judges it (cost/environments.py: `*`, as strict as dev), so an untagged
        # stack cannot skip spot: required whenever any environment requires it.
        if not required_in:
            return
        why_required = "a stack without an environment tag is judged as the strictest"
    elif environment in required_in or ANY_ENVIRONMENT in required_in:
        why_required = f"environment {environment} requires managed spot training"
    else:
        return

    def judge(spot: Any) -> str | None:
        if spot is True:
            return None
        if why_required is None:
            return cannot_verify(
                "which environment's spot rule applies to this on-demand job", "tags.environment"
            )
        return (
            f"EnableManagedSpotTraining is {describe(spot)}, but {why_required} "
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
            "managed spot; '*' for every environment. A stack without an environment tag must "
            "use spot whenever any environment must.",
        }
    },
    resource_types=(types.LAMBDA_FUNCTION, types.STATE_MACHINE),
)
POLICY: Final = RetrainingResourcePolicy(DOC, check)
