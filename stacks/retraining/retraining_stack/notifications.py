"""Nothing fails silently: job outcomes and the platform's health reach the team's SNS topic.

- Job outcomes: how a job's outcome reaches the topic is the orchestrator kind's choice
  (`orchestrators.Orchestrator.job_state`). The Step Functions state machine publishes it itself;
  for the Lambda kind, the rule `<base>-job-state` forwards SageMaker "Training Job State Change"
  events of this stack's jobs (name prefix `<team>-<env>-<model>-`) in Completed, Failed and
  Stopped to the topic, rendered by the input transformer of `notification_events`
  (`job_state_notification`).
- Platform health: CloudWatch alarms `<base>-<purpose>` publish to the same topic when a part of
  the platform breaks. Each part declares its signals (`health.AlarmSpec`): the orchestrator kind
  (Lambda `Errors`, its dead-letter queue; Step Functions `ExecutionsFailed`,
  `ExecutionsTimedOut`, `ExecutionsAborted`), the schedule kind (rules: `AWS/Events`
  `FailedInvocations`; Scheduler: `AWS/Scheduler` `InvocationDroppedCount`, which Scheduler
  publishes per schedule group only, hence the stack's own group) and the schedule's
  dead-letter queue. `platform_health_alarms` builds them; their descriptions start with
  `contract.PLATFORM_HEALTH_PREFIX`.

The notifications stack's topic policy admits EventBridge rules and alarms named `<team>-<env>-*`
of this account, and its key policy lets both services use the topic's KMS key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from retraining_shared.arns import ArnBuilder

from retraining_stack import notification_events
from retraining_stack.health import AlarmSpec
from retraining_stack.names import StackNames
from retraining_stack.queues import RETRY_MAX_ATTEMPTS, RETRY_MAX_EVENT_AGE_SECONDS

NOTIFICATION_TARGET_ID = "team-topic"
ALARM_PERIOD_SECONDS = 300


@dataclass(frozen=True)
class JobStateNotification:
    rule_name: str
    target_id: str


def job_state_notification(
    names: StackNames,
    arns: ArnBuilder,
    topic_arn: str,
    dead_letter_queue: aws.sqs.Queue,
    resource_tags: Mapping[str, str],
) -> JobStateNotification:
    rule = aws.cloudwatch.EventRule(
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
        tags=dict(resource_tags),
    )
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


def platform_health_alarms(
    names: StackNames,
    specs: Sequence[AlarmSpec],
    topic_arn: str,
    resource_tags: Mapping[str, str],
) -> list[aws.cloudwatch.MetricAlarm]:
    """One alarm per signal, notifying the team topic on the first datapoint >= 1."""
    alarms = []
    for spec in specs:
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
