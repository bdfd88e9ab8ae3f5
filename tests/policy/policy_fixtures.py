"""Hand-written resource sets mirroring docs/architecture.md, as the engine sends them at preview.

One compliant set per stack (network-iam, notifications, retraining with a Lambda + EventBridge
rule, retraining with Step Functions + EventBridge Scheduler), and a corpus of insecure variants
with one mistake each. Values a real preview cannot know (autonamed ARNs, provider-computed ids)
are `UNKNOWN` with the property dependency the engine would send. These stand in until the
offline plan captures the shipped stacks' resources (then test_corpus.py switches to those).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from policy_harness import UNKNOWN, FixtureResource

ACCOUNT = "123456789012"
REGION = "us-east-1"
TEAM, MODEL, ENV = "fraud", "churn", "dev"
BASE = f"{TEAM}-{MODEL}-{ENV}"
PREFIX = f"{BASE}-"
ARN = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"

EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SCHEDULE = "aws:scheduler/schedule:Schedule"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
QUEUE = "aws:sqs/queue:Queue"
KEY = "aws:kms/key:Key"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def arn(service: str, resource: str) -> str:
    return ARN.format(service, resource)


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


SAGEMAKER_ROLE = f"{TEAM}-{ENV}-sagemaker-execution"
LAMBDA_ROLE = f"{TEAM}-{ENV}-lambda-orchestrator"
SFN_ROLE = f"{TEAM}-{ENV}-sfn-orchestrator"
INVOKER_ROLE = f"{TEAM}-{ENV}-schedule-invoker"
TOPIC_NAME = f"{TEAM}-{ENV}-retraining-notifications"
TOPIC_ARN = arn("sns", TOPIC_NAME)
DATA_BUCKET = f"{TEAM}-{ENV}-{ACCOUNT}-training-data"
ARTIFACT_BUCKET = f"{TEAM}-{ENV}-{ACCOUNT}-model-artifacts"
TRAINING_JOBS = arn("sagemaker", f"training-job/{TEAM}-*")
TAGS = {"team": TEAM, "environment": ENV, "project": "retraining", "managed-by": "pulumi"}


def doc(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(
    sid: str, actions: list[str], resources: list[str], condition: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": resources,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def trust(service: str, source_arn: str | None = None) -> str:
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return doc(
        {
            "Sid": "TrustService",
            "Effect": "Allow",
            "Principal": {"Service": f"{service}.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": condition,
        }
    )


PASS_SAGEMAKER_ROLE = allow(
    "PassTeamSageMakerRole",
    ["iam:PassRole"],
    [role_arn(SAGEMAKER_ROLE)],
    {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
)
PUBLISH_TOPIC = allow("PublishTeamTopic", ["sns:Publish"], [TOPIC_ARN])


def _res(
    type_token: str, name: str, props: Mapping[str, Any], project: str, **deps: Sequence[str]
) -> FixtureResource:
    return FixtureResource(
        type_token, name, dict(props), {k: list(v) for k, v in deps.items()}, project
    )


# ---------------------------------------------------------------------------------------------
# network-iam
# ---------------------------------------------------------------------------------------------


def network_iam() -> list[FixtureResource]:
    project = "network-iam"
    sagemaker_policy = doc(
        allow("ReadTrainingData", ["s3:GetObject"], [f"arn:aws:s3:::{DATA_BUCKET}/*"]),
        allow(
            "ListTeamBuckets",
            ["s3:GetBucketLocation", "s3:ListBucket"],
            [f"arn:aws:s3:::{DATA_BUCKET}", f"arn:aws:s3:::{ARTIFACT_BUCKET}"],
        ),
        allow(
            "WriteModelArtifactsAndCheckpoints",
            ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            [f"arn:aws:s3:::{ARTIFACT_BUCKET}/*"],
        ),
        allow(
            "PullTeamTrainingImages",
            ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            [arn("ecr", f"repository/{TEAM}-*")],
        ),
        allow("GetRegistryLoginToken", ["ecr:GetAuthorizationToken"], ["*"]),
        allow(
            "WriteTeamTrainingLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [arn("logs", f"log-group:/aws/sagemaker/TrainingJobs:log-stream:{TEAM}-*")],
        ),
        allow(
            "PublishTrainingMetrics",
            ["cloudwatch:PutMetricData"],
            ["*"],
            {"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}},
        ),
        allow(
            "DescribeTrainingNetwork",
            [
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeVpcs",
            ],
            ["*"],
            {"StringEquals": {"aws:RequestedRegion": REGION}},
        ),
        allow(
            "ManageInterfacesInTrainingVpc",
            ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
            [arn("ec2", "network-interface/*")],
            {"StringEquals": {"aws:ResourceTag/team": TEAM}},
        ),
    )
    lambda_policy = doc(
        allow(
            "StartAndTrackTeamTrainingJobs",
            ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob"],
            [TRAINING_JOBS],
        ),
        allow("TagTeamTrainingJobsOnCreate", ["sagemaker:AddTags"], [TRAINING_JOBS]),
        PASS_SAGEMAKER_ROLE,
        PUBLISH_TOPIC,
        allow(
            "WriteOrchestratorLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [arn("logs", f"log-group:/aws/lambda/{TEAM}-*:log-stream:*")],
        ),
    )
    sfn_policy = doc(
        allow(
            "RunTeamTrainingJobs",
            [
                "sagemaker:CreateTrainingJob",
                "sagemaker:DescribeTrainingJob",
                "sagemaker:StopTrainingJob",
            ],
            [TRAINING_JOBS],
        ),
        allow("TagTeamTrainingJobs", ["sagemaker:AddTags", "sagemaker:ListTags"], [TRAINING_JOBS]),
        PASS_SAGEMAKER_ROLE,
        allow(
            "ManageSageMakerSyncRule",
            ["events:DescribeRule", "events:PutRule", "events:PutTargets"],
            [arn("events", "rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule")],
        ),
        PUBLISH_TOPIC,
        allow(
            "DeliverExecutionLogs",
            [
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
            ],
            ["*"],
        ),
        allow(
            "SendExecutionTraces",
            [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            ],
            ["*"],
        ),
    )
    invoker_policy = doc(
        allow(
            "InvokeTeamOrchestratorFunctions",
            ["lambda:InvokeFunction"],
            [arn("lambda", f"function:{TEAM}-*")],
        ),
        allow(
            "StartTeamStateMachines",
            ["states:StartExecution"],
            [arn("states", f"stateMachine:{TEAM}-*")],
        ),
        allow(
            "SendToScheduleDeadLetterQueues",
            ["sqs:SendMessage"],
            [arn("sqs", f"{TEAM}-*-schedule-dlq")],
        ),
    )
    roles = [
        (SAGEMAKER_ROLE, trust("sagemaker"), sagemaker_policy),
        (LAMBDA_ROLE, trust("lambda"), lambda_policy),
        (SFN_ROLE, trust("states", arn("states", f"stateMachine:{TEAM}-*")), sfn_policy),
        (
            INVOKER_ROLE,
            doc(
                {
                    "Sid": "TrustEventBridge",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": ACCOUNT},
                        "ArnLike": {"aws:SourceArn": arn("events", f"rule/{TEAM}-*")},
                    },
                },
                {
                    "Sid": "TrustScheduler",
                    "Effect": "Allow",
                    "Principal": {"Service": "scheduler.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                },
            ),
            invoker_policy,
        ),
    ]
    resources: list[FixtureResource] = []
    for name, trust_policy, policy in roles:
        role = _res(
            ROLE, name, {"name": name, "assumeRolePolicy": trust_policy, "tags": TAGS}, project
        )
        resources.append(role)
        resources.append(
            _res(
                ROLE_POLICY,
                f"{name}-policy",
                {"role": name, "name": "least-privilege", "policy": policy},
                project,
                role=[role.urn],
            )
        )
    key_policy = doc(
        {
            "Sid": "AdministerKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["kms:DescribeKey", "kms:PutKeyPolicy", "kms:EnableKeyRotation"],
            "Resource": "*",
        },
        {
            "Sid": "UseKeyForTeamTraining",
            "Effect": "Allow",
            "Principal": {"AWS": role_arn(SAGEMAKER_ROLE)},
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            "Resource": "*",
        },
    )
    resources.append(
        _res(
            KEY,
            f"{TEAM}-{ENV}-retraining",
            {"policy": key_policy, "enableKeyRotation": True, "tags": TAGS},
            project,
        )
    )
    return resources


# ---------------------------------------------------------------------------------------------
# notifications
# ---------------------------------------------------------------------------------------------


def notifications() -> list[FixtureResource]:
    project = "notifications"
    key_policy = doc(
        {
            "Sid": "AdministerKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["kms:DescribeKey", "kms:PutKeyPolicy"],
            "Resource": "*",
        },
        {
            "Sid": "UseKeyForServicePublishers",
            "Effect": "Allow",
            "Principal": {"Service": ["events.amazonaws.com", "cloudwatch.amazonaws.com"]},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        },
    )
    key = _res(
        KEY,
        "notifications",
        {"policy": key_policy, "enableKeyRotation": True, "tags": TAGS},
        project,
    )
    topic = _res(
        TOPIC,
        TOPIC_NAME,
        {"name": TOPIC_NAME, "kmsMasterKeyId": UNKNOWN, "tags": TAGS},
        project,
        kmsMasterKeyId=[key.urn],
    )
    topic_policy = doc(
        {
            "Sid": "PublishFromTeamEventRules",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": TOPIC_ARN,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {"aws:SourceArn": arn("events", f"rule/{TEAM}-*")},
            },
        },
        {
            "Sid": "PublishFromTeamAlarms",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": TOPIC_ARN,
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        },
        {
            "Sid": "PublishFromTeamOrchestrators",
            "Effect": "Allow",
            "Principal": {"AWS": [role_arn(LAMBDA_ROLE), role_arn(SFN_ROLE)]},
            "Action": "sns:Publish",
            "Resource": TOPIC_ARN,
        },
    )
    return [
        key,
        topic,
        _res(
            TOPIC_POLICY,
            f"{TOPIC_NAME}-policy",
            {"arn": UNKNOWN, "policy": topic_policy},
            project,
            arn=[topic.urn],
        ),
        _res(
            SUBSCRIPTION,
            f"{TOPIC_NAME}-email-0",
            {"topic": UNKNOWN, "protocol": "email", "endpoint": "ml-oncall@example.com"},
            project,
            topic=[topic.urn],
        ),
    ]


# ---------------------------------------------------------------------------------------------
# retraining
# ---------------------------------------------------------------------------------------------


def training_spec(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "AlgorithmSpecification": {
            "TrainingImage": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{TEAM}-churn:1.4.2",
            "TrainingInputMode": "File",
        },
        "RoleArn": role_arn(SAGEMAKER_ROLE),
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{DATA_BUCKET}/{MODEL}/train/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "InputMode": "File",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{ARTIFACT_BUCKET}/{MODEL}/output/"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 50,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 14400, "MaxWaitTimeInSeconds": 28800},
        "EnableManagedSpotTraining": True,
        "CheckpointConfig": {"S3Uri": f"s3://{ARTIFACT_BUCKET}/{MODEL}/checkpoints/"},
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
        "HyperParameters": {"epochs": "10"},
        "Environment": {},
        "Tags": [{"Key": k, "Value": v} for k, v in sorted(TAGS.items())],
    }
    spec.update(overrides)
    return spec


def lambda_environment(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "variables": {
            "TRAINING_SPEC": json.dumps(spec, separators=(",", ":"), sort_keys=True),
            "TRAINING_JOB_NAME_PREFIX": PREFIX,
            "NOTIFICATION_TOPIC_ARN": TOPIC_ARN,
            # network-iam's provider-computed ids: unknown in a preview of fresh upstream stacks.
            "TRAINING_SUBNET_IDS": UNKNOWN,
            "TRAINING_SECURITY_GROUP_IDS": UNKNOWN,
            "TRAINING_KMS_KEY_ARN": UNKNOWN,
            "TRAINING_VOLUME_KMS_KEY_ARN": UNKNOWN,
        }
    }


JOB_STATE_PATTERN = json.dumps(
    {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Training Job State Change"],
        "detail": {
            "TrainingJobName": [{"prefix": PREFIX}],
            "TrainingJobStatus": ["Completed", "Failed", "Stopped"],
        },
    }
)


def _notification_wiring(project: str) -> list[FixtureResource]:
    rule = _res(
        EVENT_RULE,
        f"{BASE}-job-state",
        {"name": f"{BASE}-job-state", "eventPattern": JOB_STATE_PATTERN, "tags": TAGS},
        project,
    )
    target = _res(
        EVENT_TARGET,
        f"{BASE}-job-state-to-topic",
        {
            "rule": f"{BASE}-job-state",
            "arn": TOPIC_ARN,
            "targetId": "notify",
            "inputTransformer": {
                "inputPaths": {"status": "$.detail.TrainingJobStatus"},
                "inputTemplate": '"<status>"',
            },
        },
        project,
        rule=[rule.urn],
    )
    return [rule, target]


def _dlq(project: str) -> FixtureResource:
    return _res(
        QUEUE,
        f"{BASE}-schedule-dlq",
        {
            "name": f"{BASE}-schedule-dlq",
            "sqsManagedSseEnabled": True,
            "messageRetentionSeconds": 1209600.0,
            "tags": TAGS,
        },
        project,
    )


def _alarm(
    project: str,
    *,
    name: str,
    namespace: str,
    metric: str,
    dimensions: Mapping[str, Any],
    watched: FixtureResource,
) -> FixtureResource:
    return _res(
        ALARM,
        name,
        {
            "name": name,
            "namespace": namespace,
            "metricName": metric,
            "dimensions": dict(dimensions),
            "statistic": "Sum",
            "period": 300.0,
            "evaluationPeriods": 1.0,
            "threshold": 0.0,
            "comparisonOperator": "GreaterThanThreshold",
            "alarmActions": [TOPIC_ARN],
            "tags": TAGS,
        },
        project,
        dimensions=[watched.urn],
    )


def retraining_lambda() -> list[FixtureResource]:
    """Lambda orchestrator started by an EventBridge rule (the stack's default shape)."""
    project = "retraining"
    function_name = f"{BASE}-orchestrator"
    log_group = _res(
        LOG_GROUP,
        f"/aws/lambda/{function_name}",
        {"name": f"/aws/lambda/{function_name}", "retentionInDays": 30.0, "tags": TAGS},
        project,
    )
    function = _res(
        FUNCTION,
        function_name,
        {
            "name": function_name,
            "role": role_arn(LAMBDA_ROLE),
            "runtime": "python3.12",
            "handler": "handler.main",
            "timeout": 60.0,
            "environment": lambda_environment(training_spec()),
            "tags": TAGS,
            "tracingConfig": {"mode": "Active"},
        },
        project,
    )
    rule = _res(
        EVENT_RULE,
        f"{BASE}-schedule",
        {"name": f"{BASE}-schedule", "scheduleExpression": "cron(0 6 * * ? *)", "tags": TAGS},
        project,
    )
    dlq = _dlq(project)
    target = _res(
        EVENT_TARGET,
        f"{BASE}-schedule-target",
        {
            "rule": f"{BASE}-schedule",
            "arn": UNKNOWN,
            "targetId": "orchestrator",
            "deadLetterConfig": {"arn": UNKNOWN},
            "retryPolicy": {"maximumRetryAttempts": 4.0, "maximumEventAgeInSeconds": 3600.0},
        },
        project,
        rule=[rule.urn],
        arn=[function.urn],
        deadLetterConfig=[dlq.urn],
    )
    permission = _res(
        PERMISSION,
        f"{BASE}-allow-events",
        {
            "action": "lambda:InvokeFunction",
            "function": function_name,
            "principal": "events.amazonaws.com",
            "sourceArn": UNKNOWN,
        },
        project,
        sourceArn=[rule.urn],
    )
    return [
        log_group,
        function,
        rule,
        dlq,
        target,
        permission,
        *_notification_wiring(project),
        _alarm(
            project,
            name=f"{function_name}-errors",
            namespace="AWS/Lambda",
            metric="Errors",
            dimensions={"FunctionName": function_name},
            watched=function,
        ),
        _alarm(
            project,
            name=f"{BASE}-schedule-dlq-messages",
            namespace="AWS/SQS",
            metric="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": f"{BASE}-schedule-dlq"},
            watched=dlq,
        ),
    ]


