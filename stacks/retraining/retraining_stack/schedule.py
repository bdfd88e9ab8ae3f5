"""The schedule: an EventBridge rule (UTC) or an EventBridge Scheduler schedule.

Either way the target has an explicit retry policy and the dead-letter queue
`<base>-schedule-dlq`, so an occurrence that cannot reach the orchestrator is kept and alarmed on,
never silently lost.

What the orchestrator receives for one occurrence is the orchestrator kind's choice
(`orchestrators.ScheduleTarget`); this module never branches on the kind:
- rule, no input transformer and no role (Lambda): the raw "Scheduled Event" (its `time` is the
  occurrence); the function's resource policy admits `events.amazonaws.com` for this rule only
  (`source_arn`);
- rule with the kind's input transformer and the schedule-invoker role (Step Functions:
  `{"time": <time>, "trainingInfrastructure": {...}}`, network-iam's subnet, security group and
  KMS key ids, which the definition reads with JSONPath);
- Scheduler: the kind's target `Input`, with `<aws.scheduler.scheduled-time>`; Scheduler always
  invokes with its execution role (the schedule-invoker role, whose identity policy allows
  invoking the team's orchestrators), so no resource policy on the function is involved.

The Step Functions target input embeds provider-computed ids, so it is unknown while a new
network-iam is only previewed; that keeps the state machine definition itself known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pulumi
import pulumi_aws as aws
from retraining_shared import schedule_grammar as grammar
from retraining_shared.arns import ArnBuilder, service_principal

from retraining_stack import health
from retraining_stack.config import RetrainingSettings
from retraining_stack.context import StackContext
from retraining_stack.health import AlarmSpec
from retraining_stack.names import StackNames
from retraining_stack.orchestrators import Orchestrator
from retraining_stack.queues import RETRY_MAX_ATTEMPTS, RETRY_MAX_EVENT_AGE_SECONDS

SCHEDULE_TARGET_ID = "orchestrator"


@dataclass(frozen=True)
class Schedule:
    kind: str
    name: str
    """The rule's or the schedule's name."""
    arn: str
    target_id: str | None
    """The rule target's id (rules only: Scheduler schedules have a single, unnamed target)."""
    resource: pulumi.CustomResource
    health_alarms: tuple[AlarmSpec, ...]
    """Its platform-health signal: the schedule could not invoke the orchestrator."""


def rule_arn(settings: RetrainingSettings, names: StackNames, arns: ArnBuilder) -> str | None:
    """The schedule rule, whose target dead-letters into `<base>-schedule-dlq` (None: Scheduler,
    whose execution role sends instead)."""
    return arns.events_rule(names.schedule_rule) if settings.schedule_kind == "rule" else None


def _retry_policy_args() -> dict[str, int]:
    return {
        "maximum_event_age_in_seconds": RETRY_MAX_EVENT_AGE_SECONDS,
        "maximum_retry_attempts": RETRY_MAX_ATTEMPTS,
    }


def create_schedule(
    context: StackContext, orchestrator: Orchestrator, dead_letter_queue: aws.sqs.Queue
) -> Schedule:
    # Targets name the queue by its deterministic ARN (known at preview); the dependency keeps
    # the order right.
    dead_letter = _DeadLetter(
        context.arns.sqs_queue(context.names.schedule_dead_letter_queue), dead_letter_queue
    )
    if context.settings.schedule_kind == "rule":
        return _rule(context, orchestrator, dead_letter)
    return _scheduler(context, orchestrator, dead_letter)


@dataclass(frozen=True)
class _DeadLetter:
    arn: str
    queue: aws.sqs.Queue


