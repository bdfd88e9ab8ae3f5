"""Operational hygiene: Step Functions logging and tracing, log retention, required tags."""

from __future__ import annotations

from typing import Final

from retraining_policies.framework import RetrainingPolicy
from retraining_policies.operations import log_retention, required_tags, sfn_logging_tracing

POLICIES: Final[list[RetrainingPolicy]] = [
    sfn_logging_tracing.POLICY,
    log_retention.POLICY,
    required_tags.POLICY,
]
