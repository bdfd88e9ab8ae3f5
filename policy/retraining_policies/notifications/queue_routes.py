"""A job-state rule that reaches the team topic through a queue and a function (Lambda mode).

SageMaker may send several events per state change, so the retraining stack's Lambda mode routes
the job-state rule to an SQS FIFO queue (content-based deduplication); an event source mapping
hands each record to the orchestrator function, which publishes the one outcome message to the
topic named by its `NOTIFICATION_TOPIC_ARN` variable. That route reaches SNS as surely as a direct
rule -> topic target.
"""

from __future__ import annotations

from typing import Any

from retraining_policies import resource_types as types
from retraining_policies.framework import Resource, Stack
from retraining_policies.notifications.routes import reaches_topic
from retraining_policies.orchestrator_contract import ENV_TOPIC_ARN


def _designated(stack: Stack, owner: Resource, prop: str, type_: str) -> list[Resource]:
    found = [dep for dep in stack.dependencies_of(owner, prop) if dep.type == type_]
    return found or stack.named_by(owner.get(prop), type_)


def _publishing_topic(function: Resource) -> Any:
    environment = function.get("environment")
    variables = environment.get("variables") if isinstance(environment, dict) else None
    return variables.get(ENV_TOPIC_ARN) if isinstance(variables, dict) else None


def reaches_topic_through_queue(stack: Stack, target: Resource) -> bool | None:
    """Whether an EventTarget's queue is consumed by a function that publishes to SNS: True,
    False, or None (the function's topic variable is unknown at preview)."""
    undecided = False
    for queue in _designated(stack, target, "arn", types.SQS_QUEUE):
        for mapping in stack.referring_to(
            queue, "eventSourceArn", types.LAMBDA_EVENT_SOURCE_MAPPING
        ):
            if mapping.get("enabled") is False:
                continue
            for function in _designated(stack, mapping, "functionName", types.LAMBDA_FUNCTION):
                reaches = reaches_topic(stack, function, "environment", _publishing_topic(function))
                if reaches:
                    return True
                undecided = undecided or reaches is None
    return None if undecided else False
