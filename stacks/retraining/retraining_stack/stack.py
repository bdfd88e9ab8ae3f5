"""The retraining stack: settings → upstream → queues → orchestrator → schedule → notifications.

Order matters and is deliberate: every setting is validated (one ConfigError listing every
problem), then both upstream stacks are read and checked (team onboarded, same environment,
account and region), and only then is the first resource registered.
"""

from __future__ import annotations

import pulumi
from retraining_shared.aws_context import current_aws_context

from retraining_stack import notifications, orchestrators, queues, schedule, training_spec
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
    queues.attach_policy(
        names.schedule_dead_letter_queue,
        schedule_dead_letter_queue,
        queues.schedule_dead_letter_queue_policy(
            arns.sqs_queue(names.schedule_dead_letter_queue),
            account_id=arns.account_id,
            event_rule_arns=schedule.rule_arns(settings, names, arns),
            schedule_invoker_role_arn=(
                upstream.schedule_invoker_role_arn
                if settings.schedule_kind == "scheduler"
                else None
            ),
        ),
    )
    orchestrator = orchestrators.create_orchestrator(context, spec)
    trigger = schedule.create_schedule(context, orchestrator, schedule_dead_letter_queue)
    job_state = orchestrator.job_state or notifications.job_state_notification(
        names, arns, upstream.topic_arn, schedule_dead_letter_queue, resource_tags
    )
    notifications.failure_alarms(names, orchestrator, trigger, upstream.topic_arn, resource_tags)

    # The first three exports (docs/architecture.md "Stack exports"). With Scheduler there is no
    # schedule *rule*: the names then describe the job-state notification rule and its SNS
    # target (README, "Exports").
    if trigger.kind == "rule" and trigger.target_id is not None:
        pulumi.export("event_rule_name", trigger.name)
        pulumi.export("event_target_id", trigger.target_id)
    else:
        pulumi.export("event_rule_name", job_state.rule_name)
        pulumi.export("event_target_id", job_state.target_id)
    pulumi.export("sns_topic_arn", upstream.topic_arn)
    pulumi.export("schedule_expression", settings.schedule)
    pulumi.export("schedule_kind", settings.schedule_kind)
    pulumi.export("schedule_timezone", settings.schedule_timezone)
    pulumi.export("schedule_name", trigger.name)
    pulumi.export("training_job_name_prefix", names.training_job_name_prefix)
    pulumi.export("orchestrator", settings.orchestrator)
    pulumi.export("orchestrator_arn", orchestrator.arn)
    pulumi.export("next_run_times", schedule.next_run_times(settings))
