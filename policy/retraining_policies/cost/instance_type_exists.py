"""sagemaker-instance-type-exists: the training instance type is one SageMaker has."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies import sagemaker_instance_types as instance_facts
from retraining_policies.cost.specs import judge_field
from retraining_policies.framework import PolicyDoc, Resource, RetrainingResourcePolicy, describe

FAMILY: Final = "cost-guardrails"
_PATH: Final = ("ResourceConfig", "InstanceType")


def _judge(instance_type: Any) -> str | None:
    if not isinstance(instance_type, str):
        return f"ResourceConfig.InstanceType {describe(instance_type)} is not a string"
    problem = instance_facts.instance_type_problem(instance_type)
    return None if problem is None else f"ResourceConfig.InstanceType {problem}"


def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    del config
    yield from judge_field(resource, "the instance type", _PATH, _judge)


DOC = PolicyDoc(
    name="sagemaker-instance-type-exists",
    family=FAMILY,
    description="The training instance type is one SageMaker's CreateTrainingJob accepts.",
    why=(
        "An instance type SageMaker does not have (a typo such as ml.m5.3xlarge) deploys "
        "cleanly and fails at the first scheduled run, hours or days later, when "
        "CreateTrainingJob rejects it; nobody is watching then."
    ),
    remediation=(
        "Set training.instanceType to one of the suggested types; the list is the "
        "TrainingInstanceType enum of botocore's SageMaker model "
        "(retraining_policies/sagemaker_instance_data.py)."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    resource_types=(types.LAMBDA_FUNCTION, types.STATE_MACHINE),
)
POLICY: Final = RetrainingResourcePolicy(DOC, check)
