"""The Step Functions orchestrator: an Amazon States Language definition from the training spec.

The state machine is the single reporter of its scheduled occurrence: every execution that handles
an occurrence publishes exactly ONE message to the team topic, its final outcome
(`contract.OutcomeStatus`), and there is no job-state rule in this mode (docs/architecture.md,
"One message per occurrence").

Execution input (one shape for both triggers)::

    {"time": "2026-11-26T06:00:00Z",
     "trainingInfrastructure": {"subnetIds": ["subnet-0123456789abcdef0", ...],
                                "securityGroupIds": ["sg-0123456789abcdef0"],
                                "kmsKeyArn": "arn:aws:kms:<region>:<account>:key/<id>"}}

`trainingInfrastructure` carries network-iam's provider-computed values (the private subnets, the
training security group, the team KMS key). They travel in the input, not in the definition: a
preview of a new network-iam does not know them, one unknown value makes the whole definition
string unknown, and the policy pack must read the definition at preview. The schedule target
supplies them (`rule_target_input_transformer`, `scheduler_target_input`).

The definition, state by state:

1. `CheckInput` rejects any other input -> `RejectInput` -> one NotStarted message (a missing
   path would otherwise fail the Task with an uncatchable States.Runtime error);
2. `DeriveTrainingJobName` formats prefix + YYYYMMDDHHMM from the occurrence, exactly the name
   `contract.training_job_name` gives (`States.StringSplit` treats its second argument as a set
   of delimiter characters), so every delivery of one occurrence asks for the same job;
3. `StartTrainingJob` runs `createTrainingJob.sync`. Retries: instance quota
   (`SageMaker.ResourceLimitExceededException`) a bounded few minutes, throttling and other API
   errors (`SageMaker.AmazonSageMakerException`) a few seconds; these are the error names the
   optimized SageMaker integration raises (Step Functions developer guide, "Manage SageMaker
   with Step Functions", example Retry). `States.TaskFailed` is never retried: with `.sync` it is
   the training job itself ending Failed or Stopped, and a re-run could only reuse the name;
4. success -> `TrainingEnded` (the .sync output is the final DescribeTrainingJob response) ->
   `TrainingCompleted` (`GATE_INSERTION_STATE`: issue 12's quality gate starts here) -> one
   Completed message; a job that ended Failed or Stopped -> one Failed (FailureReason) or
   Stopped (SecondaryStatus) message;
5. any error -> `ClassifyStartFailure`:
   - `States.TaskFailed`: the .sync job ran and ended Failed or Stopped. Its Cause is NOT read:
     its format is not documented and TaskFailedEventDetails.cause is capped at 32,768
     characters (Step Functions API reference), so a long description would arrive truncated
     and `States.StringToJson` would fail the execution with an uncatchable States.Runtime.
     `DescribeEndedJob` (AWS SDK integration `aws-sdk:sagemaker:describeTrainingJob`, the name
     is known) -> `TrainingEnded` as above (Completed, defensively, -> the completed/gate path).
     If the description cannot be read after the Retry, `EndedJobUnreadable` -> one Failed
     message saying so;
   - ResourceInUse (named in the error or its cause): this occurrence's job exists. Whose?
     `ConfirmExistingJob` (DescribeTrainingJob: its ARN) -> `ReadJobOwner` (ListTags: the
     describe does not return tags) -> `CompareJobOwner`: the job's
     `contract.TAG_ORCHESTRATOR_EXECUTION` tag, set at creation to `$$.Execution.Id` ("Context
     object"), equals this execution's ARN (`States.ArrayContains`, "Intrinsic functions")?
     - yes: this execution created it, with an attempt whose answer was an error (a 5xx after
       the fact: `SageMaker.AmazonSageMakerException` is retried, the retry finds the name
       taken). Nobody else reports it, so the execution waits for it as `.sync` would have:
       `WaitForOwnJob` -> `DescribeOwnJob` -> `OwnJobEnded` (InProgress/Stopping: again) ->
       `TrainingEnded`. The loop is bounded by the job's StoppingCondition plus an hour
       (`own_job_wait`: at most `OWN_JOB_MAX_POLLS` polls, within the 25,000-event history of a
       standard execution); a job still running after that ends the execution in the Fail state
       `OwnJobOutlivedItsLimits` (the ExecutionsFailed alarm: SageMaker did not stop it). A
       describe that keeps failing -> `OwnJobUnreadable` -> one Failed message saying so;
     - no: another execution (a redelivery) created it and reports it:
       `AlreadyStartedElsewhere`, a quiet end without a message.
     If the owner lookup itself keeps failing the execution fails: the ExecutionsFailed alarm
     reports a broken orchestrator (whose job it is cannot be known without it);
   - quota still exceeded after the bounded retry: one NotStarted message whose reason starts
     with `contract.QUOTA_REASON_PREFIX` ("skipped: quota"); the next occurrence tries again;
   - anything else: one NotStarted message with the error and cause.

The execution tag's value is the execution ARN: at most 80 characters of state machine name and
80 of execution name plus about 60 of the rest, within SageMaker's 256-character tag value
(CreateTrainingJob API reference, Tag). Tag values allow letters, digits, spaces and `_.:/=+-@`:
an execution started by hand under a name with other characters (e.g. `(`) is refused by
CreateTrainingJob and reported NotStarted; EventBridge and Scheduler name executions with ids.
A redriven execution keeps its ARN, so it recognizes the job it created before the redrive.

Every message is built by a `Report<Status>` Pass state (the keys of `contract.MESSAGE_KEYS`)
and published by `Notify<Status>` (`Message.$: States.JsonToString($.message)`, Subject
`contract.outcome_subject`, MessageAttributes `contract.message_attributes`); all outcomes end in
`Reported` (Succeed): the occurrence was handled and reported. An execution therefore fails, times
out or is aborted only when the orchestrator itself broke (a publish that kept failing, an input
it could not even read, an owner lookup it could not make, an own job SageMaker did not stop),
which is what the ExecutionsFailed,
ExecutionsTimedOut and ExecutionsAborted alarms report: platform health, never a job outcome.

Whoever may call states:StartExecution on the state machine chooses the subnets, security groups
and KMS key of the job (within the checks of `CheckInput`): network-iam grants that action to the
team's schedule-invoker role only (README, "Starting an execution by hand").

`sync=False` swaps in the request/response `createTrainingJob` followed by `DescribeStartedJob`
(DescribeTrainingJob, standing in for the final description `.sync` returns). It exists for tests
only: moto's ASL interpreter executes request/response SageMaker tasks but not `.sync`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from retraining_stack.lambda_function import contract
from retraining_stack.lambda_function.contract import OutcomeStatus
from retraining_stack.lambda_function.invocation import (
    TOPIC_ARN_PATTERN,
    Problem,
    validate_job_name_prefix,
    validate_topic_arn,
    validate_training_spec,
)

EXECUTION_INPUT_TIME_KEY: Final = "time"
EXECUTION_INPUT_INFRASTRUCTURE_KEY: Final = "trainingInfrastructure"
INFRASTRUCTURE_SUBNET_IDS: Final = "subnetIds"
INFRASTRUCTURE_SECURITY_GROUP_IDS: Final = "securityGroupIds"
INFRASTRUCTURE_KMS_KEY_ARN: Final = "kmsKeyArn"
_INFRASTRUCTURE: Final = f"$.{EXECUTION_INPUT_INFRASTRUCTURE_KEY}"
# Where the Task's parameters take network-iam's provider-computed values from.
SUBNET_IDS_PATH: Final = f"{_INFRASTRUCTURE}.{INFRASTRUCTURE_SUBNET_IDS}"
SECURITY_GROUP_IDS_PATH: Final = f"{_INFRASTRUCTURE}.{INFRASTRUCTURE_SECURITY_GROUP_IDS}"
KMS_KEY_ARN_PATH: Final = f"{_INFRASTRUCTURE}.{INFRASTRUCTURE_KMS_KEY_ARN}"
RULE_TARGET_INPUT_PATHS: Final[Mapping[str, str]] = {EXECUTION_INPUT_TIME_KEY: "$.time"}
# StringMatches supports only "*": this is the shape check, the split below does the rest.
EXECUTION_INPUT_TIME_SHAPE: Final = "*-*-*T*:*:*Z"
TIME_DELIMITERS: Final = "-T:Z"

INPUT_INVALID_REASON: Final = (
    "The execution input must be an object whose time key holds a UTC timestamp ending in Z "
    "(e.g. 2026-11-26T06:00:00Z) and whose trainingInfrastructure key holds subnetIds (a list of "
    "subnet ids), securityGroupIds (a list of security group ids) and kmsKeyArn (a KMS key ARN "
    "of this account and region), as produced by the EventBridge rule input transformer or the "
    "Scheduler target input. Received: {}"
)
"""An intrinsic-function string literal: no braces, quotes or backslashes but the placeholder."""

# Error names (Step Functions developer guide): the optimized SageMaker integration reports API
# errors as `SageMaker.<Exception>` ("Manage SageMaker with Step Functions" retries
# SageMaker.AmazonSageMakerException and SageMaker.ResourceLimitExceededException);
# `States.TaskFailed` matches every error but States.Timeout, and a `.sync` task that waited for
# a job which then failed reports it ("Error handling in Step Functions").
TASK_FAILED: Final = "States.TaskFailed"
SAGEMAKER_QUOTA_ERROR: Final = "SageMaker.ResourceLimitExceededException"
SAGEMAKER_TRANSIENT_ERRORS: Final = (
    "SageMaker.AmazonSageMakerException",
    "SageMaker.ThrottlingException",
)
# SageMaker's error codes (CreateTrainingJob API reference, Errors), matched in the error name or
# its cause (the optimized integration puts the service's error code in the cause).
RESOURCE_IN_USE: Final = "ResourceInUse"
RESOURCE_LIMIT_EXCEEDED: Final = "ResourceLimitExceeded"

# Instance quota frees up when other jobs end, which takes hours: wait a bounded few minutes
# (60 s, then at most 120 s: 3 minutes at most, less with jitter), then skip the occurrence.
QUOTA_RETRY: Final[Mapping[str, Any]] = {
    "ErrorEquals": [SAGEMAKER_QUOTA_ERROR],
    "IntervalSeconds": 60,
    "BackoffRate": 2.0,
    "MaxAttempts": 2,
    "MaxDelaySeconds": 120,
    "JitterStrategy": "FULL",
}
TRANSIENT_RETRY: Final[Mapping[str, Any]] = {
    "ErrorEquals": list(SAGEMAKER_TRANSIENT_ERRORS),
    "IntervalSeconds": 5,
    "BackoffRate": 2.0,
    "MaxAttempts": 3,
    "JitterStrategy": "FULL",
}

# A create whose answer was an error although it created the job (a 5xx after the fact) is retried
# and answers ResourceInUse; when the job carries this execution's tag, the machine waits for it
# itself (the .sync task no longer does): Wait, DescribeTrainingJob, until the job has ended. The
# wait is bounded by what SageMaker allows the job: it stops a job at MaxRuntimeInSeconds (spot:
# MaxWaitTimeInSeconds, which counts the wait for capacity too) ("StoppingCondition", SageMaker
# API reference), plus a grace for starting, uploading and stopping. A standard execution holds at
# most 25,000 history events ("Step Functions service quotas"); one poll writes 11 (Wait 2, Task 5,
# Choice 2, Pass 2), so at most OWN_JOB_MAX_POLLS polls: 11,000 events, room for retries. Longer
# limits poll less often.
OWN_JOB_MIN_POLL_SECONDS: Final = 60
OWN_JOB_MAX_POLLS: Final = 1000
OWN_JOB_GRACE_SECONDS: Final = 3600
STOPPING_CONDITION_KEYS: Final = ("MaxRuntimeInSeconds", "MaxWaitTimeInSeconds")


@dataclass(frozen=True)
class OwnJobWait:
    """How the machine waits for the job it created when the create's answer was lost."""

    seconds: int
    """Between two DescribeTrainingJob calls."""
    max_polls: int
    """After this many polls of a job still running, the execution fails (platform health)."""


