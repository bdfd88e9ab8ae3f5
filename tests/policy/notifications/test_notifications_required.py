"""notifications-required: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

import json
from typing import Any

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import (
    ACCOUNT,
    ALARM,
    BASE,
    EVENT_RULE,
    EVENT_TARGET,
    FUNCTION,
    QUEUE,
    STATE_MACHINE,
    TOPIC_ARN,
    UNKNOWN,
    add,
    arn,
    chain,
    complete_spec,
    drop,
    edit,
    res,
    state_machine_definition,
)
from policy_harness import InProcessPack, by_policy

POLICY = "notifications-required"
EVENT_INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
FUNCTION_NAME = f"{BASE}-orchestrator"


def _lambda(name: str, *mutations: Any) -> Case:
    return Case(name, "retraining-lambda", chain(*mutations))


def _machine_with_catch(name: str, errors: list[str], *, nested: int = 0) -> Case:
    definition = json.loads(state_machine_definition(complete_spec()))
    definition["States"]["StartTrainingJob"]["Catch"][0]["ErrorEquals"] = errors
    # Wrapped in Parallel states, built as text: deeper than Python's JSON parser recurses.
    opening = (
        '{"StartAt": "Wrap", "States": {"Wrap": {"Type": "Parallel", "End": true, "Branches": ['
    )
    text = opening * nested + json.dumps(definition) + "]}}}" * nested
    return Case(
        name,
        "retraining-step-functions",
        chain(drop(ALARM), edit(STATE_MACHINE, "orchestrator", definition=text)),
    )


def _reporting_machine(name: str, *changes: Any) -> Case:
    """The Step Functions baseline without a job-state rule: the state machine must report the
    job's outcomes itself. `changes` edit its definition (a dict) in place."""
    definition = json.loads(state_machine_definition(complete_spec()))
    definition["States"]["AlreadyStarted"] = {"Type": "Succeed"}
    for change in changes:
        change(definition)
    return Case(
        name,
        "retraining-step-functions",
        chain(
            drop(EVENT_TARGET, "job-state"),
            drop(EVENT_RULE, "job-state"),
            edit(STATE_MACHINE, "orchestrator", definition=json.dumps(definition)),
        ),
    )


def _quiet_catch(*errors: str) -> Any:
    """A catcher before the others that ends quietly (no publish) on `errors`."""

    def change(definition: dict[str, Any]) -> None:
        task = definition["States"]["StartTrainingJob"]
        task["Catch"].insert(0, {"ErrorEquals": list(errors), "Next": "AlreadyStarted"})

    return change


def _training_resource(resource: str) -> Any:
    def change(definition: dict[str, Any]) -> None:
        definition["States"]["StartTrainingJob"]["Resource"] = resource

    return change


def _success_next(state: str) -> Any:
    def change(definition: dict[str, Any]) -> None:
        definition["States"]["StartTrainingJob"]["Next"] = state

    return change


def _failures_to(state: str) -> Any:
    def change(definition: dict[str, Any]) -> None:
        for catcher in definition["States"]["StartTrainingJob"]["Catch"]:
            catcher["Next"] = state

    return change


def _quality_gate(*, gate_failures_to: str = "NotifyFailure") -> Any:
    """A gated machine (issue 12): a completed job goes to the gate's Lambda task, whose message
    (Registered / Rejected) is the success report; the gate's own failures go to
    `gate_failures_to`."""

    def change(definition: dict[str, Any]) -> None:
        definition["States"]["StartTrainingJob"]["Next"] = "JudgeModel"
        definition["States"]["JudgeModel"] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": arn("lambda", f"function:{BASE}-model-gate"),
                "Payload": {"TrainingJobName.$": "$.trainingJobName"},
            },
            "ResultPath": "$.gate",
            "Catch": [
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": gate_failures_to}
            ],
            "Next": "NotifySuccess",
        }

    return change


JOB_STATE_QUEUE = f"{BASE}-job-state.fifo"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"


