"""cost-instance-count-limit: no more instances per job than the environment allows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.cost.environments import (
    environment_of,
    limit_for,
    per_environment_schema,
    where,
)
from retraining_policies.cost.specs import is_number, spec_values
from retraining_policies.framework import (
    UNKNOWN,
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
    cannot_verify,
)

FAMILY: Final = "cost-guardrails"
SETTING: Final = "maxInstanceCount"
DEFAULTS: Final = {"dev": 2, "staging": 8, "prod": 32, "*": 2}


def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    environment = environment_of(resource)
    limit, key = limit_for(config[SETTING], environment)
    if limit is None:
        return
    for label, spec, value in spec_values(
        resource, "the instance count", "ResourceConfig", "InstanceCount"
    ):
        if spec is None:
            yield str(value)
        elif value is UNKNOWN:
            yield cannot_verify("the instance count", f"{label} ResourceConfig.InstanceCount")
        elif is_number(value) and value > limit:
            yield (
                f"{label}: ResourceConfig.InstanceCount {int(value)} exceeds "
                f"{where(environment, key, SETTING)} of {limit}. Fix: lower "
                "training.instanceCount, or raise the limit for this environment in "
                "--policy-pack-config"
            )


DOC = PolicyDoc(
    name="cost-instance-count-limit",
    family=FAMILY,
    description="A training job uses no more instances than its environment allows.",
    why=(
        "Every instance of a distributed job bills for the whole run: the instance count "
        "multiplies the cost of every scheduled occurrence."
    ),
    remediation=(
        "Lower training.instanceCount, or raise the environment's maxInstanceCount in "
        "--policy-pack-config."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        SETTING: per_environment_schema(
            {"type": "integer", "minimum": 1},
            DEFAULTS,
            "Largest ResourceConfig.InstanceCount.",
        )
    },
    resource_types=(types.LAMBDA_FUNCTION, types.STATE_MACHINE),
)
POLICY: Final = RetrainingResourcePolicy(DOC, check)
