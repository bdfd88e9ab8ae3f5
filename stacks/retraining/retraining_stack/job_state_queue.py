"""Lambda mode: how a training job's end reaches the orchestrator function, once.

SageMaker "may send multiple events to EventBridge for each state change" ("Events that Amazon
SageMaker AI sends to Amazon EventBridge"), so a rule -> SNS route would repeat outcome messages.
Instead:

    rule <base>-job-state (this stack's jobs, Completed/Failed/Stopped)
      -> SQS FIFO queue <base>-job-state.fifo, content-based deduplication
      -> event source mapping (batch size 1) -> the orchestrator function -> ONE message

- The target's InputTransformer renders `contract.REPORT_KEYS` only: no event id, no time, so the
  duplicates of one state change have identical bodies, and SQS "uses a SHA-256 hash to generate
  the MessageDeduplicationId using the body of the message"; messages with the same id within
  "the 5-minute deduplication interval" are accepted but not delivered (SQS API reference,
  SendMessage, MessageDeduplicationId). A duplicate arriving later is caught by the handler's
  reported-outcome tag.
- `SqsParameters.MessageGroupId` ("The ID of the message group to use as the target", EventBridge
  API reference, SqsParameters; required for FIFO targets) is one fixed value per stack: Lambda
  processes one batch of a message group at a time ("Using Lambda with Amazon SQS", FIFO queues),
  so two reports of one job never run concurrently (no race on the tag).
- Visibility timeout six times the function timeout ("Creating and configuring an Amazon SQS event
  source mapping": at least six times, and Lambda refuses a function timeout above it).
- A record the function fails on `MAX_RECEIVE_COUNT` times goes to the FIFO dead-letter queue
  (a FIFO queue's dead-letter queue must be FIFO too); its alarm is platform health.
- The queue policy admits EventBridge for this rule only (`aws:SourceArn`, `aws:SourceAccount`:
  "Using resource-based policies for Amazon EventBridge", Amazon SQS permissions). Both queues
  are SSE-SQS encrypted (no key policy to manage).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws
from retraining_shared import iam
from retraining_shared.arns import service_principal

from retraining_stack import notification_events, queues
from retraining_stack.context import StackContext
from retraining_stack.lambda_function import FUNCTION_TIMEOUT_SECONDS
from retraining_stack.names import StackNames

TARGET_ID: Final = "job-state-queue"
VISIBILITY_TIMEOUT_SECONDS: Final = 6 * FUNCTION_TIMEOUT_SECONDS
MAX_RECEIVE_COUNT: Final = 5
INPUT_PATHS: Final[Mapping[str, str]] = {
    "job": "$.detail.TrainingJobName",
    "jobArn": "$.detail.TrainingJobArn",
    "status": "$.detail.TrainingJobStatus",
    "secondaryStatus": "$.detail.SecondaryStatus",
    "failureReason": "$.detail.FailureReason",
}
# Only names, ARNs and statuses (never a quote) go inside quoted strings: EventBridge inserts
# values there unescaped. FailureReason (free text) is a JSON value, which EventBridge escapes,
# in a list: on Completed/Stopped events its path is missing and the variable is omitted.
INPUT_TEMPLATE: Final = (
    '{"trainingJobName": "<job>", "trainingJobArn": "<jobArn>", "status": "<status>", '
    '"secondaryStatus": "<secondaryStatus>", "failureReason": [<failureReason>]}'
)


@dataclass(frozen=True)
class JobStateRoute:
    """The rule and target that carry job-state events to the function: the Lambda kind's
    `Orchestrator.job_state` (the stack exports their names)."""

    rule_name: str
    rule_arn: str
    """Its target dead-letters into `<base>-schedule-dlq`, whose policy admits the rule."""
    target_id: str


def queue_policy(queue_arn: str, *, rule_arn: str, account_id: str) -> iam.PolicyDocument:
    return iam.policy_document(
        [
            iam.resource_statement(
                "JobStateRuleSendsReports",
                principal={"Service": service_principal("events")},
                actions=[queues.SEND_MESSAGE],
                resources=[queue_arn],
                conditions={
                    "ArnEquals": {"aws:SourceArn": rule_arn},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            )
        ]
    )


def _fifo_queue(
    name: str,
    tags: Mapping[str, str],
    *,
    deduplicate: bool = False,
    visibility_timeout_seconds: int | None = None,
    redrive_policy: str | None = None,
    depends_on: list[pulumi.Resource] | None = None,
) -> aws.sqs.Queue:
    return queues.encrypted_queue(
        name,
        tags,
        fifo_queue=True,
        content_based_deduplication=deduplicate,
        visibility_timeout_seconds=visibility_timeout_seconds,
        redrive_policy=redrive_policy,
        opts=pulumi.ResourceOptions(depends_on=depends_on),
    )


def job_state_rule(names: StackNames, tags: Mapping[str, str]) -> aws.cloudwatch.EventRule:
    """`<base>-job-state`: this stack's training jobs reaching Completed, Failed or Stopped."""
    return aws.cloudwatch.EventRule(
        names.job_state_rule,
        name=names.job_state_rule,
        description=(
            f"Training jobs {names.training_job_name_prefix}* that completed, failed or stopped"
        ),
        event_pattern=json.dumps(
            notification_events.job_state_event_pattern(names.training_job_name_prefix),
            sort_keys=True,
        ),
        state="ENABLED",
        tags=dict(tags),
    )


