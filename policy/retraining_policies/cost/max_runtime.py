"""cost-max-runtime-limit: a job's maximum runtime is within the environment's ceiling."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.cost.environments import limit_of, per_environment_schema
from retraining_policies.cost.specs import is_number, judge_field
from retraining_policies.framework import PolicyDoc, Resource, RetrainingResourcePolicy
from retraining_policies.training.specs import SAGEMAKER_MAX_RUNTIME_SECONDS

FAMILY: Final = "cost-guardrails"
SETTING: Final = "maxRuntimeSeconds"
DEFAULTS: Final = {"dev": 8 * 3600, "staging": 24 * 3600, "prod": 5 * 24 * 3600, "*": 8 * 3600}
_PATH: Final = ("StoppingCondition", "MaxRuntimeInSeconds")


def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    found = limit_of(resource, config[SETTING], SETTING)
    if found is None:
        return
    limit, named = found

    def judge(runtime: Any) -> str | None:
        if not is_number(runtime) or runtime <= limit:
            return None
        return (
            f"StoppingCondition.MaxRuntimeInSeconds {int(runtime)} ({runtime / 3600:.1f} h) "
            f"exceeds {named} of {limit} ({limit / 3600:.1f} h). Fix: lower "
            "training.maxRuntimeSeconds, or raise the ceiling for this environment in "
            "--policy-pack-config"
        )

    yield from judge_field(resource, "the maximum runtime", _PATH, judge)


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
