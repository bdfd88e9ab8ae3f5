"""notifications-required: every scheduled retraining routes failures to SNS."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    Finding,
    PolicyDoc,
    Resource,
    RetrainingStackPolicy,
    Stack,
    cannot_verify,
    describe,
    parse_json,
)
from retraining_policies.notifications import alarms, event_patterns, state_machines
from retraining_policies.notifications.queue_routes import reaches_topic_through_queue
from retraining_policies.notifications.routes import (
    FAMILY,
    ORCHESTRATOR_TYPES,
    SAGEMAKER_SOURCE,
    TRAINING_STATE_CHANGE,
    reaches_topic,
)
from retraining_policies.orchestrator_contract import ENV_JOB_NAME_PREFIX
from retraining_policies.schedules.expressions import schedule_of


def _job_name_prefix(stack: Stack) -> str | None:
    for function in stack.of_type(types.LAMBDA_FUNCTION):
        environment = function.get("environment")
        variables = environment.get("variables") if isinstance(environment, dict) else None
        prefix = variables.get(ENV_JOB_NAME_PREFIX) if isinstance(variables, dict) else None
        if isinstance(prefix, str) and prefix:
            return prefix
    return None


def _sample_event(status: str, prefix: str | None) -> dict[str, Any]:
    detail: dict[str, Any] = {"TrainingJobStatus": status}
    if prefix is not None:
        detail["TrainingJobName"] = f"{prefix}202601010600"
    return {
        "source": SAGEMAKER_SOURCE,
        "detail-type": TRAINING_STATE_CHANGE,
        "detail": detail,
        "account": "123456789012",
        "region": "us-east-1",
    }


def _pattern_verdict(
    pattern: Any, statuses: Sequence[str], prefix: str | None
) -> tuple[list[str], list[str], bool]:
    """(statuses matched, statuses missed, undecidable) for one event pattern."""
    matched: list[str] = []
    missed: list[str] = []
    undecidable = False
    if isinstance(pattern, dict) and prefix is None:
        # Without a known job-name prefix, the name filter cannot be exercised: judge the rest.
        detail = pattern.get("detail")
        if isinstance(detail, dict) and "TrainingJobName" in detail:
            pattern = {
                **pattern,
                "detail": {k: v for k, v in detail.items() if k != "TrainingJobName"},
            }
    for status in statuses:
        verdict = event_patterns.matches(pattern, _sample_event(status, prefix))
        if verdict is None:
            undecidable = True
        elif verdict:
            matched.append(status)
        else:
            missed.append(status)
    return matched, missed, undecidable


def check_notifications_required(stack: Stack, config: Mapping[str, Any]) -> Iterator[Finding]:
    schedules = [rule for rule in stack.of_type(types.EVENT_RULE) if schedule_of(rule)]
    schedules += stack.of_type(types.SCHEDULE)
    if not schedules:
        return
    anchor = schedules[0].urn
    statuses = list(config["requiredStatuses"])
    prefix = _job_name_prefix(stack)
    state_rules: list[Resource] = []
    notes: list[str] = []
    for rule in stack.of_type(types.EVENT_RULE):
        raw = rule.get("eventPattern")
        if raw is None:
            continue
        dead = _rule_not_live(rule)
        if dead is not None:
            notes.append(dead)
            continue
        if raw is UNKNOWN:
            notes.append(cannot_verify(f"what rule {rule.name} matches", "eventPattern"))
            continue
        pattern, problem = parse_json(raw)
        if problem is not None:
            notes.append(f"rule {rule.name} eventPattern {problem}")
            continue
        matched, missed, undecidable = _pattern_verdict(pattern, statuses, prefix)
        if not missed and not undecidable:
            state_rules.append(rule)
        elif matched:
            notes.append(
                f"rule {rule.name} matches {', '.join(matched)} but "
                f"not {', '.join(missed) or 'all statuses decidably'}"
            )
        elif undecidable:
            notes.append(
                f"rule {rule.name} uses an event-pattern operator this policy cannot evaluate"
            )
    if state_rules:
        yield from _state_rule_targets(stack, state_rules)
    elif not _orchestrators_report_outcomes(stack, schedules, notes):
        detail = f" ({'; '.join(notes)})" if notes else ""
        yield Finding(
            "the stack schedules retraining but no EventRule matches source aws.sagemaker / "
            f"detail-type '{TRAINING_STATE_CHANGE}' for {', '.join(statuses)}, and its "
            "orchestrator does not report the job's outcome itself (a state machine whose "
            "createTrainingJob.sync task publishes to SNS on success and on every failure): "
            f"failed and stopped (spot) jobs would go unnoticed{detail}",
            anchor,
        )
    for schedule in schedules:
        yield from _orchestrator_failures(stack, schedule)


def _orchestrators_report_outcomes(
    stack: Stack, schedules: list[Resource], notes: list[str]
) -> bool:
    """Whether every orchestrator the schedules invoke reports its job's outcome to SNS itself.

    Only a state machine can: it waits for the job with `createTrainingJob.sync` and publishes
    (`state_machines.job_outcomes_verdict`). A Lambda function returns once the job is created.
    """
    found = False
    for schedule in schedules:
        for owner, prop, arn in _schedule_targets(stack, schedule):
            orchestrators = _orchestrators(stack, owner, prop, arn)
            if not orchestrators:
                return False
            for orchestrator in orchestrators:
                if orchestrator.type != types.STATE_MACHINE:
                    return False
                definition, problem = parse_json(orchestrator.get("definition"))
                if problem is not None or not isinstance(definition, dict):
                    notes.append(
                        f"state machine {orchestrator.name}'s definition "
                        f"{problem or 'is not a JSON object'}"
                    )
                    return False
                reports, why_not = state_machines.job_outcomes_verdict(definition)
                if not reports:
                    notes.extend(f"state machine {orchestrator.name}: {note}" for note in why_not)
                    return False
                found = True
    return found


def _state_rule_targets(stack: Stack, state_rules: list[Resource]) -> Iterator[Finding]:
    undecided: list[Resource] = []
    for rule in state_rules:
        for target in stack.referring_to(rule, "rule", types.EVENT_TARGET):
            reaches = reaches_topic(stack, target, "arn", target.get("arn"))
            if not reaches:
                # Lambda mode: rule -> SQS FIFO queue -> function that publishes to the topic.
                through_queue = reaches_topic_through_queue(stack, target)
                if through_queue or through_queue is None:
                    reaches = through_queue
            if reaches:
                return
            if reaches is None:
                undecided.append(target)
    if undecided:
        yield Finding(
            cannot_verify("that the job-state rule targets an SNS topic", "arn"), undecided[0].urn
        )
        return
    names = ", ".join(rule.name for rule in state_rules)
    yield Finding(
        f"the SageMaker job-state rule(s) {names} have no EventTarget whose arn is an SNS "
        "topic, or an SQS queue that a Lambda function configured with an SNS topic consumes: "
        "the notifications go nowhere",
        state_rules[0].urn,
    )


def _schedule_targets(stack: Stack, schedule: Resource) -> list[tuple[Resource, str, Any]]:
    """(owner, property, arn value) of what a schedule invokes."""
    if schedule.type == types.SCHEDULE:
        target = schedule.get("target")
        arn = target.get("arn") if isinstance(target, dict) else target
        return [(schedule, "target", arn)]
    return [
        (target, "arn", target.get("arn"))
        for target in stack.referring_to(schedule, "rule", types.EVENT_TARGET)
    ]


def _orchestrators(stack: Stack, owner: Resource, prop: str, arn: Any) -> list[Resource] | None:
    """In-stack orchestrators an ARN value designates; None if it cannot be resolved."""
    found = [dep for dep in stack.dependencies_of(owner, prop) if dep.type in ORCHESTRATOR_TYPES]
    if found:
        return found
    found = stack.named_by(arn, *ORCHESTRATOR_TYPES)
    if found:
        return found
    if arn is UNKNOWN:
        return None
    return []


def _rule_not_live(rule: Resource) -> str | None:
    """Why a job-state rule can never deliver (None: it can).

    AWS services deliver their events to the default event bus only (EventBridge User Guide,
    "Events from AWS services"), and a DISABLED rule matches nothing.
    """
    bus = rule.get("eventBusName")
    if bus is UNKNOWN:
        return cannot_verify(f"that rule {rule.name} is on the default event bus", "eventBusName")
    if bus not in (None, "", "default") and not (
        isinstance(bus, str) and bus.startswith("arn:") and bus.endswith(":event-bus/default")
    ):
        return (
            f"rule {rule.name} is on event bus {describe(bus)}, but SageMaker sends its events "
            "to the default bus only"
        )
    if rule.get("state") == "DISABLED" or rule.get("isEnabled") is False:
        return f"rule {rule.name} is DISABLED"
    return None


def _orchestrator_failures(stack: Stack, schedule: Resource) -> Iterator[Finding]:
    targets = _schedule_targets(stack, schedule)
    if not targets:
        yield Finding(
            f"the schedule {schedule.name} has no target: it starts nothing", schedule.urn
        )
        return
    for owner, prop, arn in targets:
        orchestrators = _orchestrators(stack, owner, prop, arn)
        if orchestrators is None:
            yield Finding(
                cannot_verify("which orchestrator the schedule invokes", f"{prop} arn"), owner.urn
            )
            continue
        notes: list[str] = []
        if _queues_alarmed(stack, _dead_letter_queues(stack, owner, prop), notes):
            continue
        if not orchestrators:
            if not alarms.alarms_on_name(stack, arn):
                yield Finding(
                    f"the orchestrator {describe(arn)} invoked by {schedule.name} is not in this "
                    "stack and no alarm on it or on the schedule's dead-letter queue notifies SNS",
                    owner.urn,
                )
            continue
        for orchestrator in orchestrators:
            if _orchestrator_reports(stack, orchestrator, notes):
                continue
            detail = f" ({'; '.join(notes)})" if notes else ""
            yield Finding(
                f"failures of the orchestrator {orchestrator.name} do not reach SNS{detail}: add "
                "a CloudWatch alarm on its Errors (Lambda) or ExecutionsFailed/TimedOut/Aborted "
                "(Step Functions) with an SNS alarm action, an on-failure destination or "
                "dead-letter target that is the SNS topic, an alarm on a dead-letter queue, or a "
                "Catch on States.ALL in the state machine that publishes to SNS",
                orchestrator.urn,
            )


def _orchestrator_reports(stack: Stack, orchestrator: Resource, notes: list[str]) -> bool:
    """Whether some live route carries the orchestrator's failures to SNS."""
    live, alarm_notes = alarms.failure_alarms(stack, orchestrator)
    notes.extend(alarm_notes)
    if live:
        return True
    if orchestrator.type == types.STATE_MACHINE:
        definition, problem = parse_json(orchestrator.get("definition"))
        if problem is None and isinstance(definition, dict):
            complete, catch_notes = state_machines.catch_verdict(definition)
            notes.extend(catch_notes)
            return complete
        notes.append(f"its definition {problem or 'is not a JSON object'}")
        return False
    return _lambda_failure_route(stack, orchestrator, notes)


