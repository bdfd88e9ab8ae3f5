"""The SageMaker Model Registry: only gated models are registered, in the team's own groups."""

from __future__ import annotations

from typing import Final

from retraining_policies.framework import RetrainingPolicy
from retraining_policies.registry import group_gated, group_name_prefixed

POLICIES: Final[list[RetrainingPolicy]] = [
    group_gated.POLICY,
    group_name_prefixed.POLICY,
]
