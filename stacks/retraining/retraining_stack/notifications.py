"""Nothing fails silently: job outcomes and every orchestrator failure reach the team's SNS topic.

- The rule `<base>-job-state` forwards SageMaker "Training Job State Change" events of this
  stack's jobs (name prefix `<team>-<env>-<model>-`) in Completed, Failed and Stopped to the
  topic, rendered by the input transformer of `notification_events`.
- CloudWatch alarms `<base>-<purpose>` publish to the same topic when the orchestrator errs
  (Lambda `Errors`; Step Functions `ExecutionsFailed`, `ExecutionsTimedOut`, `ExecutionsAborted`),
  when a dead-letter queue holds a message, and when the schedule fails to invoke its target
  (rules: `AWS/Events` `FailedInvocations`; Scheduler: `AWS/Scheduler` `InvocationDroppedCount`,
  which Scheduler publishes per schedule group only, hence the stack's own group).

The notifications stack's topic policy admits EventBridge rules and alarms named `<team>-<env>-*`
of this account, and its key policy lets both services use the topic's KMS key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from retraining_shared.arns import ArnBuilder

from retraining_stack import job_state_queue, notification_events
from retraining_stack.names import StackNames
from retraining_stack.orchestrators import Orchestrator
from retraining_stack.schedule import (
    RETRY_MAX_ATTEMPTS,
    RETRY_MAX_EVENT_AGE_SECONDS,
    Schedule,
)

NOTIFICATION_TARGET_ID = "team-topic"
ALARM_PERIOD_SECONDS = 300


@dataclass(frozen=True)
class JobStateNotification:
    rule_name: str
    target_id: str


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: any datapoint ≥ 1 in five minutes notifies (these metrics should be 0)."""

    purpose: str
    description: str
    namespace: str
    metric_name: str
    dimensions: Mapping[str, str]
    statistic: str = "Sum"


def job_state_notification(
    names: StackNames,
    arns: ArnBuilder,
    topic_arn: str,
    dead_letter_queue: aws.sqs.Queue,
    resource_tags: Mapping[str, str],
) -> JobStateNotification:
    rule = job_state_queue.job_state_rule(names, resource_tags)
    paths, template = notification_events.job_state_input_transformer(arns.partition)
    aws.cloudwatch.EventTarget(
        f"{names.job_state_rule}-target",
        rule=rule.name,
        target_id=NOTIFICATION_TARGET_ID,
        arn=topic_arn,
        input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
            input_paths=paths, input_template=template
        ),
        retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
            maximum_event_age_in_seconds=RETRY_MAX_EVENT_AGE_SECONDS,
            maximum_retry_attempts=RETRY_MAX_ATTEMPTS,
        ),
        dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(
            arn=arns.sqs_queue(names.schedule_dead_letter_queue)
        ),
        opts=pulumi.ResourceOptions(parent=rule, depends_on=[dead_letter_queue]),
    )
    return JobStateNotification(rule_name=names.job_state_rule, target_id=NOTIFICATION_TARGET_ID)


def alarm_specs(
    names: StackNames, orchestrator: Orchestrator, schedule: Schedule
) -> list[AlarmSpec]:
    """Every failure signal of this stack's retraining path."""
    specs: list[AlarmSpec] = []
    if orchestrator.kind == "lambda":
        specs.append(
            AlarmSpec(
                "orchestrator-errors",
                f"The orchestrator {orchestrator.name} failed to start a training job",
                "AWS/Lambda",
                "Errors",
                {"FunctionName": orchestrator.name},
            )
        )
    else:
        for metric, what in (
            ("ExecutionsFailed", "failed"),
            ("ExecutionsTimedOut", "timed out"),
            ("ExecutionsAborted", "was aborted"),
        ):
            purpose = "orchestrator-" + metric.removeprefix("Executions").lower()
            specs.append(
                AlarmSpec(
                    purpose,
                    f"A retraining execution of {orchestrator.name} {what}",
                    "AWS/States",
                    metric,
                    {"StateMachineArn": orchestrator.arn},
                )
            )
    queues = [names.schedule_dead_letter_queue]
    if orchestrator.failure_queue is not None:
        queues.append(names.orchestrator_dead_letter_queue)
    for queue in queues:
        specs.append(
            AlarmSpec(
                f"{queue.removeprefix(names.base + '-')}-messages",
                f"{queue} holds scheduled occurrences or notifications that were not delivered",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": queue},
                statistic="Maximum",
            )
        )
    if schedule.kind == "rule":
        specs.append(
            AlarmSpec(
                "schedule-failed-invocations",
                f"The rule {schedule.name} could not invoke the orchestrator",
                "AWS/Events",
                "FailedInvocations",
                {"RuleName": schedule.name},
            )
        )
    else:
        specs.append(
            AlarmSpec(
                "schedule-failed-invocations",
                f"The schedule {schedule.name} dropped an invocation of the orchestrator",
                "AWS/Scheduler",
                "InvocationDroppedCount",
                {"ScheduleGroup": names.schedule_group},
            )
        )
    return specs


def failure_alarms(
    names: StackNames,
    orchestrator: Orchestrator,
    schedule: Schedule,
    topic_arn: str,
    resource_tags: Mapping[str, str],
) -> list[aws.cloudwatch.MetricAlarm]:
    alarms = []
    for spec in alarm_specs(names, orchestrator, schedule):
        name = names.alarm(spec.purpose)
        alarms.append(
            aws.cloudwatch.MetricAlarm(
                name,
                name=name,
                alarm_description=spec.description,
                namespace=spec.namespace,
                metric_name=spec.metric_name,
                dimensions=dict(spec.dimensions),
                statistic=spec.statistic,
                period=ALARM_PERIOD_SECONDS,
                evaluation_periods=1,
                threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                # No datapoint means nothing failed (these metrics are sparse).
                treat_missing_data="notBreaching",
                alarm_actions=[topic_arn],
                tags=dict(resource_tags),
            )
        )
    return alarms
