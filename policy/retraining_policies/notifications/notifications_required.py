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
    as_list,
    cannot_verify,
    describe,
    parse_json,
    value_names,
)
from retraining_policies.notifications import event_patterns
from retraining_policies.notifications.routes import (
    FAMILY,
    MAX_STEPS,
    ORCHESTRATOR_TYPES,
    SAGEMAKER_SOURCE,
    TRAINING_STATE_CHANGE,
    is_sns_arn,
    reaches_topic,
)
from retraining_policies.schedules.expressions import schedule_of


def _job_name_prefix(stack: Stack) -> str | None:
    for function in stack.of_type(types.LAMBDA_FUNCTION):
        environment = function.get("environment")
        variables = environment.get("variables") if isinstance(environment, dict) else None
        prefix = variables.get("TRAINING_JOB_NAME_PREFIX") if isinstance(variables, dict) else None
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
    if not state_rules:
        detail = f" ({'; '.join(notes)})" if notes else ""
        yield Finding(
            "the stack schedules retraining but no EventRule matches source aws.sagemaker / "
            f"detail-type '{TRAINING_STATE_CHANGE}' for {', '.join(statuses)}: failed and "
            f"stopped (spot) jobs would go unnoticed{detail}",
            anchor,
        )
    else:
        yield from _state_rule_targets(stack, state_rules)
    for schedule in schedules:
        yield from _orchestrator_failures(stack, schedule)


def _state_rule_targets(stack: Stack, state_rules: list[Resource]) -> Iterator[Finding]:
    undecided: list[Resource] = []
    for rule in state_rules:
        for target in stack.of_type(types.EVENT_TARGET):
            if not stack.refers_to(target, "rule", rule):
                continue
            reaches = reaches_topic(stack, target, "arn", target.get("arn"))
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
        "topic: the notifications go nowhere",
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
        for target in stack.of_type(types.EVENT_TARGET)
        if stack.refers_to(target, "rule", schedule)
    ]


def _orchestrators(stack: Stack, owner: Resource, prop: str, arn: Any) -> list[Resource] | None:
    """In-stack orchestrators an ARN value designates; None if it cannot be resolved."""
    found = [dep for dep in stack.dependencies_of(owner, prop) if dep.type in ORCHESTRATOR_TYPES]
    if found:
        return found
    candidates = stack.of_type(*ORCHESTRATOR_TYPES)
    found = [candidate for candidate in candidates if value_names(arn, candidate)]
    if found:
        return found
    if arn is UNKNOWN:
        return None
    return []


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
        dead_letter_queues = _dead_letter_queues(stack, owner, prop)
        if _dlq_alarmed(stack, dead_letter_queues):
            continue
        if not orchestrators:
            if not _any_orchestrator_alarm(stack, arn):
                yield Finding(
                    f"the orchestrator {describe(arn)} invoked by {schedule.name} is not in this "
                    "stack and no alarm on it or on the schedule's dead-letter queue notifies SNS",
                    owner.urn,
                )
            continue
        for orchestrator in orchestrators:
            if _alarmed(stack, orchestrator) or _catch_publishes(orchestrator):
                continue
            yield Finding(
                f"failures of the orchestrator {orchestrator.name} do not reach SNS: add a "
                "CloudWatch alarm on its Errors (Lambda) or ExecutionsFailed (Step Functions) "
                "with an SNS alarm action, an alarm on the schedule's dead-letter queue, or a "
                "Catch in the state machine that publishes to SNS",
                orchestrator.urn,
            )


def _alarms_to_sns(stack: Stack) -> list[Resource]:
    alarms = []
    for alarm in stack.of_type(types.METRIC_ALARM):
        actions = alarm.get("alarmActions")
        values = [UNKNOWN] if actions is UNKNOWN else as_list(actions)
        if any(is_sns_arn(value) for value in values) or (
            UNKNOWN in values
            and any(
                dep.type == types.SNS_TOPIC for dep in stack.dependencies_of(alarm, "alarmActions")
            )
        ):
            alarms.append(alarm)
    return alarms


def _alarm_watches(stack: Stack, alarm: Resource, target: Resource) -> bool:
    if target.urn in alarm.property_dependencies.get("dimensions", ()):
        return True
    dimensions = alarm.get("dimensions")
    if isinstance(dimensions, dict):
        return any(value_names(value, target) for value in dimensions.values())
    return False