def own_job_wait(stopping_condition: Mapping[str, Any]) -> OwnJobWait:
    """The bounded poll for a job limited by `stopping_condition` (validated by the caller)."""
    limit = OWN_JOB_GRACE_SECONDS + max(
        int(stopping_condition.get(key, 0)) for key in STOPPING_CONDITION_KEYS
    )
    seconds = max(OWN_JOB_MIN_POLL_SECONDS, -(-limit // OWN_JOB_MAX_POLLS))
    return OwnJobWait(seconds=seconds, max_polls=-(-limit // seconds))


def _stopping_condition_problems(training_spec: Mapping[str, Any]) -> list[Problem]:
    """The poll for an own job after a lost answer is bounded by these (positive integers)."""
    stopping = training_spec.get("StoppingCondition")
    if not isinstance(stopping, Mapping):
        return []  # validate_training_spec reports it
    return [
        Problem(f"training_spec.StoppingCondition.{key}", stopping.get(key), "a positive integer")
        for key in STOPPING_CONDITION_KEYS
        if (key in stopping or key == "MaxRuntimeInSeconds")
        and not (
            isinstance(stopping.get(key), int)
            and not isinstance(stopping.get(key), bool)
            and stopping[key] > 0
        )
    ]


# State names the tests, the docs and issue 12's quality gate refer to.
START_TRAINING_JOB: Final = "StartTrainingJob"
TRAINING_ENDED: Final = "TrainingEnded"
GATE_INSERTION_STATE: Final = "TrainingCompleted"
"""Where a completed job goes next: the quality gate (issue 12) starts after this state."""
CLASSIFY_START_FAILURE: Final = "ClassifyStartFailure"
DESCRIBE_ENDED_JOB: Final = "DescribeEndedJob"
ENDED_JOB_UNREADABLE: Final = "EndedJobUnreadable"
CONFIRM_EXISTING_JOB: Final = "ConfirmExistingJob"
READ_JOB_OWNER: Final = "ReadJobOwner"
COMPARE_JOB_OWNER: Final = "CompareJobOwner"
IS_OWN_JOB: Final = "IsOwnJob"
WAIT_FOR_OWN_JOB: Final = "WaitForOwnJob"
DESCRIBE_OWN_JOB: Final = "DescribeOwnJob"
OWN_JOB_ENDED: Final = "OwnJobEnded"
COUNT_OWN_JOB_POLL: Final = "CountOwnJobPoll"
OWN_JOB_UNREADABLE: Final = "OwnJobUnreadable"
OWN_JOB_OUTLIVED_ITS_LIMITS: Final = "OwnJobOutlivedItsLimits"
ALREADY_STARTED_ELSEWHERE: Final = "AlreadyStartedElsewhere"
REPORTED: Final = "Reported"
# Where every state after DeriveTrainingJobName finds the job's name and scheduled occurrence
# (a quality gate's states read them too).
JOB_NAME_PATH: Final = "$.trainingJobName"
OCCURRENCE_PATH: Final = "$.scheduledOccurrence"

# The outcomes this definition reports itself; a quality gate adds its own (Registered, Rejected).
BASE_OUTCOMES: Final = (
    OutcomeStatus.NOT_STARTED,
    OutcomeStatus.COMPLETED,
    OutcomeStatus.FAILED,
    OutcomeStatus.STOPPED,
)

CREATE_TRAINING_JOB_SYNC: Final = "sagemaker:createTrainingJob.sync"
CREATE_TRAINING_JOB: Final = "sagemaker:createTrainingJob"
DESCRIBE_TRAINING_JOB_SDK: Final = "aws-sdk:sagemaker:describeTrainingJob"
LIST_TAGS_SDK: Final = "aws-sdk:sagemaker:listTags"
SNS_PUBLISH: Final = "sns:publish"
# A quality gate's Lambda task (gate_states.JUDGE_MODEL) invokes the gate function.
LAMBDA_INVOKE: Final = "lambda:invoke"

# What the state machine's role needs for each integration this module emits (AWS Step Functions
# developer guide, "IAM policies for ... Amazon SageMaker AI" and "... Amazon SNS").
# `.sync` polls the job (DescribeTrainingJob), stops it when the execution is stopped
# (StopTrainingJob), reads tags (ListTags) and manages the managed rule Step Functions uses to hear
# about job state changes. KMS for the encrypted topic is granted by the key policy in the
# notifications stack (it names the orchestrator roles), so it is not listed here.
INTEGRATION_IAM_ACTIONS: Final[Mapping[str, frozenset[str]]] = {
    CREATE_TRAINING_JOB_SYNC: frozenset(
        {
            "sagemaker:CreateTrainingJob",
            "sagemaker:DescribeTrainingJob",
            "sagemaker:StopTrainingJob",
            "sagemaker:ListTags",
            "iam:PassRole",
            "events:PutTargets",
            "events:PutRule",
            "events:DescribeRule",
        }
    ),
    CREATE_TRAINING_JOB: frozenset({"sagemaker:CreateTrainingJob", "iam:PassRole"}),
    DESCRIBE_TRAINING_JOB_SDK: frozenset({"sagemaker:DescribeTrainingJob"}),
    # AWS SDK integrations need the IAM action of the API they call ("Integrating services with
    # AWS SDK integrations": the role needs the permissions of the called API).
    LIST_TAGS_SDK: frozenset({"sagemaker:ListTags"}),
    SNS_PUBLISH: frozenset({"sns:Publish"}),
    # "IAM policies for invoking AWS Lambda with Step Functions" (Step Functions guide).
    LAMBDA_INVOKE: frozenset({"lambda:InvokeFunction"}),
}
# Tags in CreateTrainingJob are authorized as sagemaker:AddTags as well.
TAGGING_IAM_ACTION: Final = "sagemaker:AddTags"
# Managed rule that `.sync` SageMaker training tasks create and use.
SYNC_EVENTS_RULE_NAME: Final = "StepFunctionsGetEventsForSageMakerTrainingJobsRule"
# CloudWatch Logs delivery (vended logs; these accept only Resource "*") and X-Ray tracing.
LOG_DELIVERY_IAM_ACTIONS: Final = frozenset(
    {
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
)
XRAY_IAM_ACTIONS: Final = frozenset(
    {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
    }
)


class StateMachineDefinitionError(ValueError):
    """The inputs of `build_definition` are malformed; lists every problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"cannot build the retraining state machine: {len(self.problems)} problem(s):\n{lines}"
        )


def training_infrastructure(
    *, subnet_ids: Sequence[str], security_group_ids: Sequence[str], kms_key_arn: str
) -> dict[str, Any]:
    """The execution input's `trainingInfrastructure`: where and with which key the job runs."""
    return {
        INFRASTRUCTURE_SUBNET_IDS: list(subnet_ids),
        INFRASTRUCTURE_SECURITY_GROUP_IDS: list(security_group_ids),
        INFRASTRUCTURE_KMS_KEY_ARN: kms_key_arn,
    }


def rule_target_input_template(infrastructure: Mapping[str, Any]) -> str:
    """The EventBridge rule target's InputTemplate (with `RULE_TARGET_INPUT_PATHS`): the
    occurrence from the "Scheduled Event", the infrastructure as literal JSON."""
    return (
        f'{{"{EXECUTION_INPUT_TIME_KEY}": <time>, "{EXECUTION_INPUT_INFRASTRUCTURE_KEY}": '
        f"{json.dumps(dict(infrastructure))}}}"
    )


def rule_target_input_transformer(
    infrastructure: Mapping[str, Any],
) -> tuple[dict[str, str], str]:
    """(InputPathsMap, InputTemplate) that turn a "Scheduled Event" into the execution input."""
    return dict(RULE_TARGET_INPUT_PATHS), rule_target_input_template(infrastructure)


def scheduler_target_input(infrastructure: Mapping[str, Any]) -> str:
    """The EventBridge Scheduler target `Input` (a JSON string) for the state machine."""
    return json.dumps(
        {
            EXECUTION_INPUT_TIME_KEY: "<aws.scheduler.scheduled-time>",
            EXECUTION_INPUT_INFRASTRUCTURE_KEY: dict(infrastructure),
        }
    )


def _time_part(index: int) -> str:
    return f"States.ArrayGetItem(States.StringSplit($.time, '{TIME_DELIMITERS}'), {index})"


def _year_to_minute() -> str:
    return ", ".join(_time_part(index) for index in range(5))


def _infrastructure_problems(training_spec: Mapping[str, Any]) -> list[Problem]:
    """The spec must not set what the execution input supplies (one source of truth)."""
    source = f"the execution input's {EXECUTION_INPUT_INFRASTRUCTURE_KEY}"
    problems = [
        Problem(f"training_spec.{key}", training_spec[key], f"no {key} (it comes from {source})")
        for key in ("VpcConfig", "VpcConfig.$")
        if key in training_spec
    ]
    for section, key in (("OutputDataConfig", "KmsKeyId"), ("ResourceConfig", "VolumeKmsKeyId")):
        fields = training_spec.get(section)
        if not isinstance(fields, dict):
            continue
        problems.extend(
            Problem(
                f"training_spec.{section}.{name}",
                fields[name],
                f"no {name} (it comes from {source})",
            )
            for name in (key, f"{key}.$")
            if name in fields
        )
    return problems


def _integration(partition: str, integration: str) -> str:
    return f"arn:{partition}:states:::{integration}"


def report_state(status: OutcomeStatus) -> str:
    """The Pass state that builds the message of `status` (the gate's states end by going here)."""
    return f"Report{status.value}"


def notify_state(status: OutcomeStatus) -> str:
    """The Task state that publishes the message of `status`."""
    return f"Notify{status.value}"


@dataclass(frozen=True)
class QualityGate:
    """Issue 12's insertion point: states run after the job completed, instead of reporting
    Completed. `start_at` is the first of `states`; they end by going to `report_state(s)` of
    `outcomes` (e.g. Registered, Rejected), whose Report/Notify states the definition adds."""

    start_at: str
    states: Mapping[str, Any]
    outcomes: tuple[OutcomeStatus, ...] = field(default=())


@dataclass(frozen=True)
class _Reporting:
    """What every message of this state machine names: where it goes and whose job it is."""

    topic_arn: str
    team: str
    model: str
    environment: str
    console_url_format: str
    """`contract.console_url` with `{}` for the job name; "" where there is no console."""


def transient_task_retry() -> list[dict[str, Any]]:
    """The Retry of a publish (and of the duplicate's confirmation): a few attempts, seconds
    apart, so a transient service error does not lose the occurrence's one message."""
    return [
        {
            "ErrorEquals": [TASK_FAILED],
            "IntervalSeconds": 2,
            "BackoffRate": 2.0,
            "MaxAttempts": 4,
            "JitterStrategy": "FULL",
        }
    ]


def _outcome_states(status: OutcomeStatus, reporting: _Reporting) -> dict[str, Any]:
    """`Report<Status>` (the JSON body, keys `contract.MESSAGE_KEYS`) and `Notify<Status>`.

    Reads `$.trainingJobName`, `$.scheduledOccurrence` and `$.outcome.reason`."""
    team, model, environment = reporting.team, reporting.model, reporting.environment
    console: dict[str, str] = {"consoleUrl": ""}
    if status is not OutcomeStatus.NOT_STARTED and reporting.console_url_format:
        console = {
            "consoleUrl.$": f"States.Format('{reporting.console_url_format}', $.trainingJobName)"
        }
    message: dict[str, Any] = {
        "subject": contract.outcome_subject(status, team, model, environment),
        "status": status.value,
        "team": team,
        "model": model,
        "environment": environment,
        "scheduledOccurrence.$": OCCURRENCE_PATH,
        "trainingJobName.$": JOB_NAME_PATH,
        "reason.$": "$.outcome.reason",
        **console,
    }
    partition = reporting.topic_arn.split(":")[1]
    return {
        report_state(status): {
            "Type": "Pass",
            "Comment": f"The one message of this occurrence: {status.value}.",
            "Parameters": message,
            "ResultPath": "$.message",
            "Next": notify_state(status),
        },
        notify_state(status): {
            "Type": "Task",
            "Resource": _integration(partition, SNS_PUBLISH),
            "Parameters": {
                "TopicArn": reporting.topic_arn,
                "Subject": message["subject"],
                "Message.$": "States.JsonToString($.message)",
                "MessageAttributes": contract.message_attributes(status, team, model, environment),
            },
            "ResultPath": None,
            "Retry": transient_task_retry(),
            "Next": REPORTED,
        },
    }


def _reason(value: str, next_state: str, comment: str) -> dict[str, Any]:
    """A Pass state that records the outcome's reason (`value`: a JSONPath or an intrinsic)."""
    return {
        "Type": "Pass",
        "Comment": comment,
        "Parameters": {"reason.$": value},
        "ResultPath": "$.outcome",
        "Next": next_state,
    }


def _is_string(path: str) -> list[dict[str, Any]]:
    return [{"Variable": path, "IsPresent": True}, {"Variable": path, "IsString": True}]


def _string_matching(path: str, pattern: str) -> list[dict[str, Any]]:
    """Choice conditions: `path` is a string matching `pattern` (IsPresent first: a comparison
    on a missing path is a runtime error)."""
    return [*_is_string(path), {"Variable": path, "StringMatches": pattern}]


def _not_task_failed() -> dict[str, Any]:
    return {"Not": {"Variable": "$.failure.Error", "StringEquals": TASK_FAILED}}


def _names_error(code: str, error_name: str | None = None) -> dict[str, Any]:
    """The create call failed with SageMaker error `code`: named in the error or in its cause."""
    by_name: dict[str, Any] = (
        {"Variable": "$.failure.Error", "StringEquals": error_name}
        if error_name
        else {"Variable": "$.failure.Error", "StringMatches": f"*{code}*"}
    )
    return {
        "And": [
            _not_task_failed(),
            {"Or": [by_name, {"And": _string_matching("$.failure.Cause", f"*{code}*")}]},
        ]
    }


def _describe_job(partition: str, next_state: str, unreadable: str) -> dict[str, Any]:
    """DescribeTrainingJob of this occurrence's job into `$.trainingJob`, whole: the same
    description a `.sync` task returns on success (a ResultSelector cannot pick FailureReason,
    which only failed jobs have: a path that matches nothing is a States.Runtime error)."""
    return {
        "Type": "Task",
        "Resource": _integration(partition, DESCRIBE_TRAINING_JOB_SDK),
        "Parameters": {"TrainingJobName.$": JOB_NAME_PATH},
        "ResultPath": "$.trainingJob",
        "Retry": transient_task_retry(),
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": unreadable}],
        "Next": next_state,
    }


def _own_job_states(partition: str, wait: OwnJobWait) -> dict[str, Any]:
    """ResourceInUse: whose job is it? This execution's (its create created the job but answered
    an error, and the retry found the name taken): wait for it and report how it ended. Another
    execution's (a redelivered occurrence): that execution reports it; end quietly."""
    job_status = "$.trainingJob.TrainingJobStatus"
    running = {
        "Or": [
            {"Variable": job_status, "StringEquals": "InProgress"},
            {"Variable": job_status, "StringEquals": "Stopping"},
        ]
    }
    return {
        CONFIRM_EXISTING_JOB: {
            "Type": "Task",
            "Comment": (
                "ResourceInUse: the job exists; its ARN for ListTags. If this (or ReadJobOwner) "
                "keeps failing the execution fails and the ExecutionsFailed alarm reports a "
                "broken orchestrator: whose job it is cannot be known."
            ),
            "Resource": _integration(partition, DESCRIBE_TRAINING_JOB_SDK),
            "Parameters": {"TrainingJobName.$": JOB_NAME_PATH},
            "ResultSelector": {
                "TrainingJobArn.$": "$.TrainingJobArn",
                "TrainingJobStatus.$": "$.TrainingJobStatus",
            },
            "ResultPath": "$.existingTrainingJob",
            "Retry": transient_task_retry(),
            "Next": READ_JOB_OWNER,
        },
        READ_JOB_OWNER: {
            "Type": "Task",
            "Comment": (
                "DescribeTrainingJob does not return tags: ListTags. A job has at most 50 tags "
                "(CreateTrainingJob API reference, Tags) and MaxResults is at least 50: one page."
            ),
            "Resource": _integration(partition, LIST_TAGS_SDK),
            "Parameters": {
                "ResourceArn.$": "$.existingTrainingJob.TrainingJobArn",
                "MaxResults": 50,
            },
            # `[*]` always yields an array (an indefinite path). Only the execution tag can hold
            # this execution's ARN: user tag values are fixed in the stack config before any
            # execution exists.
            "ResultSelector": {"tagValues.$": "$.Tags[*].Value"},
            "ResultPath": "$.jobOwner",
            "Retry": transient_task_retry(),
            "Next": COMPARE_JOB_OWNER,
        },
        COMPARE_JOB_OWNER: {
            "Type": "Pass",
            "Comment": f"Tagged {contract.TAG_ORCHESTRATOR_EXECUTION} = this execution's ARN?",
            "Parameters": {
                "isThisExecution.$": "States.ArrayContains($.jobOwner.tagValues, $$.Execution.Id)",
                "polls": 0,
            },
            "ResultPath": "$.jobOwner",
            "Next": IS_OWN_JOB,
        },
        IS_OWN_JOB: {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.jobOwner.isThisExecution",
                    "BooleanEquals": True,
                    "Next": WAIT_FOR_OWN_JOB,
                }
            ],
            "Default": ALREADY_STARTED_ELSEWHERE,
        },
        WAIT_FOR_OWN_JOB: {
            "Type": "Wait",
            "Comment": (
                "This execution created the job: wait for it as .sync would have "
                f"(at most {wait.max_polls} polls, {wait.seconds} s apart: the job's "
                "StoppingCondition plus a grace)."
            ),
            "Seconds": wait.seconds,
            "Next": DESCRIBE_OWN_JOB,
        },
        DESCRIBE_OWN_JOB: _describe_job(partition, OWN_JOB_ENDED, OWN_JOB_UNREADABLE),
        OWN_JOB_ENDED: {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        running,
                        {
                            "Variable": "$.jobOwner.polls",
                            "NumericLessThan": wait.max_polls,
                        },
                    ],
                    "Next": COUNT_OWN_JOB_POLL,
                },
                {**running, "Next": OWN_JOB_OUTLIVED_ITS_LIMITS},
            ],
            "Default": TRAINING_ENDED,
        },
        COUNT_OWN_JOB_POLL: {
            "Type": "Pass",
            "Parameters": {
                "isThisExecution.$": "$.jobOwner.isThisExecution",
                "polls.$": "States.MathAdd($.jobOwner.polls, 1)",
            },
            "ResultPath": "$.jobOwner",
            "Next": WAIT_FOR_OWN_JOB,
        },
        OWN_JOB_UNREADABLE: _reason(
            "States.Format('the training job was started, but the orchestrator could not read "
            "its state while waiting for it, so how it ends is not reported here; look at the "
            "job in the console: {}', States.JsonToString($.failure))",
            report_state(OutcomeStatus.FAILED),
            "DescribeTrainingJob kept failing: one message, never a silent end.",
        ),
        OWN_JOB_OUTLIVED_ITS_LIMITS: {
            "Type": "Fail",
            "Comment": (
                "SageMaker should have stopped the job by now (StoppingCondition): not a job "
                "outcome but a platform problem, reported by the ExecutionsFailed alarm."
            ),
            "Error": "Retraining.OwnJobOutlivedItsLimits",
            "Cause": (
                f"the training job was still running after {wait.max_polls} polls "
                f"{wait.seconds} s apart, longer than its StoppingCondition allows"
            ),
        },
    }


