"""The Step Functions states that run the quality gate after `.sync` succeeded, and report its one
outcome (`docs/architecture.md`, "The quality gate and the Model Registry").

`gate_states(...)` returns three states to merge into a gated stack's definition, entered at
`JUDGE_MODEL` instead of the `Completed` report:

- `JudgeModel`: the Lambda task (`arn:<partition>:states:::lambda:invoke`) that runs
  `model_gate.lambda_handler` in the gate function `<base>-model-gate`; its input is the
  training job name, its output (`$.gate.outcome`) the outcome plus the ready message. Retry on
  Lambda's transient service errors, as the Step Functions guide recommends ("Handle Lambda
  service exceptions": `Lambda.ClientExecutionTimeoutException`, `Lambda.ServiceException`,
  `Lambda.AWSLambdaException`, `Lambda.SdkClientException`, and
  `Lambda.TooManyRequestsException` when Lambda throttles), and on the function's own
  `contract.GATE_AWS_ERROR` (an AWS call of the gate still failing after botocore's retries: a
  Lambda task's error name is the raised exception's class name, "Handling error conditions using
  a Step Functions state machine"); anything else is caught.
- `ReportGateOutcome`: publishes the message the function built (Registered / Rejected).
- `ReportGateNotRun`: the function could not run (retries exhausted, throttled, timed out, an AWS
  error that outlasted the retries): one `Rejected` message with the error and cause — the job's
  model was not judged, so it must never read as a pass. (A bad environment is not an error of
  the function: it returns it as a `Rejected` decision.)

The definition stays known at preview: the function ARN is built from its deterministic name, the
topic ARN is the team topic's, and every value of the messages is static or a JSONPath.
"""

from __future__ import annotations

from typing import Any, Final

from retraining_shared.arns import ArnBuilder

from retraining_stack import state_machine
from retraining_stack.lambda_function import contract

JUDGE_MODEL: Final = "JudgeModel"
REPORT_GATE_OUTCOME: Final = "ReportGateOutcome"
REPORT_GATE_NOT_RUN: Final = "ReportGateNotRun"
BUILD_NOT_RUN_MESSAGE: Final = "BuildGateNotRunMessage"
LAMBDA_TRANSIENT_ERRORS: Final = (
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
GATE_RESULT_PATH: Final = "$.gate"
GATE_ERROR_PATH: Final = "$.gateError"


def gate_states(
    *,
    partition: str,
    region: str,
    function_arn: str,
    topic_arn: str,
    team: str,
    model: str,
    environment: str,
    job_name_path: str = "$.TrainingJobName",
    occurrence_path: str = "$$.Execution.Input.time",
    next_state: str | None = None,
) -> dict[str, Any]:
    """The gate's states. `job_name_path`: where the job name is in the state input (the
    `.sync` output puts it at `$.TrainingJobName`); `occurrence_path`: the scheduled occurrence
    for the not-run message; `next_state`: where both reports continue (None: they end)."""
    ending: dict[str, Any] = {"Next": next_state} if next_state else {"End": True}
    rejected = contract.OutcomeStatus.REJECTED
    console = contract.console_url(partition, region, "{}")
    not_run_message: dict[str, Any] = {
        "subject": contract.outcome_subject(rejected, team, model, environment),
        "status": rejected.value,
        "team": team,
        "model": model,
        "environment": environment,
        "scheduledOccurrence.$": occurrence_path,
        "trainingJobName.$": job_name_path,
        "reason.$": (
            "States.Format('the quality gate could not run ({}: {}); nothing registered', "
            f"{GATE_ERROR_PATH}.Error, {GATE_ERROR_PATH}.Cause)"
        ),
    }
    if console:
        not_run_message["consoleUrl.$"] = f"States.Format('{console}', {job_name_path})"
    else:
        not_run_message["consoleUrl"] = ""
    return {
        JUDGE_MODEL: {
            "Type": "Task",
            "Resource": f"arn:{partition}:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": function_arn,
                "Payload": {"TrainingJobName.$": job_name_path},
            },
            "ResultSelector": {"outcome.$": "$.Payload"},
            "ResultPath": GATE_RESULT_PATH,
            "Retry": [
                {
                    "ErrorEquals": list(LAMBDA_TRANSIENT_ERRORS),
                    "IntervalSeconds": 2,
                    "MaxAttempts": 6,
                    "BackoffRate": 2,
                },
                # Each invocation already ran botocore's retries: a few spaced attempts more.
                {
                    "ErrorEquals": [contract.GATE_AWS_ERROR],
                    "IntervalSeconds": 30,
                    "MaxAttempts": 3,
                    "BackoffRate": 2,
                },
            ],
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "ResultPath": GATE_ERROR_PATH,
                    "Next": BUILD_NOT_RUN_MESSAGE,
                }
            ],
            "Next": REPORT_GATE_OUTCOME,
        },
        REPORT_GATE_OUTCOME: {
            "Type": "Task",
            "Resource": f"arn:{partition}:states:::sns:publish",
            "Parameters": {
                "TopicArn": topic_arn,
                "Subject.$": f"{GATE_RESULT_PATH}.outcome.subject",
                "Message.$": f"States.JsonToString({GATE_RESULT_PATH}.outcome.message)",
                "MessageAttributes.$": f"{GATE_RESULT_PATH}.outcome.messageAttributes",
            },
            "ResultPath": None,
            # As every publish of the machine: SNS's transient errors are retried.
            "Retry": state_machine.transient_task_retry(),
            **ending,
        },
        BUILD_NOT_RUN_MESSAGE: {
            "Type": "Pass",
            "Parameters": not_run_message,
            "ResultPath": "$.gateNotRunMessage",
            "Next": REPORT_GATE_NOT_RUN,
        },
        REPORT_GATE_NOT_RUN: {
            "Type": "Task",
            "Resource": f"arn:{partition}:states:::sns:publish",
            "Parameters": {
                "TopicArn": topic_arn,
                "Subject": contract.outcome_subject(rejected, team, model, environment),
                "Message.$": "States.JsonToString($.gateNotRunMessage)",
                "MessageAttributes": contract.message_attributes(
                    rejected, team, model, environment
                ),
            },
            "ResultPath": None,
            # As every publish of the machine: SNS's transient errors are retried.
            "Retry": state_machine.transient_task_retry(),
            **ending,
        },
    }


def state_machine_gate(
    arns: ArnBuilder, function_name: str, topic_arn: str, *, team: str, model: str, environment: str
) -> state_machine.QualityGate:
    """The gate as `state_machine.build_definition` inserts it after `.sync` success: the gate
    function `function_name` judges `$.trainingJobName`, its message replaces Completed, and
    both reports end in the machine's `Reported` state."""
    states = gate_states(
        partition=arns.partition,
        region=arns.region,
        function_arn=arns.lambda_function(function_name),
        topic_arn=topic_arn,
        team=team,
        model=model,
        environment=environment,
        job_name_path=state_machine.JOB_NAME_PATH,
        occurrence_path=state_machine.OCCURRENCE_PATH,
        next_state=state_machine.REPORTED,
    )
    return state_machine.QualityGate(JUDGE_MODEL, states)