def _lambda_failure_route(stack: Stack, function: Resource, notes: list[str]) -> bool:
    """The function's asynchronous failures go to SNS, or to a queue with a live alarm.

    Lambda sends an event that failed every retry to the function's dead-letter queue
    (`deadLetterConfig.targetArn`: SQS or SNS) and to the on-failure destination of its
    event-invoke config (SQS, SNS, Lambda or EventBridge) - Lambda Developer Guide,
    "Asynchronous invocation".
    """
    routes: list[tuple[Resource, str, Any]] = []
    dead_letter = function.get("deadLetterConfig")
    if isinstance(dead_letter, dict):
        routes.append((function, "deadLetterConfig", dead_letter.get("targetArn")))
    for config in stack.referring_to(function, "functionName", types.LAMBDA_EVENT_INVOKE_CONFIG):
        destination = config.get("destinationConfig")
        on_failure = destination.get("onFailure") if isinstance(destination, dict) else None
        if isinstance(on_failure, dict):
            routes.append((config, "destinationConfig", on_failure.get("destination")))
    for owner, prop, target in routes:
        if reaches_topic(stack, owner, prop, target):
            return True
        queues = [d for d in stack.dependencies_of(owner, prop) if d.type == types.SQS_QUEUE]
        queues += stack.named_by(target, types.SQS_QUEUE)
        if _queues_alarmed(stack, queues, notes):
            return True
    return False