def _training_states(
    partition: str,
    parameters: dict[str, Any],
    *,
    sync: bool,
    gate: QualityGate | None,
    wait: OwnJobWait,
) -> dict[str, Any]:
    """From the start of the job to the outcome it ended in (or the start failure)."""
    job_status = "$.trainingJob.TrainingJobStatus"
    states: dict[str, Any] = {
        START_TRAINING_JOB: {
            "Type": "Task",
            "Resource": _integration(
                partition, CREATE_TRAINING_JOB_SYNC if sync else CREATE_TRAINING_JOB
            ),
            "Parameters": parameters,
            "ResultPath": "$.trainingJob",
            "Retry": [dict(QUOTA_RETRY), dict(TRANSIENT_RETRY)],
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "ResultPath": "$.failure",
                    "Next": CLASSIFY_START_FAILURE,
                }
            ],
            "Next": TRAINING_ENDED if sync else "DescribeStartedJob",
        },
        TRAINING_ENDED: {
            "Type": "Choice",
            "Comment": "How the job ended (the final DescribeTrainingJob response).",
            "Choices": [
                {
                    "And": [
                        *_is_string(job_status),
                        {"Variable": job_status, "StringEquals": "Completed"},
                    ],
                    "Next": GATE_INSERTION_STATE,
                },
                {
                    "And": [
                        *_is_string(job_status),
                        {"Variable": job_status, "StringEquals": "Stopped"},
                        *_is_string("$.trainingJob.SecondaryStatus"),
                    ],
                    "Next": "JobStopped",
                },
                {"And": _is_string("$.trainingJob.FailureReason"), "Next": "JobFailed"},
            ],
            "Default": "JobFailedWithoutReason",
        },
        GATE_INSERTION_STATE: {
            "Type": "Pass",
            "Comment": (
                "The job completed. A quality gate (issue 12) runs from here and reports "
                "Registered or Rejected instead of Completed."
            ),
            "Result": {"reason": ""},
            "ResultPath": "$.outcome",
            "Next": gate.start_at if gate else report_state(OutcomeStatus.COMPLETED),
        },
        "JobStopped": _reason(
            "$.trainingJob.SecondaryStatus",
            report_state(OutcomeStatus.STOPPED),
            "Stopped: by a person, MaxRuntimeExceeded or (spot) MaxWaitTimeExceeded.",
        ),
        "JobFailed": _reason(
            "$.trainingJob.FailureReason", report_state(OutcomeStatus.FAILED), "SageMaker's reason."
        ),
        "JobFailedWithoutReason": {
            "Type": "Pass",
            "Result": {"reason": "the training job did not complete and SageMaker gave no reason"},
            "ResultPath": "$.outcome",
            "Next": report_state(OutcomeStatus.FAILED),
        },
        CLASSIFY_START_FAILURE: {
            "Type": "Choice",
            "Comment": (
                "States.TaskFailed: the .sync job ran and ended Failed or Stopped; read how "
                "from its description (not from the Cause). Otherwise CreateTrainingJob itself "
                "failed: ResourceInUse (this occurrence's job exists), quota, or anything else."
            ),
            "Choices": [
                {
                    "Variable": "$.failure.Error",
                    "StringEquals": TASK_FAILED,
                    "Next": DESCRIBE_ENDED_JOB,
                },
                {**_names_error(RESOURCE_IN_USE), "Next": CONFIRM_EXISTING_JOB},
                {
                    **_names_error(RESOURCE_LIMIT_EXCEEDED, SAGEMAKER_QUOTA_ERROR),
                    "Next": "SkippedForQuota",
                },
            ],
            "Default": "StartFailed",
        },
        DESCRIBE_ENDED_JOB: _describe_job(partition, TRAINING_ENDED, ENDED_JOB_UNREADABLE),
        ENDED_JOB_UNREADABLE: _reason(
            "States.Format('the training job ended without completing, but its description "
            "could not be read; look at the job in the console: {}', "
            "States.JsonToString($.failure))",
            report_state(OutcomeStatus.FAILED),
            "DescribeTrainingJob kept failing: one message, never a silent end.",
        ),
        **_own_job_states(partition, wait),
        ALREADY_STARTED_ELSEWHERE: {
            "Type": "Pass",
            "Comment": "A redelivered occurrence: the execution that started the job reports it.",
            "Parameters": {
                "trainingJobName.$": "$.trainingJobName",
                "scheduledOccurrence.$": "$.scheduledOccurrence",
                "existingTrainingJob.$": "$.existingTrainingJob",
            },
            "End": True,
        },
        "SkippedForQuota": _reason(
            f"States.Format('{contract.QUOTA_REASON_PREFIX} (the next occurrence tries again): "
            "{}', States.JsonToString($.failure))",
            report_state(OutcomeStatus.NOT_STARTED),
            "Instance quota still exceeded after a bounded retry: skip this occurrence.",
        ),
        "StartFailed": _reason(
            "States.Format('CreateTrainingJob failed: {}', States.JsonToString($.failure))",
            report_state(OutcomeStatus.NOT_STARTED),
            "No job was created.",
        ),
    }
    if not sync:
        states["DescribeStartedJob"] = {
            "Type": "Task",
            "Comment": (
                "Tests only: stands in for the final description .sync returns (its fields "
                "that every description has; moto cannot carry the full one's timestamps)."
            ),
            "Resource": _integration(partition, DESCRIBE_TRAINING_JOB_SDK),
            "Parameters": {"TrainingJobName.$": "$.trainingJobName"},
            "ResultSelector": {
                "TrainingJobArn.$": "$.TrainingJobArn",
                "TrainingJobStatus.$": "$.TrainingJobStatus",
                "SecondaryStatus.$": "$.SecondaryStatus",
            },
            "ResultPath": "$.trainingJob",
            "Retry": transient_task_retry(),
            "Next": TRAINING_ENDED,
        }
    return states


