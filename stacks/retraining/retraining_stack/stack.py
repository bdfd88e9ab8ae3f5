"""The retraining stack: settings → upstream → queue → orchestrator → schedule → health alarms.

Order matters and is deliberate: every setting is validated (one ConfigError listing every
problem), then both upstream stacks are read and checked (team onboarded, same environment,
account and region), and only then is the first resource registered.
"""

from __future__ import annotations

import pulumi
from retraining_shared.aws_context import current_aws_context

from retraining_stack import (
    health,
    model_registry,
    notifications,
    orchestrators,
    queues,
    schedule,
    training_spec,
)
from retraining_stack.config import RetrainingSettings
from retraining_stack.context import StackContext
from retraining_stack.names import StackNames
from retraining_stack.upstream import read_upstream


def build(settings: RetrainingSettings) -> None:
    names = StackNames(settings.team, settings.model, settings.environment)
    arns = current_aws_context().arns
    upstream = read_upstream(settings, arns)
    resource_tags = training_spec.training_tags(
        team=settings.team, model=settings.model, environment=settings.environment
    )
    spec = training_spec.render_training_spec(
        settings.training,
        model=settings.model,
        targets=upstream.targets,
        resource_tags=resource_tags,
    )

    context = StackContext(settings, names, arns, upstream, resource_tags)

    schedule_dead_letter_queue = queues.dead_letter_queue(
        names.schedule_dead_letter_queue, resource_tags
    )
    orchestrator = orchestrators.create_orchestrator(context, spec, schedule_dead_letter_queue)
    trigger = schedule.create_schedule(context, orchestrator, schedule_dead_letter_queue)
    # The rules whose targets dead-letter into the queue: the schedule rule and the
    # orchestrator kind's job-state rule, each only if it exists.
    dead_lettering_rules = [
        arn
        for arn in (
            schedule.rule_arn(settings, names, arns),
            orchestrator.job_state.rule_arn if orchestrator.job_state else None,
        )
        if arn is not None
    ]
    queues.attach_policy(
        names.schedule_dead_letter_queue,
        schedule_dead_letter_queue,
        queues.schedule_dead_letter_queue_policy(
            arns.sqs_queue(names.schedule_dead_letter_queue),
            account_id=arns.account_id,
            event_rule_arns=dead_lettering_rules,
            schedule_invoker_role_arn=(
                upstream.schedule_invoker_role_arn
                if settings.schedule_kind == "scheduler"
                else None
            ),
        ),
    )
    notifications.platform_health_alarms(
        names,
        [
            *orchestrator.health_alarms,
            *trigger.health_alarms,
            health.dead_letter_queue_alarm(
                "schedule-dlq-messages",
                names.schedule_dead_letter_queue,
                "scheduled occurrences or job-state notifications",
            ),
        ],
        upstream.topic_arn,
        resource_tags,
    )

    # The first three exports (docs/architecture.md "Stack exports"): the schedule rule and its
    # target; with Scheduler there is no schedule *rule*: then the orchestrator kind's job-state
    # rule and its SNS target, and None when there is no rule at all (Scheduler + Step Functions:
    # the state machine reports itself) (README, "Exports").
    if trigger.kind == "rule" and trigger.target_id is not None:
        pulumi.export("event_rule_name", trigger.name)
        pulumi.export("event_target_id", trigger.target_id)
    elif orchestrator.job_state is not None:
        pulumi.export("event_rule_name", orchestrator.job_state.rule_name)
        pulumi.export("event_target_id", orchestrator.job_state.target_id)
    else:
        pulumi.export("event_rule_name", None)
        pulumi.export("event_target_id", None)
    pulumi.export("sns_topic_arn", upstream.topic_arn)
    pulumi.export("schedule_expression", settings.schedule)
    pulumi.export("schedule_kind", settings.schedule_kind)
    pulumi.export("schedule_timezone", settings.schedule_timezone)
    pulumi.export("schedule_name", trigger.name)
    pulumi.export("training_job_name_prefix", names.training_job_name_prefix)
    pulumi.export("orchestrator", settings.orchestrator)
    pulumi.export("orchestrator_arn", orchestrator.arn)
    pulumi.export("next_run_times", schedule.next_run_times(settings))
    # The quality gate (issue 12): the group exists only with a gate; the summary says either way.
    registry = model_registry.create_model_registry(context)
    pulumi.export("model_package_group_name", registry.group_name if registry else "")
    pulumi.export(
        "quality_gate",
        model_registry.gate_summary(settings.quality_gate, names.model_package_group),
    )