def _alarmed(stack: Stack, orchestrator: Resource) -> bool:
    namespace = "AWS/Lambda" if orchestrator.type == types.LAMBDA_FUNCTION else "AWS/States"
    return any(
        alarm.get("namespace") in (namespace, UNKNOWN)
        and _alarm_watches(stack, alarm, orchestrator)
        for alarm in _alarms_to_sns(stack)
    )


def _any_orchestrator_alarm(stack: Stack, arn: Any) -> bool:
    if not isinstance(arn, str):
        return False
    name = arn.rsplit(":", 1)[-1]
    for alarm in _alarms_to_sns(stack):
        dimensions = alarm.get("dimensions")
        if isinstance(dimensions, dict) and any(
            value in (arn, name) for value in dimensions.values()
        ):
            return True
    return False


def _dead_letter_queues(stack: Stack, owner: Resource, prop: str) -> list[Resource]:
    key = "target" if prop == "target" else "deadLetterConfig"
    queues = [dep for dep in stack.dependencies_of(owner, key) if dep.type == types.SQS_QUEUE]
    config = owner.get("target") if prop == "target" else owner.props
    dlq = config.get("deadLetterConfig") if isinstance(config, dict) else None
    arn = dlq.get("arn") if isinstance(dlq, dict) else None
    queues += [queue for queue in stack.of_type(types.SQS_QUEUE) if value_names(arn, queue)]
    return queues


def _dlq_alarmed(stack: Stack, queues: list[Resource]) -> bool:
    return any(
        _alarm_watches(stack, alarm, queue) for queue in queues for alarm in _alarms_to_sns(stack)
    )


def _catch_publishes(orchestrator: Resource) -> bool:
    if orchestrator.type != types.STATE_MACHINE:
        return False
    definition, problem = parse_json(orchestrator.get("definition"))
    if problem is not None or not isinstance(definition, dict):
        return False
    return _machine_catch_publishes(definition)


def _machine_catch_publishes(machine: Mapping[str, Any]) -> bool:
    states = machine.get("States")
    if not isinstance(states, dict):
        return False
    for state in states.values():
        if not isinstance(state, dict):
            continue
        for catcher in as_list(state.get("Catch")):
            if isinstance(catcher, dict) and _path_publishes(states, catcher.get("Next")):
                return True
        for branch in as_list(state.get("Branches")):
            if isinstance(branch, dict) and _machine_catch_publishes(branch):
                return True
        for key in ("Iterator", "ItemProcessor"):
            inner = state.get(key)
            if isinstance(inner, dict) and _machine_catch_publishes(inner):
                return True
    return False


def _path_publishes(states: Mapping[str, Any], start: Any) -> bool:
    """Whether following Next/Choices from `start` reaches a Task that publishes to SNS."""
    pending = [start]
    seen: set[str] = set()
    while pending and len(seen) < MAX_STEPS:
        name = pending.pop()
        if not isinstance(name, str) or name in seen:
            continue
        seen.add(name)
        state = states.get(name)
        if not isinstance(state, dict):
            continue
        resource = state.get("Resource")
        if (
            state.get("Type") == "Task"
            and isinstance(resource, str)
            and resource.lower().endswith(("states:::sns:publish", "states:::aws-sdk:sns:publish"))
        ):
            return True
        pending.append(state.get("Next"))
        pending.append(state.get("Default"))
        pending.extend(c.get("Next") for c in as_list(state.get("Choices")) if isinstance(c, dict))
    return False


NOTIFICATIONS_REQUIRED = PolicyDoc(
    name="notifications-required",
    family=FAMILY,
    description="A stack that schedules retraining routes SageMaker job "
    "Failed/Stopped events and orchestrator failures to SNS.",
    why=(
        "Scheduled retraining fails quietly: a failed or spot-stopped job, or an orchestrator "
        "that never started one, is only noticed when the model goes stale. No generic scanner "
        "checks that every retraining path notifies someone."
    ),
    remediation=(
        "Add an EventRule with eventPattern {source: [aws.sagemaker], detail-type: [SageMaker "
        "Training Job State Change], detail: {TrainingJobStatus: [Completed, Failed, Stopped]}} "
        "and an EventTarget to the team topic; alarm on the orchestrator's Errors / "
        "ExecutionsFailed (or the schedule DLQ) with the topic as alarm action, or Catch and "
        "publish in the state machine."
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