def _job_state_through_a_queue(name: str, **mapping: Any) -> Case:
    """Lambda mode with the job-state rule delivering to a FIFO queue that the orchestrator
    function consumes (it publishes the one outcome message); `mapping` edits the mapping."""
    queue = res(
        QUEUE,
        JOB_STATE_QUEUE,
        {"name": JOB_STATE_QUEUE, "fifoQueue": True, "contentBasedDeduplication": True},
        "retraining",
    )
    event_source = res(
        EVENT_SOURCE_MAPPING,
        f"{BASE}-job-state-reports",
        {
            "eventSourceArn": arn("sqs", JOB_STATE_QUEUE),
            "functionName": FUNCTION_NAME,
            "batchSize": 1.0,
            **mapping,
        },
        "retraining",
    )
    return _lambda(
        name,
        add(queue, event_source),
        edit(EVENT_TARGET, "job-state", arn=arn("sqs", JOB_STATE_QUEUE)),
    )


def _metric_math_errors_alarm() -> Any:
    return res(
        ALARM,
        f"{FUNCTION_NAME}-error-rate",
        {
            "name": f"{FUNCTION_NAME}-error-rate",
            "evaluationPeriods": 1.0,
            "threshold": 0.0,
            "comparisonOperator": "GreaterThanThreshold",
            "alarmActions": [TOPIC_ARN],
            "metricQueries": [
                {"id": "e", "expression": "errors / invocations", "returnData": True},
                {
                    "id": "errors",
                    "metric": {
                        "namespace": "AWS/Lambda",
                        "metricName": "Errors",
                        "dimensions": {"FunctionName": FUNCTION_NAME},
                        "period": 300.0,
                        "stat": "Sum",
                    },
                },
            ],
        },
        "retraining",
    )


def _alarm_on_unknown_metric() -> Any:
    """An alarm on the function whose metric name is computed (unknown at preview)."""
    return res(
        ALARM,
        f"{FUNCTION_NAME}-computed",
        {
            "name": f"{FUNCTION_NAME}-computed",
            "namespace": "AWS/Lambda",
            "metricName": UNKNOWN,
            "dimensions": {"FunctionName": FUNCTION_NAME},
            "evaluationPeriods": 1.0,
            "threshold": 0.0,
            "comparisonOperator": "GreaterThanThreshold",
            "alarmActions": [TOPIC_ARN],
        },
        "retraining",
    )


def _on_failure_to(destination: str) -> Any:
    return res(
        EVENT_INVOKE_CONFIG,
        f"{FUNCTION_NAME}-async",
        {
            "functionName": FUNCTION_NAME,
            "destinationConfig": {"onFailure": {"destination": destination}},
        },
        "retraining",
    )