def state_machine_definition(parameters: Mapping[str, Any], *, catch_publishes: bool = True) -> str:
    failure_next = "NotifyFailure" if catch_publishes else "Failed"
    return json.dumps(
        {
            "StartAt": "StartTrainingJob",
            "States": {
                "StartTrainingJob": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                    "Parameters": {**parameters, "TrainingJobName.$": "$.trainingJobName"},
                    "Catch": [
                        {
                            "ErrorEquals": ["States.ALL"],
                            "Next": failure_next,
                            "ResultPath": "$.error",
                        }
                    ],
                    "Next": "NotifySuccess",
                },
                "NotifySuccess": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sns:publish",
                    "Parameters": {"TopicArn": TOPIC_ARN, "Message.$": "$"},
                    "End": True,
                },
                "NotifyFailure": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sns:publish",
                    "Parameters": {"TopicArn": TOPIC_ARN, "Message.$": "$.error"},
                    "Next": "Failed",
                },
                "Failed": {"Type": "Fail", "Error": "RetrainingFailed"},
            },
        }
    )


def complete_spec() -> dict[str, Any]:
    spec = training_spec()
    spec["VpcConfig"] = {
        "Subnets": ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
        "SecurityGroupIds": ["sg-0123456789abcdef0"],
    }
    spec["OutputDataConfig"] = {
        **spec["OutputDataConfig"],
        "KmsKeyId": arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    }
    spec["ResourceConfig"] = {
        **spec["ResourceConfig"],
        "VolumeKmsKeyId": arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    }
    return spec