def job_state_reports(
    context: StackContext,
    function: aws.lambda_.Function,
    schedule_dead_letter_queue: aws.sqs.Queue,
) -> JobStateRoute:
    """The rule, the FIFO queue (+ DLQ and policy) and the event source mapping. The DLQ's alarm
    is one of the Lambda kind's health alarms (`orchestrators.lambda_orchestrator`)."""
    names, arns = context.names, context.arns
    dead_letter_arn = arns.sqs_queue(names.job_state_dead_letter_queue)
    queue_arn = arns.sqs_queue(names.job_state_queue)
    rule_arn = arns.events_rule(names.job_state_rule)
    dead_letter = _fifo_queue(names.job_state_dead_letter_queue, context.resource_tags)
    queue = _fifo_queue(
        names.job_state_queue,
        context.resource_tags,
        deduplicate=True,
        visibility_timeout_seconds=VISIBILITY_TIMEOUT_SECONDS,
        redrive_policy=json.dumps(
            {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
        ),
        depends_on=[dead_letter],
    )
    queues.attach_policy(
        names.job_state_queue,
        queue,
        queue_policy(queue_arn, rule_arn=rule_arn, account_id=arns.account_id),
    )
    rule = job_state_rule(names, context.resource_tags)
    aws.cloudwatch.EventTarget(
        f"{names.job_state_rule}-target",
        rule=rule.name,
        target_id=TARGET_ID,
        arn=queue_arn,
        sqs_target=aws.cloudwatch.EventTargetSqsTargetArgs(message_group_id=names.base),
        input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
            input_paths=dict(INPUT_PATHS), input_template=INPUT_TEMPLATE
        ),
        # Undeliverable events (after EventBridge's default retries, 24 hours) are kept.
        dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(
            arn=arns.sqs_queue(names.schedule_dead_letter_queue)
        ),
        opts=pulumi.ResourceOptions(parent=rule, depends_on=[queue, schedule_dead_letter_queue]),
    )
    aws.lambda_.EventSourceMapping(
        f"{names.job_state_queue.removesuffix('.fifo')}-mapping",
        event_source_arn=queue_arn,
        # The deterministic ARN (known at preview, for the policy pack); the dependency orders it.
        function_name=arns.lambda_function(names.function),
        batch_size=1,
        opts=pulumi.ResourceOptions(depends_on=[queue, function]),
    )
    return JobStateRoute(rule_name=names.job_state_rule, rule_arn=rule_arn, target_id=TARGET_ID)
