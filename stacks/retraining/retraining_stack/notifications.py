"""Nothing fails silently: job outcomes and the platform's health reach the team's SNS topic.

- Job outcomes: how a job's outcome reaches the topic is the orchestrator kind's choice
  (`orchestrators.Orchestrator.job_state`). The Step Functions state machine publishes it itself;
  for the Lambda kind, the rule `<base>-job-state` carries SageMaker "Training Job State Change"
  events of this stack's jobs through a FIFO queue to the function, which publishes one message
  (`job_state_queue`).
- Platform health: CloudWatch alarms `<base>-<purpose>` publish to the same topic when a part of
  the platform breaks. Each part declares its signals (`health.AlarmSpec`): the orchestrator kind
  (Lambda `Errors`, its dead-letter queue; Step Functions `ExecutionsFailed`,
  `ExecutionsTimedOut`, `ExecutionsAborted`), the schedule kind (rules: `AWS/Events`
  `FailedInvocations`; Scheduler: `AWS/Scheduler` `InvocationDroppedCount`, which Scheduler
  publishes per schedule group only, hence the stack's own group) and the schedule's
  dead-letter queue. `platform_health_alarms` builds them; their descriptions start with
  `contract.PLATFORM_HEALTH_PREFIX`.

The notifications stack's topic policy admits alarms named `<team>-<env>-*` of this account, and
its key policy lets CloudWatch use the topic's KMS key for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi_aws as aws

from retraining_stack.health import AlarmSpec
from retraining_stack.names import StackNames

ALARM_PERIOD_SECONDS = 300


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
