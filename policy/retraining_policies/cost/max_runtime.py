"""cost-max-runtime-limit: a job's maximum runtime is within the environment's ceiling."""

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
from retraining_policies.training import SAGEMAKER_MAX_RUNTIME_SECONDS

FAMILY: Final = "cost-guardrails"
SETTING: Final = "maxRuntimeSeconds"
DEFAULTS: Final = {"dev": 8 * 3600, "staging": 24 * 3600, "prod": 5 * 24 * 3600, "*": 8 * 3600}


def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    environment = environment_of(resource)
    limit, key = limit_for(config[SETTING], environment)
    if limit is None:
        return
    for label, spec, value in spec_values(
        resource, "the maximum runtime", "StoppingCondition", "MaxRuntimeInSeconds"
    ):
        if spec is None:
            yield str(value)
        elif value is UNKNOWN:
            yield cannot_verify(
                "the maximum runtime", f"{label} StoppingCondition.MaxRuntimeInSeconds"
            )
        elif is_number(value) and value > limit:
            yield (
                f"{label}: StoppingCondition.MaxRuntimeInSeconds {int(value)} "
                f"({value / 3600:.1f} h) exceeds {where(environment, key, SETTING)} of "
                f"{limit} ({limit / 3600:.1f} h). Fix: lower training.maxRuntimeSeconds, or "
                "raise the ceiling for this environment in --policy-pack-config"
            )


DOC = PolicyDoc(
    name="cost-max-runtime-limit",
    family=FAMILY,
    description="A training job's MaxRuntimeInSeconds is within its environment's ceiling.",
    why=(
        "MaxRuntime is what a stuck or runaway job bills before SageMaker stops it: every "
        "scheduled occurrence can cost instances x MaxRuntime."
    ),
    remediation=(
        "Lower training.maxRuntimeSeconds, or raise the environment's maxRuntimeSeconds in "
        "--policy-pack-config."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        SETTING: per_environment_schema(
            {"type": "integer", "minimum": 1, "maximum": SAGEMAKER_MAX_RUNTIME_SECONDS},
            DEFAULTS,
            "Largest StoppingCondition.MaxRuntimeInSeconds (SageMaker's own limit is 28 days).",
        )
    },
    resource_types=(types.LAMBDA_FUNCTION, types.STATE_MACHINE),
)
POLICY: Final = RetrainingResourcePolicy(DOC, check)