def _training_parameters(
    training_spec: Mapping[str, Any], job_name_prefix: str, *, volume_kms_key: bool
) -> dict[str, Any]:
    """CreateTrainingJob's request: the spec, the name, the orchestrator's tags and the
    infrastructure as JSONPath parameters into the execution input."""
    parameters: dict[str, Any] = json.loads(json.dumps(training_spec))  # deep copy
    parameters["TrainingJobName.$"] = "$.trainingJobName"
    parameters["VpcConfig"] = {
        "Subnets.$": SUBNET_IDS_PATH,
        "SecurityGroupIds.$": SECURITY_GROUP_IDS_PATH,
    }
    parameters["OutputDataConfig"]["KmsKeyId.$"] = KMS_KEY_ARN_PATH
    if volume_kms_key:
        parameters["ResourceConfig"]["VolumeKmsKeyId.$"] = KMS_KEY_ARN_PATH
    parameters["Tags"] = [
        *parameters.get("Tags", []),
        {"Key": contract.TAG_JOB_NAME_PREFIX, "Value": job_name_prefix},
        {"Key": contract.TAG_SCHEDULED_OCCURRENCE, "Value.$": "$.scheduledOccurrence"},
        # Whose job it is, for a retried create that answers ResourceInUse (`_own_job_states`).
        {"Key": contract.TAG_ORCHESTRATOR_EXECUTION, "Value.$": "$$.Execution.Id"},
    ]
    return parameters


