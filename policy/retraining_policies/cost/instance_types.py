"""cost-instance-types-allowed: the instance type is allowed in the stack's environment."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.cost.environments import limit_of, per_environment_schema
from retraining_policies.cost.specs import judge_field
from retraining_policies.framework import PolicyDoc, Resource, RetrainingResourcePolicy
from retraining_policies.iam import documents as docs

FAMILY: Final = "cost-guardrails"
SETTING: Final = "allowedInstanceTypes"
_PATH: Final = ("ResourceConfig", "InstanceType")
_DEV: Final = [
    "ml.m5.*",
    "ml.m6i.*",
    "ml.m7i.*",
    "ml.c5.*",
    "ml.c6i.*",
    "ml.c7i.*",
    "ml.r5.*",
    "ml.g4dn.*",
    "ml.g5.*",
    "ml.g6.*",
]
DEFAULTS: Final = {
    "dev": _DEV,
    "staging": [*_DEV, "ml.g6e.*", "ml.p3.*", "ml.p4d.*", "ml.trn1.*"],
    "prod": ["ml.*"],
    "*": _DEV,
}


def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    found = limit_of(resource, config[SETTING], SETTING)
    if found is None:
        return
    allowed, named = found
    patterns = [str(pattern) for pattern in allowed]

    def judge(instance_type: Any) -> str | None:
        if not isinstance(instance_type, str) or any(
            docs.action_matches(pattern, instance_type) for pattern in patterns
        ):
            return None
        return (
            f"instance type {instance_type} is not allowed by {named}: "
            f"{', '.join(patterns) or 'none'}. Fix: choose an allowed type in "
            "training.instanceType, or allow it for this environment in --policy-pack-config"
        )

    yield from judge_field(resource, "the instance type", _PATH, judge)


DOC = PolicyDoc(
    name="cost-instance-types-allowed",
    family=FAMILY,
    description="The training instance type is allowed in the stack's environment.",
    why=(
        "The instance type sets the price of every instance-hour: one ml.p5.48xlarge hour "
        "costs what a day of small CPU instances does. Large GPU families belong in the "
        "environments that are budgeted for them, not in dev."
    ),
    remediation=(
        "Choose an allowed type in training.instanceType, or widen the environment's "
        "allowedInstanceTypes in --policy-pack-config (patterns with '*')."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        SETTING: per_environment_schema(
            {"type": "array", "items": {"type": "string"}},
            DEFAULTS,
            "Instance type patterns a training job may use ('*' wildcards).",
        )
    },
    resource_types=(types.LAMBDA_FUNCTION, types.STATE_MACHINE),
)
POLICY: Final = RetrainingResourcePolicy(DOC, check)
