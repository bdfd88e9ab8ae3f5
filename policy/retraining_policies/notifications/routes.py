"""What the notification policies share: recognising an SNS topic a notification can reach."""

from __future__ import annotations

import re
from typing import Any, Final

from retraining_policies import resource_types as types
from retraining_policies.framework import UNKNOWN, Resource, Stack, as_list

FAMILY: Final = "required-notifications"
SAGEMAKER_SOURCE: Final = "aws.sagemaker"
TRAINING_STATE_CHANGE: Final = "SageMaker Training Job State Change"
ORCHESTRATOR_TYPES: Final = (types.LAMBDA_FUNCTION, types.STATE_MACHINE)
MAX_STEPS = 50

# SNS topic ARN: arn:<partition>:sns:<region>:<account>:<name>; names are 1-256 of letters,
# digits, '-' and '_' (FIFO topics end in .fifo) - SNS API reference, CreateTopic "Name".
_SNS_TOPIC_ARN = re.compile(
    r"arn:aws(-cn|-us-gov|-iso|-iso-b)?:sns:[a-z]{2}(-gov|-iso|-isob)?-[a-z]+-\d:\d{12}:"
    r"[A-Za-z0-9_-]{1,251}(\.fifo)?"
)


def is_sns_arn(value: Any) -> bool:
    """Whether `value` is a well-formed SNS topic ARN (a notification can be delivered to it)."""
    return isinstance(value, str) and _SNS_TOPIC_ARN.fullmatch(value) is not None


def reaches_topic(stack: Stack, owner: Resource, prop: str, value: Any) -> bool | None:
    """Whether a target/action value is an SNS topic: True, False, or None (cannot tell)."""
    if is_sns_arn(value):
        return True
    if value is UNKNOWN or (isinstance(value, list) and UNKNOWN in value):
        if any(dep.type == types.SNS_TOPIC for dep in stack.dependencies_of(owner, prop)):
            return True
        return None
    return False


def any_reaches_topic(stack: Stack, owner: Resource, prop: str) -> bool:
    """Whether one of the values of list property `prop` is an SNS topic."""
    value = owner.get(prop)
    values = [UNKNOWN] if value is UNKNOWN else as_list(value)
    if any(is_sns_arn(item) for item in values):
        return True
    return UNKNOWN in values and any(
        dep.type == types.SNS_TOPIC for dep in stack.dependencies_of(owner, prop)
    )
