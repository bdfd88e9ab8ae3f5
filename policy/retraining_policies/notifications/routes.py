"""What the notification policies share: recognising SNS destinations."""

from __future__ import annotations

from typing import Any, Final

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    Resource,
    Stack,
)

FAMILY: Final = "required-notifications"
SAGEMAKER_SOURCE: Final = "aws.sagemaker"
TRAINING_STATE_CHANGE: Final = "SageMaker Training Job State Change"
ORCHESTRATOR_TYPES: Final = (types.LAMBDA_FUNCTION, types.STATE_MACHINE)
MAX_STEPS = 50


def is_sns_arn(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("arn:") and value.split(":")[2:3] == ["sns"]


def reaches_topic(stack: Stack, owner: Resource, prop: str, value: Any) -> bool | None:
    """Whether a target/action value is an SNS topic: True, False, or None (cannot tell)."""
    if is_sns_arn(value):
        return True
    if value is UNKNOWN or (isinstance(value, list) and UNKNOWN in value):
        if any(dep.type == types.SNS_TOPIC for dep in stack.dependencies_of(owner, prop)):
            return True
        return None
    return False
