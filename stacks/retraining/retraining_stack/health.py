"""Platform-health signals: what an alarm watches and what it says broke.

An alarm is never a job's outcome (the orchestrator sends exactly one message per occurrence for
that): it reports that a part of the retraining platform itself broke, an orchestrator that
errs, a dead-letter queue that holds what could not be delivered, a schedule that cannot invoke
its target. Every description therefore starts with `contract.PLATFORM_HEALTH_PREFIX` and names
the part and what to look at. Each part declares its own signals (the orchestrator kind, the
schedule kind, the dead-letter queues); `notifications.platform_health_alarms` builds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from retraining_stack.lambda_function import contract


def describe(what_broke: str) -> str:
    """An AlarmDescription: the platform-health prefix, then what broke."""
    return f"{contract.PLATFORM_HEALTH_PREFIX}: {what_broke}"


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: any datapoint >= 1 in five minutes notifies (these metrics should be 0)."""

    purpose: str
    description: str
    """Starts with `contract.PLATFORM_HEALTH_PREFIX` (built by `describe`)."""
    namespace: str
    metric_name: str
    dimensions: Mapping[str, str]
    statistic: str = "Sum"


def dead_letter_queue_alarm(purpose: str, queue_name: str, what_lands_there: str) -> AlarmSpec:
    """A dead-letter queue that holds a message: something could not be delivered."""
    return AlarmSpec(
        purpose,
        describe(
            f"the dead-letter queue {queue_name} holds {what_lands_there} that could not be "
            "delivered; read the message, fix the cause, then redrive or delete it"
        ),
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": queue_name},
        statistic="Maximum",
    )
