"""sqs-encryption: queues (dead-letter queues included) are encrypted at rest."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
)


def check_sqs_encryption(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    del config
    key = resource.get("kmsMasterKeyId")
    managed = resource.get("sqsManagedSseEnabled")
    if (key is None or key == "") and managed is not True and managed is not UNKNOWN:
        yield (
            "the queue is not encrypted explicitly: set sqs_managed_sse_enabled=True (works "
            "with EventBridge and Scheduler dead-letter delivery) or kms_master_key_id"
        )


SQS_ENCRYPTION = PolicyDoc(
    name="sqs-encryption",
    family="encryption",
    description="SQS queues (dead-letter queues included) are encrypted at rest.",
    why="Dead-lettered events hold the scheduled input; "
    "encryption at rest is the baseline (cdk-nag SQS2/3).",
    remediation="Set sqs_managed_sse_enabled=True, or "
    "kms_master_key_id to a key the sender may use.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    resource_types=(types.SQS_QUEUE,),
)

POLICY = RetrainingResourcePolicy(SQS_ENCRYPTION, check_sqs_encryption)
