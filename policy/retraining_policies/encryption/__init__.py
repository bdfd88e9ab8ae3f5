"""Encryption and resource policies of the notification path: SNS, SQS, KMS."""

from __future__ import annotations

from typing import Final

from retraining_policies.encryption import (
    resource_policy_scoped,
    sns_encryption,
    sns_publishers_allowed,
    sns_topic_policy_scoped,
    sqs_encryption,
)
from retraining_policies.framework import RetrainingPolicy

POLICIES: Final[list[RetrainingPolicy]] = [
    sns_encryption.POLICY,
    sqs_encryption.POLICY,
    sns_topic_policy_scoped.POLICY,
    resource_policy_scoped.POLICY,
    sns_publishers_allowed.POLICY,
]
