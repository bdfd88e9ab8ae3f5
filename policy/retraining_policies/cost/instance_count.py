"""cost-instance-count-limit: no more instances per job than the environment allows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.cost.environments import limit_of, per_environment_schema
from retraining_policies.cost.specs import is_number, judge_field
from retraining_policies.framework import PolicyDoc, Resource, RetrainingResourcePolicy

FAMILY: Final = "cost-guardrails"
SETTING: Final = "maxInstanceCount"
DEFAULTS: Final = {"dev": 2, "staging": 8, "prod": 32, "*": 2}
_PATH: Final = ("ResourceConfig", "InstanceCount")


def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    found = limit_of(resource, config[SETTING], SETTING)
    if found is None:
        return
    limit, named = found

    def judge(count: Any) -> str | None:
        if not is_number(count) or count <= limit:
            return None
        return (
            f"ResourceConfig.InstanceCount {int(count)} exceeds {named} of {limit}. Fix: lower "
            "training.instanceCount, or raise the limit for this environment in "
            "--policy-pack-config"
        )

    yield from judge_field(resource, "the instance count", _PATH, judge)


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