NON_COMPLIANT: list[Case] = [
    Case(
        "no job-state rule",
        "retraining-lambda",
        drop(EVENT_RULE, "job-state"),
    ),
    Case(
        "job-state rule misses Stopped",
        "retraining-lambda",
        edit(
            EVENT_RULE,
            "job-state",
            eventPattern=json.dumps(
                {
                    "source": ["aws.sagemaker"],
                    "detail-type": ["SageMaker Training Job State Change"],
                    "detail": {"TrainingJobStatus": ["Completed", "Failed"]},
                }
            ),
        ),
    ),
    Case(
        "job-state rule targets a queue",
        "retraining-lambda",
        edit(EVENT_TARGET, "job-state", arn=arn("sqs", f"{BASE}-events")),
    ),
    Case(
        "orchestrator failures reach nobody",
        "retraining-lambda",
        drop(ALARM),
    ),
    Case(
        "state machine without catch or alarm",
        "retraining-step-functions",
        lambda rs: edit(
            STATE_MACHINE,
            "orchestrator",
            definition=state_machine_definition(complete_spec(), catch_publishes=False),
        )(drop(ALARM)(rs)),
    ),
    # notifications that can never fire
    _lambda("job-state rule on a custom bus", edit(EVENT_RULE, "job-state", eventBusName="ml")),
    _lambda("job-state rule disabled", edit(EVENT_RULE, "job-state", state="DISABLED")),
    _lambda(
        "job-state target is not a topic ARN",
        edit(EVENT_TARGET, "job-state", arn="arn:aws:sns:::notifications"),
    ),
    _lambda(
        "job-state target ARN with a wildcard region",
        edit(EVENT_TARGET, "job-state", arn=f"arn:aws:sns:*:{ACCOUNT}:notifications"),
    ),
    _lambda("alarms with actions disabled", edit(ALARM, "", actionsEnabled=False)),
    _lambda("alarms on a metric that is not a failure", edit(ALARM, "", metricName="Invocations")),
    _lambda("alarms breaching on missing data", edit(ALARM, "", treatMissingData="breaching")),
    # Unknown at preview is "cannot verify", never a live route.
    _lambda("alarms on a metric name unknown at preview", edit(ALARM, "", metricName=UNKNOWN)),
    _lambda("alarms in a namespace unknown at preview", edit(ALARM, "", namespace=UNKNOWN)),
    _lambda("the only alarm's metric is unknown", drop(ALARM), add(_alarm_on_unknown_metric())),
    _lambda(
        "alarms acting on a queue",
        edit(ALARM, "", alarmActions=[arn("sqs", f"{BASE}-alerts")]),
    ),
    _lambda(
        "on-failure destination is a queue nobody watches",
        drop(ALARM),
        add(_on_failure_to(arn("sqs", f"{BASE}-orchestrator-dlq"))),
    ),
    _machine_with_catch("catch of States.Timeout only", ["States.Timeout"]),
    _machine_with_catch("catch of named errors only", ["SageMaker.AmazonSageMakerException"]),
    _machine_with_catch(
        "deeply nested machine without a full catch", ["States.Timeout"], nested=400
    ),
    _job_state_through_a_queue("job-state queue whose consumer is disabled", enabled=False),
    _job_state_through_a_queue(
        "job-state queue consumed by another function", functionName=f"{BASE}-other"
    ),
    # No job-state rule: the state machine must report every outcome of the job itself.
    _reporting_machine("no rule, failed jobs end in a Fail state", _failures_to("Failed")),
    _reporting_machine("no rule, failed jobs end quietly", _quiet_catch("States.TaskFailed")),
    _reporting_machine("no rule, completed jobs end quietly", _success_next("AlreadyStarted")),
    _reporting_machine(
        "no rule, a gated machine's gate failures end quietly",
        _quality_gate(gate_failures_to="AlreadyStarted"),
    ),
    _reporting_machine(
        "no rule, the machine does not wait for the job",
        _training_resource("arn:aws:states:::sagemaker:createTrainingJob"),
    ),
]
COMPLIANT: list[Case] = [
    _lambda(
        "metric-math alarm on Errors",
        drop(ALARM),
        add(_metric_math_errors_alarm()),
    ),
    _lambda("on-failure destination is the topic", drop(ALARM), add(_on_failure_to(TOPIC_ARN))),
    _lambda("an unknown-metric alarm beside a live Errors alarm", add(_alarm_on_unknown_metric())),
    _lambda(
        "dead-letter target is the topic",
        drop(ALARM),
        edit(FUNCTION, "orchestrator", deadLetterConfig={"targetArn": TOPIC_ARN}),
    ),
    _lambda(
        "job-state rule on the default bus by ARN",
        edit(
            EVENT_RULE,
            "job-state",
            eventBusName=arn("events", "event-bus/default"),
            state="ENABLED",
        ),
    ),
    _lambda(
        "alarms not breaching on missing data", edit(ALARM, "", treatMissingData="notBreaching")
    ),
    _machine_with_catch("catch of TaskFailed and Timeout", ["States.TaskFailed", "States.Timeout"]),
    _machine_with_catch("nested machine with a full catch", ["States.ALL"], nested=20),
    _job_state_through_a_queue("job-state rule to a queue the orchestrator consumes"),
    _reporting_machine("no rule, the state machine reports every outcome"),
    _reporting_machine("no rule, a gated machine reports the gate's outcome", _quality_gate()),
    _reporting_machine(
        "no rule, a duplicate delivery ends quietly, every failure is reported",
        _quiet_catch("SageMaker.ResourceInUse"),
    ),
]

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)


def test_an_unknown_metric_is_reported_as_cannot_verify() -> None:
    case = next(c for c in NON_COMPLIANT if c.name == "the only alarm's metric is unknown")
    messages = [d.message for d in by_policy(InProcessPack().preview(case.resources()), POLICY)]
    assert any(
        "cannot verify that alarm" in m and "watches a failure metric" in m for m in messages
    )