def retraining_step_functions() -> list[FixtureResource]:
    """Step Functions orchestrator (createTrainingJob.sync) started by EventBridge Scheduler."""
    project = "retraining"
    machine_name = f"{BASE}-orchestrator"
    log_group = _res(
        LOG_GROUP,
        f"/aws/vendedlogs/states/{machine_name}",
        {"name": f"/aws/vendedlogs/states/{machine_name}", "retentionInDays": 90.0, "tags": TAGS},
        project,
    )
    machine = _res(
        STATE_MACHINE,
        machine_name,
        {
            "name": machine_name,
            "roleArn": role_arn(SFN_ROLE),
            "definition": state_machine_definition(complete_spec()),
            "loggingConfiguration": {
                "level": "ERROR",
                "includeExecutionData": True,
                "logDestination": UNKNOWN,
            },
            "tracingConfiguration": {"enabled": True},
            "tags": TAGS,
        },
        project,
        loggingConfiguration=[log_group.urn],
    )
    dlq = _dlq(project)
    schedule = _res(
        SCHEDULE,
        f"{BASE}-schedule",
        {
            "name": f"{BASE}-schedule",
            "scheduleExpression": "cron(0 6 ? * MON-FRI *)",
            "scheduleExpressionTimezone": "Europe/Berlin",
            "flexibleTimeWindow": {"mode": "OFF"},
            "target": {
                "arn": UNKNOWN,
                "roleArn": role_arn(INVOKER_ROLE),
                "input": '{"time": "<aws.scheduler.scheduled-time>"}',
                "deadLetterConfig": {"arn": UNKNOWN},
                "retryPolicy": {"maximumRetryAttempts": 3.0, "maximumEventAgeInSeconds": 3600.0},
            },
        },
        project,
        target=[machine.urn, dlq.urn],
    )
    return [
        log_group,
        machine,
        dlq,
        schedule,
        *_notification_wiring(project),
        _alarm(
            project,
            name=f"{machine_name}-executions-failed",
            namespace="AWS/States",
            metric="ExecutionsFailed",
            dimensions={"StateMachineArn": UNKNOWN},
            watched=machine,
        ),
    ]


