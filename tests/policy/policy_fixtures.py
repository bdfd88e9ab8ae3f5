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
from dataclasses import replace
from typing import Any

from policy_harness import UNKNOWN, FixtureResource

ACCOUNT = "123456789012"
REGION = "us-east-1"
TEAM, MODEL, ENV = "fraud", "churn", "dev"
BASE = f"{TEAM}-{ENV}-{MODEL}"
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
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KEY = "aws:kms/key:Key"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ATTACHMENTS_EXCLUSIVE = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
POLICIES_EXCLUSIVE = "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"


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
TRAINING_JOBS = arn("sagemaker", f"training-job/{TEAM}-{ENV}-*")
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


def res(
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
            [arn("logs", f"log-group:/aws/sagemaker/TrainingJobs:log-stream:{TEAM}-{ENV}-*")],
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
            [arn("logs", f"log-group:/aws/lambda/{TEAM}-{ENV}-*:log-stream:*")],
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
            [arn("lambda", f"function:{TEAM}-{ENV}-*")],
        ),
        allow(
            "StartTeamStateMachines",
            ["states:StartExecution"],
            [arn("states", f"stateMachine:{TEAM}-{ENV}-*")],
        ),
        allow(
            "SendToScheduleDeadLetterQueues",
            ["sqs:SendMessage"],
            [arn("sqs", f"{TEAM}-{ENV}-*-schedule-dlq")],
        ),
    )
    roles = [
        (SAGEMAKER_ROLE, trust("sagemaker"), sagemaker_policy),
        (LAMBDA_ROLE, trust("lambda"), lambda_policy),
        (SFN_ROLE, trust("states", arn("states", f"stateMachine:{TEAM}-{ENV}-*")), sfn_policy),
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
                        "ArnLike": {"aws:SourceArn": arn("events", f"rule/{TEAM}-{ENV}-*")},
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
        role = res(
            ROLE, name, {"name": name, "assumeRolePolicy": trust_policy, "tags": TAGS}, project
        )
        resources.append(role)
        resources.append(
            res(
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
        res(
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
    key = res(
        KEY,
        "notifications",
        {"policy": key_policy, "enableKeyRotation": True, "tags": TAGS},
        project,
    )
    topic = res(
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
                "ArnLike": {"aws:SourceArn": arn("events", f"rule/{TEAM}-{ENV}-*")},
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
        res(
            TOPIC_POLICY,
            f"{TOPIC_NAME}-policy",
            {"arn": UNKNOWN, "policy": topic_policy},
            project,
            arn=[topic.urn],
        ),
        res(
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
    rule = res(
        EVENT_RULE,
        f"{BASE}-job-state",
        {"name": f"{BASE}-job-state", "eventPattern": JOB_STATE_PATTERN, "tags": TAGS},
        project,
    )
    target = res(
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
    return res(
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
    return res(
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
    log_group = res(
        LOG_GROUP,
        f"/aws/lambda/{function_name}",
        {"name": f"/aws/lambda/{function_name}", "retentionInDays": 30.0, "tags": TAGS},
        project,
    )
    function = res(
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
    rule = res(
        EVENT_RULE,
        f"{BASE}-schedule",
        {"name": f"{BASE}-schedule", "scheduleExpression": "cron(0 6 * * ? *)", "tags": TAGS},
        project,
    )
    dlq = _dlq(project)
    target = res(
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
    permission = res(
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
        model_package_group(),
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
    log_group = res(
        LOG_GROUP,
        f"/aws/vendedlogs/states/{machine_name}",
        {"name": f"/aws/vendedlogs/states/{machine_name}", "retentionInDays": 90.0, "tags": TAGS},
        project,
    )
    machine = res(
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
    schedule = res(
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
        model_package_group(**{"quality-gate-approval": "manual"}),
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


MODEL_PACKAGE_GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
GATE_TAGS = {
    "quality-gate-metric": "validation:auc",
    "quality-gate-direction": "maximize",
    "quality-gate-threshold": "0.85",
    "quality-gate-approval": "automatic",
}


def model_package_group(**gate: str) -> FixtureResource:
    """A gated stack's Model Package Group: the stack's tags and the gate's (`gate` on top)."""
    tags = {**TAGS, "model": MODEL, **GATE_TAGS, **gate}
    return res(
        MODEL_PACKAGE_GROUP, BASE, {"modelPackageGroupName": BASE, "tags": tags}, "retraining"
    )


def gate_tags(**changes: str | None) -> dict[str, str]:
    """The group's tags with `changes` (None drops a tag), for `edit(MODEL_PACKAGE_GROUP, ...)`."""
    merged: dict[str, str | None] = {**TAGS, "model": MODEL, **GATE_TAGS, **changes}
    return {key: value for key, value in merged.items() if value is not None}


STACKS: dict[str, Callable[[], list[FixtureResource]]] = {
    "network-iam": network_iam,
    "notifications": notifications,
    "retraining-lambda": retraining_lambda,
    "retraining-step-functions": retraining_step_functions,
}


# ---------------------------------------------------------------------------------------------
# Mutations: what a case changes in a baseline stack
# ---------------------------------------------------------------------------------------------


def edit(
    type_token: str, name_part: str, **changes: Any
) -> Callable[[list[FixtureResource]], list[FixtureResource]]:
    def mutate(resources: list[FixtureResource]) -> list[FixtureResource]:
        result = []
        hits = 0
        for resource in resources:
            if resource.type == type_token and name_part in resource.name:
                props = dict(resource.props)
                for key, value in changes.items():
                    if value is DELETE:
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


def drop(
    type_token: str, name_part: str = ""
) -> Callable[[list[FixtureResource]], list[FixtureResource]]:
    def mutate(resources: list[FixtureResource]) -> list[FixtureResource]:
        kept = [r for r in resources if not (r.type == type_token and name_part in r.name)]
        assert len(kept) < len(resources), f"no {type_token} named like {name_part!r}"
        return kept

    return mutate


def spec_variant(**overrides: Any) -> Callable[[list[FixtureResource]], list[FixtureResource]]:
    return edit(
        FUNCTION, "orchestrator", environment=lambda_environment(training_spec(**overrides))
    )


DELETE = object()
LAMBDA_STATEMENTS = [
    allow(
        "StartAndTrackTeamTrainingJobs",
        ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob"],
        [TRAINING_JOBS],
    ),
    PASS_SAGEMAKER_ROLE,
    PUBLISH_TOPIC,
]


def lambda_policy(
    *extra: Mapping[str, Any], base: Sequence[Mapping[str, Any]] = LAMBDA_STATEMENTS
) -> str:
    return doc(*base, *extra)


def add(
    *resources: FixtureResource,
) -> Callable[[list[FixtureResource]], list[FixtureResource]]:
    """A mutation that adds resources to a baseline stack."""

    def mutate(existing: list[FixtureResource]) -> list[FixtureResource]:
        return [*existing, *resources]

    return mutate


def trust_with(service: str, condition: Mapping[str, Any] | None) -> str:
    """A trust policy for one service principal with exactly `condition` (None: no condition)."""
    statement: dict[str, Any] = {
        "Sid": "TrustService",
        "Effect": "Allow",
        "Principal": {"Service": f"{service}.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    if condition is not None:
        statement["Condition"] = dict(condition)
    return doc(statement)


def chain(
    *mutations: Callable[[list[FixtureResource]], list[FixtureResource]],
) -> Callable[[list[FixtureResource]], list[FixtureResource]]:
    """Mutations applied in order."""

    def mutate(resources: list[FixtureResource]) -> list[FixtureResource]:
        for mutation in mutations:
            resources = mutation(resources)
        return resources

    return mutate