def build_definition(
    training_spec: dict[str, Any],
    topic_arn: str,
    job_name_prefix: str,
    *,
    team: str,
    model: str,
    environment: str,
    volume_kms_key: bool,
    sync: bool = True,
    quality_gate: QualityGate | None = None,
) -> dict[str, Any]:
    """The Amazon States Language definition (a dict; `json.dumps` it for the resource).

    `training_spec` is the request without VpcConfig and KMS key ids: those come from the
    execution input. `team`, `model` and `environment` name the job in every message.
    `volume_kms_key` is False for instance types with local NVMe storage
    (`training_spec.sends_volume_kms_key`). Raises StateMachineDefinitionError listing every
    problem with the inputs.
    """
    problems = [
        *validate_training_spec(training_spec, "training_spec"),
        *validate_topic_arn(topic_arn, "topic_arn"),
        *validate_job_name_prefix(job_name_prefix, "job_name_prefix"),
    ]
    if isinstance(training_spec, dict):
        problems.extend(_infrastructure_problems(training_spec))
        problems.extend(_stopping_condition_problems(training_spec))
    if problems:
        raise StateMachineDefinitionError(problems)
    topic = TOPIC_ARN_PATTERN.fullmatch(topic_arn)
    partition = topic["partition"] if topic else "aws"
    region = topic["region"] if topic else ""
    account = topic_arn.split(":")[4]
    # Only keys of the deployment's account and region (the topic's: upstream checks they match).
    kms_key_arn_shape = f"arn:{partition}:kms:{region}:{account}:key/*"
    reporting = _Reporting(
        topic_arn,
        team,
        model,
        environment,
        console_url_format=contract.console_url(partition, region, "{}"),
    )

    states: dict[str, Any] = {
        "CheckInput": {
            "Type": "Choice",
            "Comment": (
                'The execution input must be {"time": "<UTC timestamp ending in Z>", '
                '"trainingInfrastructure": {"subnetIds": [...], "securityGroupIds": [...], '
                '"kmsKeyArn": "<key ARN of this account and region>"}}.'
            ),
            "Choices": [
                {
                    "And": [
                        *_string_matching("$.time", EXECUTION_INPUT_TIME_SHAPE),
                        *_string_matching(f"{SUBNET_IDS_PATH}[0]", "subnet-*"),
                        *_string_matching(f"{SECURITY_GROUP_IDS_PATH}[0]", "sg-*"),
                        *_string_matching(KMS_KEY_ARN_PATH, kms_key_arn_shape),
                    ],
                    "Next": "DeriveTrainingJobName",
                }
            ],
            "Default": "RejectInput",
        },
        "RejectInput": {
            "Type": "Pass",
            "Comment": "Nothing was started: one NotStarted message says what was received.",
            "Parameters": {
                "trainingJobName": "",
                "scheduledOccurrence": "",
                "outcome": {
                    "reason.$": f"States.Format('{INPUT_INVALID_REASON}', States.JsonToString($))"
                },
            },
            "Next": report_state(OutcomeStatus.NOT_STARTED),
        },
        "DeriveTrainingJobName": {
            "Type": "Pass",
            "Comment": "prefix + YYYYMMDDHHMM of the scheduled occurrence: the idempotency key.",
            "Parameters": {
                "time.$": "$.time",
                f"{EXECUTION_INPUT_INFRASTRUCTURE_KEY}.$": _INFRASTRUCTURE,
                "scheduledOccurrence.$": f"States.Format('{{}}-{{}}-{{}}T{{}}:{{}}:00Z', "
                f"{_year_to_minute()})",
                "trainingJobName.$": f"States.Format('{job_name_prefix}{{}}{{}}{{}}{{}}{{}}', "
                f"{_year_to_minute()})",
            },
            "Next": START_TRAINING_JOB,
        },
        **_training_states(
            partition,
            _training_parameters(training_spec, job_name_prefix, volume_kms_key=volume_kms_key),
            sync=sync,
            gate=quality_gate,
            wait=own_job_wait(training_spec["StoppingCondition"]),
        ),
    }
    outcomes = BASE_OUTCOMES + (quality_gate.outcomes if quality_gate else ())
    if quality_gate:
        # The gate reports a completed job instead; Step Functions refuses a definition with a
        # state nothing reaches ("MISSING_TRANSITION_TARGET: State ... is not reachable", the
        # CreateStateMachine InvalidDefinition error quoted in localstack/localstack#11978 and
        # aws-cloudformation/cfn-lint#4073).
        outcomes = tuple(status for status in outcomes if status is not OutcomeStatus.COMPLETED)
    for status in outcomes:
        states.update(_outcome_states(status, reporting))
    states[REPORTED] = {
        "Type": "Succeed",
        "Comment": "The occurrence was handled and its one outcome message published.",
    }
    if quality_gate:
        clashes = sorted(set(quality_gate.states) & set(states))
        if clashes:
            raise StateMachineDefinitionError(
                [Problem("quality_gate.states", clashes, "state names not already used")]
            )
        states.update(quality_gate.states)
    return {
        "Comment": (
            f"Starts the SageMaker training job {job_name_prefix}<YYYYMMDDHHMM> of one scheduled "
            "occurrence and publishes its one outcome message."
        ),
        "StartAt": "CheckInput",
        "States": states,
    }


