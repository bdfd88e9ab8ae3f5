"""sns-encryption: topics use a customer-managed KMS key."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
)


def check_sns_encryption(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    del config
    key = resource.get("kmsMasterKeyId")
    if key is None or key == "":
        yield (
            "the topic is not encrypted: set kms_master_key_id to a customer-managed KMS key "
            "whose policy lets events.amazonaws.com and cloudwatch.amazonaws.com use it"
        )
    elif isinstance(key, str) and key.lower().endswith("alias/aws/sns"):
        yield (
            "the topic uses the AWS managed key alias/aws/sns, whose policy cannot be changed: "
            "EventBridge and CloudWatch alarms cannot publish to it. Use a customer-managed key"
        )


SNS_ENCRYPTION = PolicyDoc(
    name="sns-encryption",
    family="encryption",
    description="SNS topics are encrypted with a customer-managed KMS key (not alias/aws/sns).",
    why=(
        "Failure notices carry job names, errors and data locations. The AWS managed SNS key "
        "cannot be shared with EventBridge or CloudWatch, which then fail to publish silently."
    ),
    remediation="Set kms_master_key_id to the notifications stack's customer-managed key.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    resource_types=(types.SNS_TOPIC,),
)

POLICY = RetrainingResourcePolicy(SNS_ENCRYPTION, check_sns_encryption)
