"""Cost guardrails: what a scheduled training job may use, per environment (one rule a module)."""

from __future__ import annotations

from typing import Final

from retraining_policies.cost import (
    instance_count,
    instance_hours,
    instance_type_exists,
    instance_types,
    max_runtime,
    spot_required,
)
from retraining_policies.framework import RetrainingPolicy

POLICIES: Final[list[RetrainingPolicy]] = [
    instance_type_exists.POLICY,
    instance_types.POLICY,
    instance_count.POLICY,
    max_runtime.POLICY,
    spot_required.POLICY,
    instance_hours.POLICY,
]
