"""Required notifications: every scheduled retraining reports failures to SNS, and SNS is sound.

Links between resources (target -> rule, alarm -> topic, subscription -> topic, topic -> key) are
followed through property dependencies first, because autonamed resources' names and ARNs are
unknown at preview, and through known names/ARNs second.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import event_patterns
from retraining_policies import iam_documents as docs
from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    Finding,
    PolicyDoc,
    Resource,
    RetrainingPolicy,
    RetrainingResourcePolicy,
    RetrainingStackPolicy,
    Stack,
    as_list,
    cannot_verify,
    describe,
    parse_json,
    value_names,
)
from retraining_policies.schedules import schedule_of

FAMILY: Final = "required-notifications"
SAGEMAKER_SOURCE: Final = "aws.sagemaker"
TRAINING_STATE_CHANGE: Final = "SageMaker Training Job State Change"
_ORCHESTRATOR_TYPES: Final = (types.LAMBDA_FUNCTION, types.STATE_MACHINE)
_MAX_STEPS = 50


def _is_sns_arn(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("arn:") and value.split(":")[2:3] == ["sns"]


def _reaches_topic(stack: Stack, owner: Resource, prop: str, value: Any) -> bool | None:
    """Whether a target/action value is an SNS topic: True, False, or None (cannot tell)."""
    if _is_sns_arn(value):
        return True
    if value is UNKNOWN or (isinstance(value, list) and UNKNOWN in value):
        if any(dep.type == types.SNS_TOPIC for dep in stack.dependencies_of(owner, prop)):
            return True
        return None
    return False


# ---------------------------------------------------------------------------------------------
# notifications-required
# ---------------------------------------------------------------------------------------------


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
            reaches = _reaches_topic(stack, target, "arn", target.get("arn"))
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
    found = [dep for dep in stack.dependencies_of(owner, prop) if dep.type in _ORCHESTRATOR_TYPES]
    if found:
        return found
    candidates = stack.of_type(*_ORCHESTRATOR_TYPES)
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
        if any(_is_sns_arn(value) for value in values) or (
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
    while pending and len(seen) < _MAX_STEPS:
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


# ---------------------------------------------------------------------------------------------
# notifications-topic-subscribed
# ---------------------------------------------------------------------------------------------


def check_topic_subscribed(stack: Stack, config: Mapping[str, Any]) -> Iterator[Finding]:
    allowed = set(config["allowedProtocols"])
    subscriptions = stack.of_type(types.SNS_SUBSCRIPTION)
    for subscription in subscriptions:
        protocol = subscription.get("protocol")
        if protocol is UNKNOWN:
            yield Finding(cannot_verify("the subscription protocol", "protocol"), subscription.urn)
        elif not isinstance(protocol, str) or protocol not in allowed:
            yield Finding(
                f"subscription protocol {describe(protocol)} "
                f"is not one of {', '.join(sorted(allowed))}",
                subscription.urn,
            )
        endpoint = subscription.get("endpoint")
        if (
            protocol == "https"
            and isinstance(endpoint, str)
            and not endpoint.startswith("https://")
        ):
            yield Finding(
                f"https subscription endpoint {endpoint!r} must start with https://",
                subscription.urn,
            )
    unresolved = [
        s
        for s in subscriptions
        if s.get("topic") is UNKNOWN
        and not any(d.type == types.SNS_TOPIC for d in stack.dependencies_of(s, "topic"))
    ]
    for topic in stack.of_type(types.SNS_TOPIC):
        linked = [s for s in subscriptions if stack.refers_to(s, "topic", topic)]
        usable = [s for s in linked if _protocol_usable(s.get("protocol"), allowed)]
        if usable:
            continue
        if unresolved:
            yield Finding(
                cannot_verify(f"that topic {topic.name} has a subscription", "topic"), topic.urn
            )
        else:
            yield Finding(
                f"topic {topic.name} has no subscription with an allowed protocol: its "
                "notifications reach nobody",
                topic.urn,
            )


def _protocol_usable(protocol: Any, allowed: set[str]) -> bool:
    return protocol is UNKNOWN or (isinstance(protocol, str) and protocol in allowed)


TOPIC_SUBSCRIBED = PolicyDoc(
    name="notifications-topic-subscribed",
    family=FAMILY,
    description="Every SNS topic has at least one subscription, over an allowed protocol.",
    why="A topic without subscribers swallows every failure notice; plain http leaks them.",
    remediation=(
        "Add the team's subscriptions (email, sqs, https, lambda) to the notifications stack "
        "config; use https endpoints, never http."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        "allowedProtocols": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["email", "email-json", "sqs", "https", "lambda", "firehose"],
            "description": "Subscription protocols that count (http and sms are left out).",
        }
    },
)


# ---------------------------------------------------------------------------------------------
# sns-encryption / sqs-encryption (resource)
# ---------------------------------------------------------------------------------------------


def check_sns_encryption(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    del config
    key = resource.get("kmsMasterKeyId")
    if key is None or key == "":
        yield (
            "the topic is not encrypted: set kms_master_key_id to a customer-managed KMS key "
            "whose policy lets events.amazonaws.com and cloudwatch.amazonaws.com use it"
        )
    elif isinstance(key, str) and key.lower().endswith("alias/aws/sns"):
        yield (
            "the topic uses the AWS managed key alias/aws/sns, whose policy cannot be changed: "
            "EventBridge and CloudWatch alarms cannot publish to it. Use a customer-managed key"
        )


SNS_ENCRYPTION = PolicyDoc(
    name="sns-encryption",
    family="encryption",
    description="SNS topics are encrypted with a customer-managed KMS key (not alias/aws/sns).",
    why=(
        "Failure notices carry job names, errors and data locations. The AWS managed SNS key "
        "cannot be shared with EventBridge or CloudWatch, which then fail to publish silently."
    ),
    remediation="Set kms_master_key_id to the notifications stack's customer-managed key.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    resource_types=(types.SNS_TOPIC,),
)


def check_sqs_encryption(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    del config
    key = resource.get("kmsMasterKeyId")
    managed = resource.get("sqsManagedSseEnabled")
    if (key is None or key == "") and managed is not True and managed is not UNKNOWN:
        yield (
            "the queue is not encrypted explicitly: set sqs_managed_sse_enabled=True (works "
            "with EventBridge and Scheduler dead-letter delivery) or kms_master_key_id"
        )


SQS_ENCRYPTION = PolicyDoc(
    name="sqs-encryption",
    family="encryption",
    description="SQS queues (dead-letter queues included) are encrypted at rest.",
    why="Dead-lettered events hold the scheduled input; "
    "encryption at rest is the baseline (cdk-nag SQS2/3).",
    remediation="Set sqs_managed_sse_enabled=True, or "
    "kms_master_key_id to a key the sender may use.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    resource_types=(types.SQS_QUEUE,),
)


# ---------------------------------------------------------------------------------------------
# sns-topic-policy-scoped (resource)
# ---------------------------------------------------------------------------------------------

_SCOPING_KEYS: Final = (
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOwner",
    "aws:PrincipalOrgID",
    "aws:PrincipalAccount",
)


def check_topic_policy(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    del config
    document = docs.parse_document(resource.get("policy"))
    if document.unknown:
        yield cannot_verify("who may use the topic", "policy")
        return
    yield from (f"policy: {problem}" for problem in document.problems)
    for statement in document.allow_statements():
        where = f"policy {statement.label}"
        services, others = docs.service_principals(statement.principal)
        scoped = any(
            values and all(isinstance(v, str) and v != "*" for v in values)
            for key in _SCOPING_KEYS
            for _op, values in statement.condition_values(key)
        )
        if any(other in ("*", "AWS: '*'", 'AWS: "*"') for other in others) and not scoped:
            yield f"{where} lets anyone use the topic; name the principals or add aws:SourceAccount"
        if services and not scoped:
            yield (
                f"{where} lets {', '.join(services)} publish on behalf of any account: add "
                "aws:SourceAccount (or aws:SourceArn naming the rules and alarms)"
            )
        for action in statement.actions or ():
            if docs.is_wildcard(action):
                yield f"{where}: action {action!r} is a wildcard; allow sns:Publish only"
        if statement.not_actions is not None:
            yield f"{where}: Allow with NotAction; allow sns:Publish only"


TOPIC_POLICY_SCOPED = PolicyDoc(
    name="sns-topic-policy-scoped",
    family="encryption",
    description="SNS topic policies never open the topic to '*' and scope "
    "service principals with aws:SourceAccount/SourceArn.",
    why="A topic policy with Principal '*' lets anyone publish fake "
    "'training succeeded' notices or read the subscriptions.",
    remediation=(
        "Allow events.amazonaws.com and cloudwatch.amazonaws.com sns:Publish with Condition "
        "StringEquals aws:SourceAccount, and the orchestrator roles by ARN."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    resource_types=(types.SNS_TOPIC_POLICY,),
)


# ---------------------------------------------------------------------------------------------
# sns-publishers-allowed (stack: topic -> key -> key policy, topic -> topic policy)
# ---------------------------------------------------------------------------------------------


def _topic_keys(stack: Stack, topic: Resource) -> list[Resource] | None:
    """In-stack KMS keys a topic is encrypted with ([] if the key lives elsewhere, None unknown)."""
    keys = [d for d in stack.dependencies_of(topic, "kmsMasterKeyId") if d.type == types.KMS_KEY]
    for alias in stack.of_type(types.KMS_ALIAS):
        if stack.refers_to(topic, "kmsMasterKeyId", alias):
            keys += [
                d for d in stack.dependencies_of(alias, "targetKeyId") if d.type == types.KMS_KEY
            ]
            keys += [
                k for k in stack.of_type(types.KMS_KEY) if value_names(alias.get("targetKeyId"), k)
            ]
    value = topic.get("kmsMasterKeyId")
    keys += [
        k for k in stack.of_type(types.KMS_KEY) if value_names(value, k) or value == k.get("keyId")
    ]
    if keys:
        return keys
    if value is UNKNOWN and not stack.dependencies_of(topic, "kmsMasterKeyId"):
        return None
    return []


def _allows(document: docs.Document, service: str, actions: Sequence[str]) -> bool:
    for action in actions:
        if not any(
            service in docs.service_principals(statement.principal)[0] and statement.grants(action)
            for statement in document.allow_statements()
        ):
            return False
    return True


def check_publishers_allowed(stack: Stack, config: Mapping[str, Any]) -> Iterator[Finding]:
    services = list(config["publishingServices"])
    for topic in stack.of_type(types.SNS_TOPIC):
        if topic.get("kmsMasterKeyId") not in (None, ""):
            keys = _topic_keys(stack, topic)
            if keys is None:
                yield Finding(
                    cannot_verify(f"the key policy of topic {topic.name}'s key", "kmsMasterKeyId"),
                    topic.urn,
                )
            for key in keys or ():
                yield from _key_policy_findings(key, topic, services)
        policies = [
            p for p in stack.of_type(types.SNS_TOPIC_POLICY) if stack.refers_to(p, "arn", topic)
        ]
        if not policies:
            yield Finding(
                f"topic {topic.name} has no TopicPolicy letting {', '.join(services)} publish",
                topic.urn,
            )
        for policy in policies:
            document = docs.parse_document(policy.get("policy"))
            if document.unknown:
                yield Finding(cannot_verify("who may publish to the topic", "policy"), policy.urn)
                continue
            missing = [s for s in services if not _allows(document, s, ["sns:Publish"])]
            if missing:
                yield Finding(
                    "the topic policy does not let "
                    f"{', '.join(missing)} sns:Publish to {topic.name}",
                    policy.urn,
                )


def _key_policy_findings(key: Resource, topic: Resource, services: list[str]) -> Iterator[Finding]:
    value = key.get("policy")
    if value is None:
        yield Finding(
            f"key {key.name} (topic {topic.name}) has the default key policy, which does not "
            f"let {', '.join(services)} use it: their notifications would fail",
            key.urn,
        )
        return
    document = docs.parse_document(value)
    if document.unknown:
        yield Finding(
            cannot_verify(f"that key {key.name} lets the publishers use it", "policy"), key.urn
        )
        return
    missing = [
        s for s in services if not _allows(document, s, ["kms:GenerateDataKey", "kms:Decrypt"])
    ]
    if missing:
        yield Finding(
            f"key {key.name} (topic {topic.name}) does not let {', '.join(missing)} use "
            "kms:GenerateDataKey* and kms:Decrypt: they cannot publish to the encrypted topic",
            key.urn,
        )


PUBLISHERS_ALLOWED = PolicyDoc(
    name="sns-publishers-allowed",
    family="encryption",
    description="Encrypted topics' KMS key policies and topic "
    "policies let EventBridge and CloudWatch publish.",
    why=(
        "An encrypted topic whose key policy omits events.amazonaws.com drops every job-state "
        "notification without an error anyone sees; the same for a topic policy without them."
    ),
    remediation=(
        "In the key policy allow each publishing service kms:GenerateDataKey* and kms:Decrypt "
        "(aws:SourceAccount condition), and in the topic policy sns:Publish."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        "publishingServices": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["events.amazonaws.com", "cloudwatch.amazonaws.com"],
            "description": "Service principals that must be able to publish to every topic.",
        }
    },
)


POLICIES: Final[list[RetrainingPolicy]] = [
    RetrainingStackPolicy(NOTIFICATIONS_REQUIRED, check_notifications_required),
    RetrainingStackPolicy(TOPIC_SUBSCRIBED, check_topic_subscribed),
    RetrainingResourcePolicy(SNS_ENCRYPTION, check_sns_encryption),
    RetrainingResourcePolicy(SQS_ENCRYPTION, check_sqs_encryption),
    RetrainingResourcePolicy(TOPIC_POLICY_SCOPED, check_topic_policy),
    RetrainingStackPolicy(PUBLISHERS_ALLOWED, check_publishers_allowed),
]
