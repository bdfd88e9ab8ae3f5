"""The Step Functions orchestrator: an Amazon States Language definition from the training spec.

Execution input (one shape for both triggers)::

    {"time": "2026-11-26T06:00:00Z",
     "trainingInfrastructure": {"subnetIds": ["subnet-0123456789abcdef0", ...],
                                "securityGroupIds": ["sg-0123456789abcdef0"],
                                "kmsKeyArn": "arn:aws:kms:<region>:<account>:key/<id>"}}

`trainingInfrastructure` carries network-iam's provider-computed values (the private subnets, the
training security group, the team KMS key). They travel in the input, not in the definition, for
the same reason the Lambda gets them in separate environment variables: a preview of a new
network-iam does not know them, one unknown value makes the whole definition string unknown, and
the policy pack must read the definition at preview. The schedule target supplies them:

- EventBridge rule target: `RULE_TARGET_INPUT_PATHS` (`{"time": "$.time"}`) and
  `rule_target_input_template(infrastructure)` (`{"time": <time>, "trainingInfrastructure":
  {...}}`) turn the "Scheduled Event" into it;
- EventBridge Scheduler target: `scheduler_target_input(infrastructure)` (`{"time":
  "<aws.scheduler.scheduled-time>", "trainingInfrastructure": {...}}`), which Scheduler fills in at
  invocation time.

Both send UTC timestamps ending in "Z". The definition:

1. `CheckInput` rejects any other input (routed to the failure notification, not silently dropped;
   a missing `trainingInfrastructure` path would otherwise fail the Task with an uncatchable
   States.Runtime error). The KMS key must be a key ARN of the topic's account and region;
2. `DeriveTrainingJobName` splits the time on "-", "T", ":" and "Z" (`States.StringSplit` treats its
   second argument as a set of delimiter characters) and formats prefix + YYYYMMDDHHMM, exactly the
   name the Lambda orchestrator derives, so both orchestrators are idempotent the same way;
3. `StartTrainingJob` runs `createTrainingJob.sync` with the spec as Parameters plus
   `TrainingJobName.$`, the orchestrator's two tags (`scheduled-occurrence` with `Value.$`) and the
   infrastructure as JSONPath parameters: `VpcConfig.Subnets.$`, `VpcConfig.SecurityGroupIds.$`,
   `OutputDataConfig.KmsKeyId.$` and, unless the instance type trains on local NVMe storage
   (`volume_kms_key=False`: CreateTrainingJob rejects a volume key there),
   `ResourceConfig.VolumeKmsKeyId.$`;
4. on success `NotifySuccess` publishes to the topic; on any error `ClassifyFailure` tells a
   duplicate delivery (CreateTrainingJob answered ResourceInUse for this occurrence's name) from a
   real failure: a duplicate is confirmed with DescribeTrainingJob and ends quietly in
   `AlreadyStarted` (the execution that started the job reports on it), a real failure is
   published by `NotifyFailure` (error and cause) and ends in the `Failed` state.

Whoever may call states:StartExecution on the state machine chooses the subnets, security groups
and KMS key of the job (within the checks above): network-iam grants that action to the team's
schedule-invoker role only (README, "Starting an execution by hand").

Retries: `SageMaker.ResourceLimitExceededException` (instance quota: frees up when running jobs
end) is retried slowly, `SageMaker.AmazonSageMakerException`/`SageMaker.ThrottlingException`
(how the optimized integration reports throttling and other API errors) quickly; the read-only
DescribeTrainingJob and the SNS publishes retry `States.TaskFailed`. `States.TaskFailed` is
deliberately NOT retried on `StartTrainingJob`: with `.sync` it means the training job itself
failed, and a retry could only reuse the same name (ResourceInUse) or break idempotency with a new
one; the failure is reported instead.

`sync=False` swaps in the request/response `createTrainingJob` integration. It exists for tests
only: moto's ASL interpreter executes request/response SageMaker tasks but not `.sync`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from retraining_stack.lambda_function.contract import TAG_JOB_NAME_PREFIX, TAG_SCHEDULED_OCCURRENCE
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

INPUT_INVALID_ERROR: Final = "RetrainingInputInvalid"
# An intrinsic-function string literal: no braces, quotes or backslashes besides the placeholder.
INPUT_INVALID_CAUSE: Final = (
    "The execution input must be an object whose time key holds a UTC timestamp ending in Z "
    "(e.g. 2026-11-26T06:00:00Z) and whose trainingInfrastructure key holds subnetIds (a list of "
    "subnet ids), securityGroupIds (a list of security group ids) and kmsKeyArn (a KMS key ARN "
    "of this account and region), as produced by the EventBridge rule input transformer or the "
    "Scheduler target input. Nothing was started. Received: {}"
)
FAILED_ERROR: Final = "RetrainingFailed"
EVENT_STARTED: Final = "RetrainingStarted"
EVENT_SUCCEEDED: Final = "RetrainingSucceeded"
EVENT_FAILED: Final = "RetrainingFailed"

CREATE_TRAINING_JOB_SYNC: Final = "sagemaker:createTrainingJob.sync"
CREATE_TRAINING_JOB: Final = "sagemaker:createTrainingJob"
DESCRIBE_TRAINING_JOB_SDK: Final = "aws-sdk:sagemaker:describeTrainingJob"
SNS_PUBLISH: Final = "sns:publish"

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
    SNS_PUBLISH: frozenset({"sns:Publish"}),
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

# SNS Subject: at most 100 printable ASCII characters.
MAX_SUBJECT_LENGTH: Final = 100


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


def _string_matching(path: str, pattern: str) -> list[dict[str, Any]]:
    """Choice conditions: `path` is a string matching `pattern` (IsPresent first: a comparison
    on a missing path is a runtime error)."""
    return [
        {"Variable": path, "IsPresent": True},
        {"Variable": path, "IsString": True},
        {"Variable": path, "StringMatches": pattern},
    ]


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


def _message_attributes(event_name: str, prefix: str) -> dict[str, Any]:
    return {
        "event": {"DataType": "String", "StringValue": event_name},
        "trainingJobNamePrefix": {"DataType": "String", "StringValue": prefix},
    }


def _transient_task_retry() -> list[dict[str, Any]]:
    return [
        {
            "ErrorEquals": ["States.TaskFailed"],
            "IntervalSeconds": 2,
            "BackoffRate": 2.0,
            "MaxAttempts": 4,
            "JitterStrategy": "FULL",
        }
    ]


def build_definition(
    training_spec: dict[str, Any],
    topic_arn: str,
    job_name_prefix: str,
    *,
    volume_kms_key: bool,
    sync: bool = True,
) -> dict[str, Any]:
    """The Amazon States Language definition (a dict; `json.dumps` it for the resource).

    `training_spec` is the request without VpcConfig and KMS key ids: those come from the
    execution input. `volume_kms_key` is False for instance types with local NVMe storage
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
    if problems:
        raise StateMachineDefinitionError(problems)
    topic = TOPIC_ARN_PATTERN.fullmatch(topic_arn)
    partition = topic["partition"] if topic else "aws"
    region = topic["region"] if topic else ""
    account = topic_arn.split(":")[4]
    # Only keys of the deployment's account and region (the topic's: upstream checks they match).
    kms_key_arn_shape = f"arn:{partition}:kms:{region}:{account}:key/*"

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
        {"Key": TAG_JOB_NAME_PREFIX, "Value": job_name_prefix},
        {"Key": TAG_SCHEDULED_OCCURRENCE, "Value.$": "$.scheduledOccurrence"},
    ]
    success_event = EVENT_SUCCEEDED if sync else EVENT_STARTED
    success_verb = "succeeded" if sync else "started"
    success_message: dict[str, Any] = {
        "event": success_event,
        "trainingJobName.$": "$.trainingJobName",
        "trainingJobNamePrefix": job_name_prefix,
        "trainingJobArn.$": "$.trainingJob.TrainingJobArn",
        "scheduledOccurrence.$": "$.scheduledOccurrence",
        "executionArn.$": "$$.Execution.Id",
    }
    if sync:
        # The .sync output is the final DescribeTrainingJob response.
        success_message["trainingJobStatus.$"] = "$.trainingJob.TrainingJobStatus"
    failure_subject = f"Retraining failed for {job_name_prefix.rstrip('-')}"[:MAX_SUBJECT_LENGTH]

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
            "Parameters": {
                "trainingJobName": None,
                "scheduledOccurrence": None,
                "failure": {
                    "Error": INPUT_INVALID_ERROR,
                    "Cause.$": f"States.Format('{INPUT_INVALID_CAUSE}', States.JsonToString($))",
                },
            },
            "Next": "NotifyFailure",
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
            "Next": "StartTrainingJob",
        },
        "StartTrainingJob": {
            "Type": "Task",
            "Resource": _integration(
                partition, CREATE_TRAINING_JOB_SYNC if sync else CREATE_TRAINING_JOB
            ),
            "Parameters": parameters,
            "ResultPath": "$.trainingJob",
            "Retry": [
                {
                    "ErrorEquals": ["SageMaker.ResourceLimitExceededException"],
                    "IntervalSeconds": 60,
                    "BackoffRate": 2.0,
                    "MaxAttempts": 4,
                    "MaxDelaySeconds": 600,
                    "JitterStrategy": "FULL",
                },
                {
                    "ErrorEquals": [
                        "SageMaker.AmazonSageMakerException",
                        "SageMaker.ThrottlingException",
                    ],
                    "IntervalSeconds": 5,
                    "BackoffRate": 2.0,
                    "MaxAttempts": 3,
                    "JitterStrategy": "FULL",
                },
            ],
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "ResultPath": "$.failure",
                    "Next": "ClassifyFailure",
                }
            ],
            "Next": "NotifySuccess",
        },
        "ClassifyFailure": {
            "Type": "Choice",
            "Comment": (
                "ResourceInUse from CreateTrainingJob means this occurrence's job exists: a "
                "duplicate delivery. States.TaskFailed is the .sync job itself failing: report it."
            ),
            "Choices": [
                {
                    "And": [
                        {"Variable": "$.failure.Cause", "IsString": True},
                        {"Variable": "$.failure.Cause", "StringMatches": "*ResourceInUse*"},
                        {
                            "Not": {
                                "Variable": "$.failure.Error",
                                "StringEquals": "States.TaskFailed",
                            }
                        },
                    ],
                    "Next": "DescribeExistingTrainingJob",
                }
            ],
            "Default": "NotifyFailure",
        },
        "DescribeExistingTrainingJob": {
            "Type": "Task",
            "Resource": _integration(partition, DESCRIBE_TRAINING_JOB_SDK),
            "Parameters": {"TrainingJobName.$": "$.trainingJobName"},
            "ResultSelector": {
                "TrainingJobArn.$": "$.TrainingJobArn",
                "TrainingJobStatus.$": "$.TrainingJobStatus",
            },
            "ResultPath": "$.existingTrainingJob",
            "Retry": _transient_task_retry(),
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "ResultPath": "$.describeFailure",
                    "Next": "NotifyFailure",
                }
            ],
            "Next": "AlreadyStarted",
        },
        "AlreadyStarted": {
            "Type": "Pass",
            "Comment": "Duplicate delivery: the execution that started the job reports on it.",
            "Parameters": {
                "outcome": "already_started",
                "trainingJobName.$": "$.trainingJobName",
                "trainingJobArn.$": "$.existingTrainingJob.TrainingJobArn",
                "trainingJobStatus.$": "$.existingTrainingJob.TrainingJobStatus",
                "scheduledOccurrence.$": "$.scheduledOccurrence",
            },
            "End": True,
        },
        "NotifySuccess": {
            "Type": "Task",
            "Resource": _integration(partition, SNS_PUBLISH),
            "Parameters": {
                "TopicArn": topic_arn,
                "Subject.$": f"States.Format('Retraining {success_verb}: {{}}', $.trainingJobName)",
                "Message": success_message,
                "MessageAttributes": _message_attributes(success_event, job_name_prefix),
            },
            "ResultPath": None,
            "Retry": _transient_task_retry(),
            "Next": "Succeeded",
        },
        "Succeeded": {
            "Type": "Pass",
            "Parameters": {
                "outcome": success_verb,
                "trainingJobName.$": "$.trainingJobName",
                "trainingJobArn.$": "$.trainingJob.TrainingJobArn",
                "scheduledOccurrence.$": "$.scheduledOccurrence",
            },
            "End": True,
        },
        "NotifyFailure": {
            "Type": "Task",
            "Resource": _integration(partition, SNS_PUBLISH),
            "Parameters": {
                "TopicArn": topic_arn,
                "Subject": failure_subject,
                "Message": {
                    "event": EVENT_FAILED,
                    "trainingJobNamePrefix": job_name_prefix,
                    "trainingJobName.$": "$.trainingJobName",
                    "scheduledOccurrence.$": "$.scheduledOccurrence",
                    "error.$": "$.failure.Error",
                    "cause.$": "$.failure.Cause",
                    "executionArn.$": "$$.Execution.Id",
                },
                "MessageAttributes": _message_attributes(EVENT_FAILED, job_name_prefix),
            },
            "ResultPath": None,
            "Retry": _transient_task_retry(),
            "Next": "Failed",
        },
        "Failed": {
            "Type": "Fail",
            "Error": FAILED_ERROR,
            "CausePath": "$.failure.Cause",
        },
    }
    return {
        "Comment": (
            f"Starts the SageMaker training job {job_name_prefix}<YYYYMMDDHHMM> of one scheduled "
            "occurrence and reports the outcome to SNS."
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
