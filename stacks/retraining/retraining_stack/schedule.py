"""The schedule: an EventBridge rule (UTC) or an EventBridge Scheduler schedule.

Either way the target has an explicit retry policy and the dead-letter queue
`<base>-schedule-dlq`, so an occurrence that cannot reach the orchestrator is kept and alarmed on,
never silently lost.

What the orchestrator receives for one occurrence:
- rule → Lambda: the raw "Scheduled Event" (its `time` is the occurrence); the function's
  resource policy admits `events.amazonaws.com` for this rule only (`source_arn`);
- rule → Step Functions: an input transformer producing `{"time": <time>,
  "trainingInfrastructure": {...}}` (network-iam's subnet, security group and KMS key ids, which
  the definition reads with JSONPath); EventBridge starts the execution with the schedule-invoker
  role;
- Scheduler → either: the target `Input` the orchestrator documents, with
  `<aws.scheduler.scheduled-time>` (and, for Step Functions, `trainingInfrastructure`); Scheduler
  always invokes with its execution role (the schedule-invoker role, whose identity policy allows
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

from retraining_stack import lambda_function as lambda_handler
from retraining_stack import state_machine
from retraining_stack.config import RetrainingSettings
from retraining_stack.context import StackContext
from retraining_stack.names import StackNames
from retraining_stack.orchestrators import Orchestrator, training_infrastructure

# A retraining that starts an hour late is still useful; one that starts a day late collides with
# the next occurrence. After this the event goes to the dead-letter queue (and its alarm).
RETRY_MAX_EVENT_AGE_SECONDS = 3600
RETRY_MAX_ATTEMPTS = 5
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


def rule_arns(settings: RetrainingSettings, names: StackNames, arns: ArnBuilder) -> list[str]:
    """The EventBridge rules whose targets dead-letter into `<base>-schedule-dlq`."""
    rules = [arns.events_rule(names.job_state_rule)]
    if settings.schedule_kind == "rule":
        rules.append(arns.events_rule(names.schedule_rule))
    return rules


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
    target_options = pulumi.ResourceOptions(
        parent=rule, depends_on=[orchestrator.resource, dead_letter.queue]
    )
    if orchestrator.kind == "lambda":
        permission = aws.lambda_.Permission(
            f"{names.schedule_rule}-invoke",
            action="lambda:InvokeFunction",
            function=orchestrator.name,
            principal=service_principal("events"),
            source_arn=rule_arn,
            source_account=arns.account_id,
            opts=pulumi.ResourceOptions(parent=rule, depends_on=[orchestrator.resource]),
        )
        aws.cloudwatch.EventTarget(
            f"{names.schedule_rule}-target",
            rule=rule.name,
            target_id=SCHEDULE_TARGET_ID,
            arn=orchestrator.arn,
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(**_retry_policy_args()),
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dead_letter.arn),
            opts=target_options.merge(pulumi.ResourceOptions(depends_on=[permission])),
        )
    else:
        template = training_infrastructure(context.upstream).apply(
            state_machine.rule_target_input_template
        )
        aws.cloudwatch.EventTarget(
            f"{names.schedule_rule}-target",
            rule=rule.name,
            target_id=SCHEDULE_TARGET_ID,
            arn=orchestrator.arn,
            role_arn=context.upstream.schedule_invoker_role_arn,
            input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                input_paths=dict(state_machine.RULE_TARGET_INPUT_PATHS), input_template=template
            ),
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(**_retry_policy_args()),
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dead_letter.arn),
            opts=target_options,
        )
    return Schedule(
        kind="rule",
        name=names.schedule_rule,
        arn=rule_arn,
        target_id=SCHEDULE_TARGET_ID,
        resource=rule,
    )


def _scheduler(
    context: StackContext, orchestrator: Orchestrator, dead_letter: _DeadLetter
) -> Schedule:
    settings, names, arns = context.settings, context.names, context.arns
    group = aws.scheduler.ScheduleGroup(
        names.schedule_group, name=names.schedule_group, tags=context.tags()
    )
    target_input: pulumi.Input[str] = (
        lambda_handler.scheduler_target_input()
        if orchestrator.kind == "lambda"
        else training_infrastructure(context.upstream).apply(state_machine.scheduler_target_input)
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
            input=target_input,
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