def _task_resources(states: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for state in states.values():
        if state.get("Type") == "Task":
            yield str(state["Resource"]), state.get("Parameters", {})
        for branch in state.get("Branches", []):  # Parallel
            yield from _task_resources(branch.get("States", {}))
        processor = state.get("ItemProcessor") or state.get("Iterator")  # Map
        if processor:
            yield from _task_resources(processor.get("States", {}))


def required_iam_actions(definition: Mapping[str, Any]) -> frozenset[str]:
    """Every IAM action the state machine's role needs for the integrations `definition` uses.

    Raises ValueError for an integration this module does not know, so that adding one without
    deciding its permissions fails loudly instead of widening or breaking the role silently.
    """
    actions: set[str] = set()
    for resource, parameters in _task_resources(definition.get("States", {})):
        # arn:<partition>:states:::<integration>
        parts = resource.split(":", 5)
        integration = parts[5] if len(parts) == 6 and parts[2] == "states" else ""
        if integration not in INTEGRATION_IAM_ACTIONS:
            raise ValueError(
                f"unknown Step Functions integration {resource!r}: expected one of "
                f"{sorted(INTEGRATION_IAM_ACTIONS)} (add its IAM actions to "
                "INTEGRATION_IAM_ACTIONS)"
            )
        actions |= INTEGRATION_IAM_ACTIONS[integration]
        if integration in {CREATE_TRAINING_JOB, CREATE_TRAINING_JOB_SYNC} and "Tags" in parameters:
            actions.add(TAGGING_IAM_ACTION)
    return frozenset(actions)
