"""SageMaker training hardening, read from wherever the training spec lives."""

from __future__ import annotations

from typing import Final

from retraining_policies.framework import RetrainingPolicy
from retraining_policies.training import sagemaker_training_hardened

POLICIES: Final[list[RetrainingPolicy]] = [
    sagemaker_training_hardened.POLICY,
]