STACKS: dict[str, Callable[[], list[FixtureResource]]] = {
    "network-iam": network_iam,
    "notifications": notifications,
    "retraining-lambda": retraining_lambda,
    "retraining-step-functions": retraining_step_functions,
}


# ---------------------------------------------------------------------------------------------
# Corpus: one mistake each
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    name: str
    stack: str
    policy: str
    mutate: Callable[[list[FixtureResource]], list[FixtureResource]]


def _edit(
    type_token: str, name_part: str, **changes: Any
) -> Callable[[list[FixtureResource]], list[FixtureResource]]:
    def mutate(resources: list[FixtureResource]) -> list[FixtureResource]:
        result = []
        hits = 0
        for resource in resources:
            if resource.type == type_token and name_part in resource.name:
                props = dict(resource.props)
                for key, value in changes.items():
                    if value is _DELETE:
                        props.pop(key, None)
                    else:
                        props[key] = value
                result.append(replace(resource, props=props))
                hits += 1
            else:
                result.append(resource)
        assert hits, f"no {type_token} named like {name_part!r}"
        return result

    return mutate


def _drop(
    type_token: str, name_part: str = ""
) -> Callable[[list[FixtureResource]], list[FixtureResource]]:
    def mutate(resources: list[FixtureResource]) -> list[FixtureResource]:
        kept = [r for r in resources if not (r.type == type_token and name_part in r.name)]
        assert len(kept) < len(resources), f"no {type_token} named like {name_part!r}"
        return kept

    return mutate


