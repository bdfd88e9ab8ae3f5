"""Pulumi type tokens (pulumi-aws 7) of the resources the pack inspects."""

from __future__ import annotations

from typing import Final

EVENT_RULE: Final = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET: Final = "aws:cloudwatch/eventTarget:EventTarget"
SCHEDULE: Final = "aws:scheduler/schedule:Schedule"
LAMBDA_FUNCTION: Final = "aws:lambda/function:Function"
LAMBDA_PERMISSION: Final = "aws:lambda/permission:Permission"
LAMBDA_EVENT_INVOKE_CONFIG: Final = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
LAMBDA_EVENT_SOURCE_MAPPING: Final = "aws:lambda/eventSourceMapping:EventSourceMapping"
STATE_MACHINE: Final = "aws:sfn/stateMachine:StateMachine"
SNS_TOPIC: Final = "aws:sns/topic:Topic"
SNS_TOPIC_POLICY: Final = "aws:sns/topicPolicy:TopicPolicy"
SNS_SUBSCRIPTION: Final = "aws:sns/topicSubscription:TopicSubscription"
SQS_QUEUE: Final = "aws:sqs/queue:Queue"
SQS_QUEUE_POLICY: Final = "aws:sqs/queuePolicy:QueuePolicy"
KMS_KEY: Final = "aws:kms/key:Key"
KMS_ALIAS: Final = "aws:kms/alias:Alias"
KMS_KEY_POLICY: Final = "aws:kms/keyPolicy:KeyPolicy"
METRIC_ALARM: Final = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP: Final = "aws:cloudwatch/logGroup:LogGroup"
S3_BUCKET: Final = "aws:s3/bucket:Bucket"
S3_BUCKET_V2: Final = "aws:s3/bucketV2:BucketV2"
S3_BUCKET_POLICY: Final = "aws:s3/bucketPolicy:BucketPolicy"
MODEL_PACKAGE_GROUP: Final = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
IAM_ROLE: Final = "aws:iam/role:Role"
IAM_ROLE_POLICY: Final = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY: Final = "aws:iam/policy:Policy"
IAM_ROLE_POLICY_ATTACHMENT: Final = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_POLICY_ATTACHMENT: Final = "aws:iam/policyAttachment:PolicyAttachment"
IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE: Final = (
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
)
IAM_ROLE_POLICIES_EXCLUSIVE: Final = "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive"

IDENTITY_POLICY_HOLDERS: Final = (IAM_ROLE, IAM_ROLE_POLICY, IAM_POLICY)
TAGGABLE: Final = (
    EVENT_RULE,
    LAMBDA_FUNCTION,
    STATE_MACHINE,
    SNS_TOPIC,
    SQS_QUEUE,
    KMS_KEY,
    METRIC_ALARM,
    LOG_GROUP,
    IAM_ROLE,
    IAM_POLICY,
    MODEL_PACKAGE_GROUP,
)
"""Resources of the list above that accept tags (Scheduler schedules, targets, permissions,
subscriptions, topic policies and role policies do not)."""