def _rule(context: StackContext, orchestrator: Orchestrator, dead_letter: _DeadLetter) -> Schedule:
    settings, names, arns = context.settings, context.names, context.arns
    rule_arn = arns.events_rule(names.schedule_rule)
    rule = aws.cloudwatch.EventRule(
        names.schedule_rule,
        name=names.schedule_rule,
        description=f"Retrains {settings.model} on {settings.schedule} (UTC)",
        schedule_expression=settings.schedule,
        state="ENABLED",
        tags=context.tags(),
    )
    target = orchestrator.schedule_target
    target_options = pulumi.ResourceOptions(
        parent=rule, depends_on=[orchestrator.resource, dead_letter.queue]
    )
    if not target.rule_uses_role:
        # The orchestrator's resource policy admits this rule only.
        permission = aws.lambda_.Permission(
            f"{names.schedule_rule}-invoke",
            action="lambda:InvokeFunction",
            function=orchestrator.name,
            principal=service_principal("events"),
            source_arn=rule_arn,
            source_account=arns.account_id,
            opts=pulumi.ResourceOptions(parent=rule, depends_on=[orchestrator.resource]),
        )
        target_options = target_options.merge(pulumi.ResourceOptions(depends_on=[permission]))
    aws.cloudwatch.EventTarget(
        f"{names.schedule_rule}-target",
        rule=rule.name,
        target_id=SCHEDULE_TARGET_ID,
        arn=orchestrator.arn,
        role_arn=context.upstream.schedule_invoker_role_arn if target.rule_uses_role else None,
        retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(**_retry_policy_args()),
        dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dead_letter.arn),
        input_transformer=target.rule_input_transformer,
        opts=target_options,
    )
    return Schedule(
        kind="rule",
        name=names.schedule_rule,
        arn=rule_arn,
        target_id=SCHEDULE_TARGET_ID,
        resource=rule,
        health_alarms=(
            AlarmSpec(
                "schedule-failed-invocations",
                health.describe(
                    f"the schedule rule {names.schedule_rule} could not invoke the orchestrator "
                    f"{orchestrator.name}; the occurrence waits in "
                    f"{names.schedule_dead_letter_queue}"
                ),
                "AWS/Events",
                "FailedInvocations",
                {"RuleName": names.schedule_rule},
            ),
        ),
    )


def _scheduler(
    context: StackContext, orchestrator: Orchestrator, dead_letter: _DeadLetter
) -> Schedule:
    settings, names, arns = context.settings, context.names, context.arns
    group = aws.scheduler.ScheduleGroup(
        names.schedule_group, name=names.schedule_group, tags=context.tags()
    )
    window = settings.flexible_window_minutes
    schedule = aws.scheduler.Schedule(
        names.schedule,
        name=names.schedule,
        group_name=group.name,
        description=(
            f"Retrains {settings.model} on {settings.schedule} ({settings.schedule_timezone})"
        ),
        schedule_expression=settings.schedule,
        schedule_expression_timezone=settings.schedule_timezone,
        flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(
            mode="FLEXIBLE" if window else "OFF",
            maximum_window_in_minutes=window or None,
        ),
        state="ENABLED",
        target=aws.scheduler.ScheduleTargetArgs(
            arn=orchestrator.arn,
            role_arn=context.upstream.schedule_invoker_role_arn,
            input=orchestrator.schedule_target.scheduler_input,
            retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(**_retry_policy_args()),
            dead_letter_config=aws.scheduler.ScheduleTargetDeadLetterConfigArgs(
                arn=dead_letter.arn
            ),
        ),
        opts=pulumi.ResourceOptions(
            parent=group, depends_on=[orchestrator.resource, dead_letter.queue]
        ),
    )
    return Schedule(
        kind="scheduler",
        name=names.schedule,
        arn=arns.scheduler_schedule(names.schedule, names.schedule_group),
        target_id=None,
        resource=schedule,
        health_alarms=(
            AlarmSpec(
                "schedule-failed-invocations",
                health.describe(
                    f"the schedule {names.schedule} dropped an invocation of the orchestrator "
                    f"{orchestrator.name} after its retries; the occurrence waits in "
                    f"{names.schedule_dead_letter_queue}"
                ),
                "AWS/Scheduler",
                "InvocationDroppedCount",
                {"ScheduleGroup": names.schedule_group},
            ),
        ),
    )


def next_run_times(
    settings: RetrainingSettings, after: datetime | None = None
) -> dict[str, list[str]]:
    """The next three runs as ISO timestamps: in UTC, and in the configured zone if it differs."""
    runs = grammar.next_run_times(
        settings.schedule,
        settings.schedule_kind,
        count=3,
        timezone=settings.schedule_timezone,
        after=after,
    )
    result = {"utc": [run.astimezone(grammar.UTC).isoformat() for run in runs]}
    if settings.schedule_timezone != "UTC":
        result[settings.schedule_timezone] = [run.isoformat() for run in runs]
    return result