def _spec_variant(**overrides: Any) -> Callable[[list[FixtureResource]], list[FixtureResource]]:
    return _edit(
        FUNCTION, "orchestrator", environment=lambda_environment(training_spec(**overrides))
    )


_DELETE = object()
_LAMBDA_STATEMENTS = [
    allow(
        "StartAndTrackTeamTrainingJobs",
        ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob"],
        [TRAINING_JOBS],
    ),
    PASS_SAGEMAKER_ROLE,
    PUBLISH_TOPIC,
]


def _lambda_policy(
    *extra: Mapping[str, Any], base: Sequence[Mapping[str, Any]] = _LAMBDA_STATEMENTS
) -> str:
    return doc(*base, *extra)


CORPUS: list[Variant] = [
    # valid schedules
    Variant(
        "cron with five fields",
        "retraining-lambda",
        "schedule-expression-valid",
        _edit(EVENT_RULE, "schedule", scheduleExpression="cron(0 6 * * ?)"),
    ),
    Variant(
        "both day fields constrained",
        "retraining-lambda",
        "schedule-expression-valid",
        _edit(EVENT_RULE, "schedule", scheduleExpression="cron(0 6 * * MON *)"),
    ),
    Variant(
        "rate with plural for one",
        "retraining-lambda",
        "schedule-expression-valid",
        _edit(EVENT_RULE, "schedule", scheduleExpression="rate(1 hours)"),
    ),
    Variant(
        "at() on a rule",
        "retraining-lambda",
        "schedule-expression-valid",
        _edit(EVENT_RULE, "schedule", scheduleExpression="at(2030-01-01T06:00:00)"),
    ),
    Variant(
        "day-of-week 0",
        "retraining-step-functions",
        "schedule-expression-valid",
        _edit(SCHEDULE, "schedule", scheduleExpression="cron(0 6 ? * 0 *)"),
    ),
    Variant(
        "time zone not IANA",
        "retraining-step-functions",
        "schedule-expression-valid",
        _edit(SCHEDULE, "schedule", scheduleExpressionTimezone="CEST"),
    ),
    Variant(
        "schedule expression unknown at preview",
        "retraining-lambda",
        "schedule-expression-valid",
        _edit(EVENT_RULE, "schedule", scheduleExpression=UNKNOWN),
    ),
    Variant(
        "every five minutes",
        "retraining-lambda",
        "schedule-frequency-bounds",
        _edit(EVENT_RULE, "schedule", scheduleExpression="rate(5 minutes)"),
    ),
    Variant(
        "every minute of hour 6",
        "retraining-step-functions",
        "schedule-frequency-bounds",
        _edit(SCHEDULE, "schedule", scheduleExpression="cron(* 6 ? * MON-FRI *)"),
    ),
    Variant(
        "one-time run in the past",
        "retraining-step-functions",
        "schedule-frequency-bounds",
        _edit(SCHEDULE, "schedule", scheduleExpression="at(2020-01-01T06:00:00)"),
    ),
    Variant(
        "rule target without DLQ",
        "retraining-lambda",
        "schedule-target-dlq-retry",
        _edit(EVENT_TARGET, "schedule-target", deadLetterConfig=_DELETE),
    ),
    Variant(
        "rule target without retry policy",
        "retraining-lambda",
        "schedule-target-dlq-retry",
        _edit(EVENT_TARGET, "schedule-target", retryPolicy=_DELETE),
    ),
    # least privilege
    Variant(
        "wildcard service action",
        "network-iam",
        "iam-no-wildcard-actions",
        _edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=_lambda_policy(allow("Everything", ["sagemaker:*"], [TRAINING_JOBS])),
        ),
    ),
    Variant(
        "partial wildcard action",
        "network-iam",
        "iam-no-wildcard-actions",
        _edit(
            ROLE_POLICY,
            SAGEMAKER_ROLE,
            policy=doc(allow("ReadData", ["s3:Get*"], [f"arn:aws:s3:::{DATA_BUCKET}/*"])),
        ),
    ),
    Variant(
        "allow with NotAction",
        "network-iam",
        "iam-no-wildcard-actions",
        _edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=_lambda_policy(
                {
                    "Sid": "AllButIam",
                    "Effect": "Allow",
                    "NotAction": "iam:*",
                    "Resource": TRAINING_JOBS,
                }
            ),
        ),
    ),
    Variant(
        "Resource * on a restrictable action",
        "network-iam",
        "iam-resource-scoped",
        _edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=_lambda_policy(allow("Any", ["sns:Publish"], ["*"]), base=[]),
        ),
    ),
    Variant(
        "every topic of the account",
        "network-iam",
        "iam-resource-scoped",
        _edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=_lambda_policy(allow("AnyTopic", ["sns:Publish"], [arn("sns", "*")]), base=[]),
        ),
    ),
    Variant(
        "PassRole on *",
        "network-iam",
        "iam-passrole-scoped",
        _edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=_lambda_policy(
                allow(
                    "Pass",
                    ["iam:PassRole"],
                    ["*"],
                    {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                ),
                base=[],
            ),
        ),
    ),
    Variant(
        "PassRole without PassedToService",
        "network-iam",
        "iam-passrole-scoped",
        _edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=_lambda_policy(
                allow("Pass", ["iam:PassRole"], [role_arn(SAGEMAKER_ROLE)]), base=[]
            ),
        ),
    ),
    Variant(
        "AWS managed FullAccess policy",
        "network-iam",
        "iam-managed-policy-allowlist",
        lambda rs: [
            *rs,
            _res(
                ATTACHMENT,
                "sagemaker-full-access",
                {
                    "role": SAGEMAKER_ROLE,
                    "policyArn": "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
                },
                "network-iam",
            ),
        ],
    ),
    Variant(
        "trust policy for everyone",
        "network-iam",
        "iam-trust-policy-scoped",
        _edit(
            ROLE,
            LAMBDA_ROLE,
            assumeRolePolicy=doc(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            ),
        ),
    ),
    Variant(
        "trust without SourceAccount",
        "network-iam",
        "iam-trust-policy-scoped",
        _edit(
            ROLE,
            SAGEMAKER_ROLE,
            assumeRolePolicy=doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ),
        ),
    ),
    Variant(
        "escalation split across two policies",
        "network-iam",
        "iam-no-privilege-escalation",
        lambda rs: [
            *rs,
            _res(
                POLICY,
                "extra-lambda",
                {
                    "policy": doc(
                        allow(
                            "Create",
                            ["lambda:CreateFunction", "lambda:InvokeFunction"],
                            [arn("lambda", f"function:{TEAM}-*")],
                        )
                    )
                },
                "network-iam",
            ),
            _res(
                POLICY,
                "extra-pass",
                {
                    "policy": doc(
                        allow("Pass", ["iam:PassRole"], [f"arn:aws:iam::{ACCOUNT}:role/{TEAM}-*"])
                    )
                },
                "network-iam",
            ),
            _res(
                ATTACHMENT,
                "attach-extra-lambda",
                {"role": LAMBDA_ROLE, "policyArn": UNKNOWN},
                "network-iam",
                policyArn=["urn:pulumi:dev::network-iam::aws:iam/policy:Policy::extra-lambda"],
            ),
            _res(
                ATTACHMENT,
                "attach-extra-pass",
                {"role": LAMBDA_ROLE, "policyArn": UNKNOWN},
                "network-iam",
                policyArn=["urn:pulumi:dev::network-iam::aws:iam/policy:Policy::extra-pass"],
            ),
        ],
    ),
    Variant(
        "policy document unknown at preview",
        "network-iam",
        "iam-no-wildcard-actions",
        _edit(ROLE_POLICY, SAGEMAKER_ROLE, policy=UNKNOWN),
    ),
    Variant(
        "permission without source ARN",
        "retraining-lambda",
        "lambda-permission-source-arn",
        _edit(PERMISSION, "allow-events", sourceArn=_DELETE),
    ),
    # required notifications
    Variant(
        "no job-state rule",
        "retraining-lambda",
        "notifications-required",
        _drop(EVENT_RULE, "job-state"),
    ),
    Variant(
        "job-state rule misses Stopped",
        "retraining-lambda",
        "notifications-required",
        _edit(
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
    Variant(
        "job-state rule targets a queue",
        "retraining-lambda",
        "notifications-required",
        _edit(EVENT_TARGET, "job-state", arn=arn("sqs", f"{BASE}-events")),
    ),
    Variant(
        "orchestrator failures reach nobody",
        "retraining-lambda",
        "notifications-required",
        _drop(ALARM),
    ),
    Variant(
        "state machine without catch or alarm",
        "retraining-step-functions",
        "notifications-required",
        lambda rs: _edit(
            STATE_MACHINE,
            "orchestrator",
            definition=state_machine_definition(complete_spec(), catch_publishes=False),
        )(_drop(ALARM)(rs)),
    ),
    Variant(
        "topic without subscription",
        "notifications",
        "notifications-topic-subscribed",
        _drop(SUBSCRIPTION),
    ),
    Variant(
        "http subscription",
        "notifications",
        "notifications-topic-subscribed",
        _edit(SUBSCRIPTION, "email", protocol="http", endpoint="http://hooks.example.com"),
    ),
    # beyond
    Variant(
        "unencrypted topic",
        "notifications",
        "sns-encryption",
        _edit(TOPIC, TOPIC_NAME, kmsMasterKeyId=_DELETE),
    ),
    Variant(
        "AWS managed SNS key",
        "notifications",
        "sns-encryption",
        _edit(TOPIC, TOPIC_NAME, kmsMasterKeyId="alias/aws/sns"),
    ),
    Variant(
        "key policy without EventBridge",
        "notifications",
        "sns-publishers-allowed",
        _edit(
            KEY,
            "notifications",
            policy=doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": ["kms:DescribeKey"],
                    "Resource": "*",
                }
            ),
        ),
    ),
    Variant(
        "topic policy open to everyone",
        "notifications",
        "sns-topic-policy-scoped",
        _edit(
            TOPIC_POLICY,
            "policy",
            policy=doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": TOPIC_ARN,
                }
            ),
        ),
    ),
    Variant(
        "unencrypted DLQ",
        "retraining-lambda",
        "sqs-encryption",
        _edit(QUEUE, "dlq", sqsManagedSseEnabled=False),
    ),
    Variant(
        "no max runtime",
        "retraining-lambda",
        "sagemaker-training-hardened",
        _spec_variant(StoppingCondition={}),
    ),
    Variant(
        "spot without checkpoint",
        "retraining-lambda",
        "sagemaker-training-hardened",
        _edit(
            FUNCTION,
            "orchestrator",
            environment=lambda_environment(
                {k: v for k, v in training_spec().items() if k != "CheckpointConfig"}
            ),
        ),
    ),
    Variant(
        "spot wait not above runtime",
        "retraining-lambda",
        "sagemaker-training-hardened",
        _spec_variant(
            StoppingCondition={"MaxRuntimeInSeconds": 14400, "MaxWaitTimeInSeconds": 14400}
        ),
    ),
    Variant(
        "disallowed instance type",
        "retraining-lambda",
        "cost-instance-types-allowed",
        _spec_variant(
            ResourceConfig={
                "InstanceType": "ml.p4d.24xlarge",
                "InstanceCount": 1,
                "VolumeSizeInGB": 50,
            }
        ),
    ),
    Variant(
        "instance type SageMaker does not have",
        "retraining-lambda",
        "sagemaker-instance-type-exists",
        _spec_variant(ResourceConfig={"InstanceType": "ml.m5.3xlarge", "InstanceCount": 1}),
    ),
    Variant(
        "more instances than dev allows",
        "retraining-lambda",
        "cost-instance-count-limit",
        _spec_variant(ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 3}),
    ),
    Variant(
        "runtime above the dev ceiling",
        "retraining-lambda",
        "cost-max-runtime-limit",
        _spec_variant(
            StoppingCondition={"MaxRuntimeInSeconds": 36000, "MaxWaitTimeInSeconds": 72000}
        ),
    ),
    Variant(
        "on-demand training in dev",
        "retraining-lambda",
        "cost-spot-required",
        _spec_variant(EnableManagedSpotTraining=False),
    ),
    Variant(
        "hourly schedule over the dev instance-hour budget",
        "retraining-lambda",
        "cost-instance-hours-budget",
        _edit(EVENT_RULE, "schedule", scheduleExpression="rate(1 hour)"),
    ),
    Variant(
        "network isolation off",
        "retraining-step-functions",
        "sagemaker-training-hardened",
        _edit(
            STATE_MACHINE,
            "orchestrator",
            definition=state_machine_definition(
                {**complete_spec(), "EnableNetworkIsolation": False}
            ),
        ),
    ),
    Variant(
        "no VPC in the state machine",
        "retraining-step-functions",
        "sagemaker-training-hardened",
        _edit(
            STATE_MACHINE,
            "orchestrator",
            definition=state_machine_definition(
                {k: v for k, v in complete_spec().items() if k != "VpcConfig"}
            ),
        ),
    ),
    Variant(
        "training spec unknown at preview",
        "retraining-lambda",
        "sagemaker-training-hardened",
        _edit(
            FUNCTION,
            "orchestrator",
            environment={
                "variables": {"TRAINING_SPEC": UNKNOWN, "TRAINING_JOB_NAME_PREFIX": PREFIX}
            },
        ),
    ),
    Variant(
        "state machine logging off",
        "retraining-step-functions",
        "sfn-logging-tracing",
        _edit(STATE_MACHINE, "orchestrator", loggingConfiguration={"level": "OFF"}),
    ),
    Variant(
        "state machine tracing off",
        "retraining-step-functions",
        "sfn-logging-tracing",
        _edit(STATE_MACHINE, "orchestrator", tracingConfiguration={"enabled": False}),
    ),
    Variant(
        "topic without required tags",
        "notifications",
        "required-tags",
        _edit(TOPIC, TOPIC_NAME, tags={"team": TEAM}),
    ),
    Variant(
        "logs kept forever",
        "retraining-lambda",
        "log-retention",
        _edit(LOG_GROUP, "orchestrator", retentionInDays=_DELETE),
    ),
    Variant(
        "expired exemption tag",
        "retraining-lambda",
        "policy-exemptions-valid",
        _edit(
            LOG_GROUP,
            "orchestrator",
            tags={**TAGS, "policy-exemption:log-retention": "2020-01-01:legacy group"},
        ),
    ),
]
