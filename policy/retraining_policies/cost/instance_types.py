"""cost-instance-types-allowed: the instance type is allowed in the stack's environment."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import iam_documents as docs
from retraining_policies import resource_types as types
from retraining_policies.cost.environments import (
    environment_of,
    limit_for,
    per_environment_schema,
    where,
)
from retraining_policies.cost.specs import spec_values
from retraining_policies.framework import (
    UNKNOWN,
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
    cannot_verify,
)

FAMILY: Final = "cost-guardrails"
SETTING: Final = "allowedInstanceTypes"
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
    environment = environment_of(resource)
    allowed, key = limit_for(config[SETTING], environment)
    if allowed is None:
        return
    patterns = [str(pattern) for pattern in allowed]
    for label, spec, value in spec_values(
        resource, "the instance type", "ResourceConfig", "InstanceType"
    ):
        if spec is None:
            yield str(value)
        elif value is UNKNOWN:
            yield cannot_verify("the instance type", f"{label} ResourceConfig.InstanceType")
        elif isinstance(value, str) and not any(
            docs.action_matches(pattern, value) for pattern in patterns
        ):
            yield (
                f"{label}: instance type {value} is not allowed by "
                f"{where(environment, key, SETTING)}: {', '.join(patterns) or 'none'}. Fix: "
                "choose an allowed type in training.instanceType, or allow it for this "
                "environment in --policy-pack-config"
            )


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