def _dead_letter_queues(stack: Stack, owner: Resource, prop: str) -> list[Resource]:
    key = "target" if prop == "target" else "deadLetterConfig"
    queues = [dep for dep in stack.dependencies_of(owner, key) if dep.type == types.SQS_QUEUE]
    config = owner.get("target") if prop == "target" else owner.props
    dlq = config.get("deadLetterConfig") if isinstance(config, dict) else None
    arn = dlq.get("arn") if isinstance(dlq, dict) else None
    queues += stack.named_by(arn, types.SQS_QUEUE)
    return queues


def _queues_alarmed(stack: Stack, queues: list[Resource], notes: list[str]) -> bool:
    for queue in queues:
        live, queue_notes = alarms.failure_alarms(stack, queue)
        notes.extend(queue_notes)
        if live:
            return True
    return False


NOTIFICATIONS_REQUIRED = PolicyDoc(
    name="notifications-required",
    family=FAMILY,
    description="A stack that schedules retraining routes SageMaker job "
    "Failed/Stopped outcomes (a job-state rule, or a state machine that reports them) and "
    "orchestrator failures to SNS.",
    why=(
        "Scheduled retraining fails quietly: a failed or spot-stopped job, or an orchestrator "
        "that never started one, is only noticed when the model goes stale. No generic scanner "
        "checks that every retraining path notifies someone."
    ),
    remediation=(
        "Add an EventRule on the default bus, ENABLED, with eventPattern {source: "
        "[aws.sagemaker], detail-type: [SageMaker Training Job State Change], detail: "
        "{TrainingJobStatus: [Completed, Failed, Stopped]}} and an EventTarget to the team topic "
        "(or run the job with createTrainingJob.sync in a state machine that publishes on "
        "success and catches States.ALL into a publish); "
        "alarm (actions enabled, missing data not breaching) on the orchestrator's Errors / "
        "ExecutionsFailed (or a dead-letter queue's depth) with the topic as alarm action, route "
        "Lambda's on-failure destination to the topic, or Catch States.ALL and publish."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        "requiredStatuses": {
            "type": "array",
            "items": {
                "type": "string",
                "enum": ["Completed", "Failed", "Stopped", "Stopping", "InProgress"],
            },
            "default": ["Failed", "Stopped"],
            "description": "Training job statuses the job-state rule must match.",
        }
    },
)

POLICY = RetrainingStackPolicy(NOTIFICATIONS_REQUIRED, check_notifications_required)
