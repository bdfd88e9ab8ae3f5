"""Valid schedules: grammar (EventBridge rules and Scheduler), frequency bounds, DLQ and retries."""

from __future__ import annotations

from typing import Final

from retraining_policies.framework import RetrainingPolicy
from retraining_policies.schedules import (
    expression_valid,
    frequency_bounds,
    schedule_enabled,
    target_dlq_retry,
)

POLICIES: Final[list[RetrainingPolicy]] = [
    expression_valid.POLICY,
    frequency_bounds.POLICY,
    schedule_enabled.POLICY,
    target_dlq_retry.POLICY,
]
