"""The pack's policies, in the order the SDK runs them (exemption reporters last)."""

from __future__ import annotations

from typing import Final

from retraining_policies import (
    cost,
    encryption,
    exemption_policies,
    iam,
    notifications,
    operations,
    registry,
    schedules,
    training,
)
from retraining_policies.framework import RetrainingPolicy

PACK_NAME: Final = "retraining-guardrails"
PACK_DISPLAY_NAME: Final = "Retraining guardrails"
PACK_DESCRIPTION: Final = (
    "Guards scheduled SageMaker retraining stacks: valid schedules, least-privilege IAM, "
    "required notifications, plus encryption, training hardening and hygiene."
)

_CHECKS: Final[list[RetrainingPolicy]] = [
    *schedules.POLICIES,
    *iam.POLICIES,
    *notifications.POLICIES,
    *encryption.POLICIES,
    *training.POLICIES,
    *cost.POLICIES,
    *operations.POLICIES,
    *registry.POLICIES,
]
POLICIES: Final[list[RetrainingPolicy]] = [
    *_CHECKS,
    *exemption_policies.build([policy.name for policy in _CHECKS]),
]
