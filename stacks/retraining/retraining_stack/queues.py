"""Dead-letter queues: where a scheduled occurrence goes when it could not start a training job.

- `<base>-schedule-dlq`: events the schedule could not deliver to the orchestrator after its
  retry policy (and job-state notifications EventBridge could not deliver to SNS);
- `<base>-orchestrator-dlq` (Lambda path): asynchronous invocations the function failed on after
  Lambda's own retries (the on-failure destination).

Both are SSE-SQS encrypted (EventBridge cannot deliver to a queue encrypted with the AWS-managed
`aws/sqs` KMS key, and SSE-SQS needs no key policy) and keep messages 14 days, SQS's maximum, so a
failure found on Monday is still there. Each queue policy admits exactly the sender that needs it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
from retraining_shared import iam
from retraining_shared.arns import service_principal

MESSAGE_RETENTION_SECONDS = 14 * 24 * 3600
SEND_MESSAGE = "sqs:SendMessage"

# The retry policy of every EventBridge target and Scheduler schedule before its dead-letter
# queue. A retraining that starts an hour late is still useful; one that starts a day late
# collides with the next occurrence. After this the event goes to the dead-letter queue (and its
# alarm).
RETRY_MAX_EVENT_AGE_SECONDS = 3600
RETRY_MAX_ATTEMPTS = 5


def encrypted_queue(
    name: str,
    resource_tags: Mapping[str, str],
    *,
    opts: pulumi.ResourceOptions | None = None,
    **properties: Any,
) -> aws.sqs.Queue:
    """Every queue of the stack: SSE-SQS, 14 days of retention and the stack's tags (see above),
    plus the queue's own `properties`."""
    return aws.sqs.Queue(
        name,
        name=name,
        sqs_managed_sse_enabled=True,
        message_retention_seconds=MESSAGE_RETENTION_SECONDS,
        tags=dict(resource_tags),
        opts=opts,
        **properties,
    )


def dead_letter_queue(name: str, resource_tags: Mapping[str, str]) -> aws.sqs.Queue:
    return encrypted_queue(name, resource_tags)


def schedule_dead_letter_queue_policy(
    queue_arn: str,
    *,
    account_id: str,
    event_rule_arns: Sequence[str],
    schedule_invoker_role_arn: str | None,
) -> iam.PolicyDocument:
    """EventBridge may dead-letter for these rules only; Scheduler sends as its execution role.

    EventBridge rules deliver dead letters as `events.amazonaws.com` and set `aws:SourceArn` to
    the rule. EventBridge Scheduler delivers them with the schedule's execution role (AWS
    Scheduler user guide, "Configuring a dead-letter queue"), so that role is the principal; a
    role session carries no `aws:SourceArn` to condition on.
    """
    statements = []
    if event_rule_arns:  # none with Scheduler and an orchestrator that reports itself
        statements.append(
            iam.resource_statement(
                "EventBridgeRulesDeadLetter",
                principal={"Service": service_principal("events")},
                actions=[SEND_MESSAGE],
                resources=[queue_arn],
                conditions={
                    "ArnEquals": {"aws:SourceArn": sorted(event_rule_arns)},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            )
        )
    if schedule_invoker_role_arn is not None:
        statements.append(
            iam.resource_statement(
                "SchedulerExecutionRoleDeadLetter",
                principal={"AWS": schedule_invoker_role_arn},
                actions=[SEND_MESSAGE],
                resources=[queue_arn],
            )
        )
    return iam.policy_document(statements)


def orchestrator_dead_letter_queue_policy(
    queue_arn: str, *, lambda_role_arn: str
) -> iam.PolicyDocument:
    """Lambda delivers the on-failure destination with the function's execution role."""
    return iam.policy_document(
        [
            iam.resource_statement(
                "OrchestratorFailedInvocations",
                principal={"AWS": lambda_role_arn},
                actions=[SEND_MESSAGE],
                resources=[queue_arn],
            )
        ]
    )


def attach_policy(name: str, queue: aws.sqs.Queue, document: iam.PolicyDocument) -> None:
    aws.sqs.QueuePolicy(
        f"{name}-policy",
        queue_url=queue.url,
        policy=iam.to_json(document),
        opts=pulumi.ResourceOptions(parent=queue),
    )
