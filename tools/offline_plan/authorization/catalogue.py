"""The edge catalogue: every call the deployed system makes (required: must be allowed) and the
calls isolation rests on (forbidden: must be denied), over the plan's own documents.

Each edge names the caller as AWS sees it (service principal or role ARN), the action, the
resource ARN as AWS evaluates it, the request context keys the caller really sends, the
documents that govern it, and the AWS documentation fact (page title) that says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from retraining_shared.orchestrator_contract import ENV_TRAINING_SPEC, MODEL_GATE_FUNCTION_SUFFIX

from offline_plan.authorization.documents import (
    EVENT_RULE,
    EVENT_TARGET,
    FUNCTION,
    METRIC_ALARM,
    SCHEDULE,
    STATE_MACHINE,
    Named,
    PlanDocuments,
    RetrainingStack,
    is_unknown,
)

Expected = Literal["allow", "deny"]
UNKNOWN_AT_PREVIEW = "unknown-at-preview"
"""Stands for an id AWS assigns at creation, in a context value or a KMS key ARN. Used only where
no governing statement compares the value (Null conditions on the key's presence; key policies,
which name their key as "*")."""
FOREIGN_ACCOUNT = "210987654321"
"""An account that is not the deploying one (confused-deputy edges)."""
JOB_STAMP = "202601010600"


@dataclass(frozen=True)
class Fact:
    """An AWS documentation fact an edge relies on."""

    page: str
    says: str

    def __str__(self) -> str:
        return f'"{self.page}": {self.says}'


# The facts, once each. Page titles as AWS publishes them.
LAMBDA_RESOURCE_POLICY = Fact(
    "Using resource-based policies for Amazon EventBridge",
    "a rule invokes a Lambda target through the function policy; EventBridge sends the rule "
    "ARN as aws:SourceArn and the account as aws:SourceAccount",
)
EVENTBRIDGE_ROLE_TARGETS = Fact(
    "Using resource-based policies for Amazon EventBridge",
    "targets without resource policies (Step Functions) are reached through the target's role, "
    "which events.amazonaws.com assumes with aws:SourceArn = the rule ARN",
)
SCHEDULER_DEPUTY = Fact(
    "Confused deputy prevention (EventBridge Scheduler user guide)",
    "Scheduler assumes the execution role with aws:SourceAccount and aws:SourceArn = the "
    "schedule group ARN (never a schedule ARN)",
)
STATES_DEPUTY = Fact(
    "Cross-service confused deputy prevention (AWS Step Functions developer guide)",
    "Step Functions assumes the state machine's role with aws:SourceArn = the state machine ARN",
)
LAMBDA_EXECUTION_ROLE = Fact(
    "Defining Lambda function permissions with an execution role",
    "Lambda assumes the function's execution role; the trust policy names lambda.amazonaws.com. "
    "The guide does not document aws:SourceAccount for this assume (AWS's own sample "
    "aws/agent-toolkit-for-aws lambda-trust-policy.json requires it): modelled as sent, an "
    "open question in docs/architecture.md",
)
SAGEMAKER_DEPUTY = Fact(
    "Cross-service confused deputy prevention (Amazon SageMaker AI developer guide)",
    "SageMaker assumes the execution role passed in CreateTrainingJob with aws:SourceAccount",
)
CREATE_TRAINING_JOB_KEYS = Fact(
    "Actions, resources, and condition keys for Amazon SageMaker AI",
    "CreateTrainingJob sends sagemaker:VpcSubnets, sagemaker:VpcSecurityGroupIds and "
    "sagemaker:OutputKmsKeyArn (sagemaker:OutputKmsKey is deprecated and no longer sent)",
)
PASS_ROLE = Fact(
    "Granting a user permissions to pass a role to an AWS service (IAM user guide)",
    "CreateTrainingJob with RoleArn is also authorized as iam:PassRole with "
    "iam:PassedToService = sagemaker.amazonaws.com",
)
TAG_ON_CREATE = Fact(
    "Actions, resources, and condition keys for Amazon SageMaker AI",
    "CreateTrainingJob with Tags is also authorized as sagemaker:AddTags on the new job",
)
SFN_SAGEMAKER_SYNC = Fact(
    "IAM policies for Amazon SageMaker AI (AWS Step Functions developer guide)",
    ".sync needs Describe/Stop/ListTags on the job and events:PutTargets/PutRule/DescribeRule "
    "on rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule",
)
SNS_KMS = Fact(
    "Key management (Amazon SNS developer guide)",
    "publishing to an encrypted topic makes SNS call kms:GenerateDataKey (and kms:Decrypt) as "
    "the publisher; for EventBridge the key policy must not require aws:SourceAccount, "
    "aws:SourceArn or aws:SourceOrgID (they are not supported); CloudWatch alarms send them",
)
SNS_EVENT_SOURCES = Fact(
    "Amazon SNS event sources (topic policies for EventBridge and CloudWatch)",
    "EventBridge and CloudWatch publish with aws:SourceArn (rule / alarm ARN) and "
    "aws:SourceAccount, which the topic policy can require",
)
SNS_DLQ = Fact(
    "Configuring an Amazon SNS dead-letter queue for a subscription",
    "SNS sends undeliverable messages as sns.amazonaws.com with aws:SourceArn = the topic ARN",
)
EVENTBRIDGE_DLQ = Fact(
    "Using dead-letter queues to process undelivered events in EventBridge",
    "EventBridge sends to a target's DLQ as events.amazonaws.com with aws:SourceArn = the rule",
)
SCHEDULER_DLQ = Fact(
    "Configuring a dead-letter queue for EventBridge Scheduler",
    "Scheduler sends undeliverable events to the DLQ with the schedule's execution role",
)
LAMBDA_LOGS = Fact(
    "Sending Lambda function logs to CloudWatch Logs",
    "Lambda writes the function's log streams with the execution role (logs:CreateLogStream, "
    "logs:PutLogEvents on /aws/lambda/<function>)",
)
STATES_LOGS = Fact(
    "Using CloudWatch Logs to log execution history in Step Functions",
    "execution logging uses CloudWatch Logs vended delivery (logs:CreateLogDelivery, "
    "logs:PutResourcePolicy, ... on '*') and X-Ray tracing xray:PutTraceSegments, as the role",
)
EVENTBRIDGE_SQS_TARGET = Fact(
    "Using resource-based policies for Amazon EventBridge (Amazon SQS permissions)",
    "a rule delivers to an SQS target as events.amazonaws.com with aws:SourceArn = the rule, "
    "admitted by the queue policy (SSE-SQS: no key policy involved)",
)
LAMBDA_SQS_POLLING = Fact(
    "Using Lambda with Amazon SQS (execution role permissions)",
    "the event source mapping polls the queue with the function's execution role: "
    "sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes",
)
REPORTED_OUTCOME_TAG = Fact(
    "Actions, resources, and condition keys for Amazon SageMaker AI",
    "ListTags and AddTags act on the training-job resource (the reported-outcome tag)",
)
SFN_JOB_OWNER_TAG = Fact(
    "Actions, resources, and condition keys for Amazon SageMaker AI; AWS SDK integrations "
    "(AWS Step Functions developer guide)",
    "after ResourceInUse the state machine reads the job's tags (aws-sdk:sagemaker:listTags, "
    "sagemaker:ListTags on the training-job resource) to tell its own job from a redelivery's; "
    ".sync reads them too",
)
LAMBDA_DESTINATION = Fact(
    "Capturing records of Lambda asynchronous invocations (destinations)",
    "Lambda sends on-failure records to an SQS destination with the function's execution role",
)
S3_KMS = Fact(
    "Using server-side encryption with AWS KMS keys (SSE-KMS) (Amazon S3 user guide)",
    "S3 calls kms:GenerateDataKey (upload; multipart also kms:Decrypt) and kms:Decrypt (read) "
    "as the requester, with kms:ViaService = s3.<region>.amazonaws.com",
)
S3_DEFAULT_ENCRYPTION = Fact(
    "Specifying server-side encryption with AWS KMS (SSE-KMS) (Amazon S3 user guide)",
    "an upload naming aws:kms without a key id is encrypted with aws/s3, not the bucket "
    "default: the data bucket refuses every upload that names its own encryption",
)
EBS_GRANTS = Fact(
    "How Amazon SageMaker AI uses AWS KMS",
    "SageMaker creates grants for the training volumes with kms:GrantIsForAWSResource = true",
)
SAGEMAKER_ROLE_NEEDS = Fact(
    "How to use SageMaker AI execution roles",
    "a training job reads its channels from S3, writes model artifacts, pulls its image from "
    "ECR, writes CloudWatch Logs and metrics, and creates ENIs in the job's VPC subnets",
)
LOGS_ARN = Fact(
    "Overview of managing access permissions to your CloudWatch Logs resources",
    "identity policies name a log group as log-group:NAME:* for every action but the tagging "
    "ones; the request's resource is the group's `:*`-qualified ARN",
)
ENDPOINT_POLICIES = Fact(
    "Control access to VPC endpoints using endpoint policies (AWS PrivateLink guide)",
    "a request through an interface endpoint must also be allowed by the endpoint policy; "
    "aws:PrincipalAccount and aws:ResourceAccount keep the endpoint to this account",
)
MODEL_REGISTRY = Fact(
    "Actions, resources, and condition keys for Amazon SageMaker AI",
    "CreateModelPackage, ListModelPackages and DescribeModelPackage act on the model-package "
    "resource type; a version in a group is model-package/<group>/<version>",
)
MODEL_REGISTRY_LIST = Fact(
    "Actions, resources, and condition keys for Amazon SageMaker AI",
    "ListModelPackages is a List action whose model-package resource type is optional; which "
    "ARN it is evaluated on is not documented, so the request is modelled on *",
)
SFN_INVOKES_LAMBDA = Fact(
    "IAM policies for invoking AWS Lambda with Step Functions",
    "a lambda:invoke task calls lambda:InvokeFunction on the function (unqualified or "
    "qualified ARN) as the state machine's role",
)
ORCHESTRATORS_ONLY = Fact(
    "docs/architecture.md (naming; the schedule-invoker role)",
    "the schedule-invoker role invokes function:<team>-<env>-*-orchestrator, the functions its "
    "schedules target, never <base>-model-gate",
)
ISOLATION = Fact(
    "docs/architecture.md (naming)",
    "every team resource is named <team>-<env>-…; IAM patterns <team>-<env>-* never reach "
    "another team or environment",
)


@dataclass(frozen=True)
class Edge:
    """One call, with what governs it and what AWS must answer."""

    id: str
    expected: Expected
    principal: str
    action: str
    resource: str
    fact: Fact
    context: Mapping[str, str | list[str]] = field(default_factory=dict)
    identity: Sequence[Named] = ()
    resource_policy: Named | None = None
    endpoint_policies: Sequence[Named] = ()
    unknown_values: Sequence[str] = ()
    """What is unknown at preview but compared by no governing statement (kept for the report)."""
    not_proven_because: str | None = None
    """Set when a governing document or the resource ARN is unknown at preview."""

    def governing(self) -> list[Named]:
        return [
            *self.identity,
            *([self.resource_policy] if self.resource_policy else []),
            *self.endpoint_policies,
        ]


def _unknown_documents(edge: Edge) -> Edge:
    missing = [n.name for n in edge.governing() if n.document is None]
    if missing and edge.not_proven_because is None:
        return Edge(**{**edge.__dict__, "not_proven_because": f"unknown at preview: {missing}"})
    return edge


class _Builder:
    """Collects edges; `roles` gives a role ARN's inline policies as governing documents."""

    def __init__(self, docs: PlanDocuments) -> None:
        self.docs = docs
        self.edges: list[Edge] = []

    def identity(self, role_arn: str) -> list[Named]:
        return list(self.docs.role_policies.get(role_arn, [Named(f"{role_arn} (no policy)", {})]))

    def policy_of(self, arn: str) -> Named:
        """The resource policy of `arn` (unknown when the plan has none for it)."""
        return self.docs.resource_policies.get(arn, Named(f"{arn} (no policy in the plan)", None))

    def bucket_policy(self, bucket: str) -> Named:
        return self.policy_of(self.docs.arn("s3", bucket, regional=False))

    def via(self, service: str) -> dict[str, str | list[str]]:
        """What a service sends when it calls KMS for a caller of this account."""
        return {
            "kms:ViaService": f"{service}.{self.docs.region}.amazonaws.com",
            "kms:CallerAccount": self.docs.account_id,
        }

    def s3_key_use(
        self, label: str, principal: str, actions: Sequence[str], key: Named | None, alias: str
    ) -> None:
        """Required: S3 calls KMS with the team key as `principal` (S3_KMS)."""
        for action in actions:
            self.key_edge(
                f"{label} ({action})",
                "allow",
                principal,
                action,
                key,
                S3_KMS,
                self.via("s3"),
                alias=alias,
            )

    def endpoint(self, service: str) -> list[Named]:
        """The training VPC's endpoint policy for `service`, when the network has that endpoint
        (`interfaceEndpoints: false` sends the traffic elsewhere, outside this proof)."""
        named = self.docs.interface_endpoint_policies.get(service)
        return [named] if named else []

    def add(self, edge: Edge) -> None:
        self.edges.append(_unknown_documents(edge))

    def account_context(self, source_arn: str | None = None) -> dict[str, str | list[str]]:
        context: dict[str, str | list[str]] = {"aws:SourceAccount": self.docs.account_id}
        if source_arn:
            context["aws:SourceArn"] = source_arn
        return context

    def assume(
        self, edge_id: str, service: str, role_arn: str, fact: Fact, context: dict[str, Any]
    ) -> None:
        self.add(
            Edge(
                edge_id,
                "allow",
                f"{service}.amazonaws.com",
                "sts:AssumeRole",
                role_arn,
                fact,
                context=context,
                resource_policy=self.docs.role_trust.get(role_arn, Named(role_arn, None)),
            )
        )

    def key_edge(  # noqa: PLR0917 - one positional per field of the edge, as in Edge(...)
        self,
        edge_id: str,
        expected: Expected,
        principal: str,
        action: str,
        key: Named | None,
        fact: Fact,
        context: dict[str, Any],
        *,
        alias: str,
    ) -> None:
        """A KMS call on a key whose id AWS assigns at creation. The key policy names its key as
        "*" and no identity policy here names a KMS key, so the id decides nothing."""
        identity = self.identity(principal) if principal.startswith("arn:") else []
        names_a_key = any(
            str(action_name).startswith("kms:")
            for named in identity
            for statement in (named.document or {}).get("Statement", [])
            for action_name in (
                [statement.get("Action")]
                if isinstance(statement.get("Action"), str)
                else statement.get("Action", [])
            )
        )
        self.add(
            Edge(
                edge_id,
                expected,
                principal,
                action,
                self.docs.arn("kms", f"key/{UNKNOWN_AT_PREVIEW}"),
                fact,
                context=context,
                identity=identity,
                resource_policy=key or Named(alias, None),
                unknown_values=[f"key id of {alias}"],
                not_proven_because=(
                    f"an identity policy of {principal} names KMS keys, whose ids are unknown "
                    "at preview"
                    if names_a_key
                    else None
                ),
            )
        )


def _job_arn(docs: PlanDocuments, prefix: str) -> str:
    return docs.arn("sagemaker", f"training-job/{prefix}{JOB_STAMP}")


def _value_or_unknown(value: Any, what: str, unknown: list[str]) -> Any:
    if is_unknown(value) or value in (None, "", []):
        unknown.append(what)
        return UNKNOWN_AT_PREVIEW
    return value


def _training_request_context(docs: PlanDocuments, team: str, unknown: list[str]) -> dict[str, Any]:
    """What CreateTrainingJob sends: the orchestrators always set VpcConfig and the output key
    (the handler refuses otherwise; the state machine's CheckInput too)."""
    network = docs.retraining_network
    subnets = _value_or_unknown(network.get("private_subnet_ids"), "subnet ids", unknown)
    groups = _value_or_unknown(
        network.get("training_security_group_id"), "security group id", unknown
    )
    key = _value_or_unknown(network.get("team_kms_key_arns", {}).get(team), "team key ARN", unknown)
    return {
        "sagemaker:VpcSubnets": subnets if isinstance(subnets, list) else [subnets],
        "sagemaker:VpcSecurityGroupIds": [groups],
        "sagemaker:OutputKmsKeyArn": key,
    }


def _schedule_edges(b: _Builder, stack: RetrainingStack, orchestrator_arn: str) -> None:
    docs, team = b.docs, stack.team
    invoker = docs.teams[team]["schedule_invoker_role_arn"]
    name = stack.stack
    kind = stack.outputs.get("schedule_kind")
    is_lambda = stack.outputs.get("orchestrator") == "lambda"
    schedule_dlq = docs.arn("sqs", str(stack.outputs["schedule_name"]) + "-dlq")
    if kind == "rule":
        rule_arn = docs.arn("events", f"rule/{stack.outputs['schedule_name']}")
        if is_lambda:
            b.add(
                Edge(
                    f"{name}: schedule rule invokes the Lambda orchestrator",
                    "allow",
                    "events.amazonaws.com",
                    "lambda:InvokeFunction",
                    orchestrator_arn,
                    LAMBDA_RESOURCE_POLICY,
                    context=b.account_context(rule_arn),
                    resource_policy=b.policy_of(orchestrator_arn),
                )
            )
        else:
            b.assume(
                f"{name}: schedule rule assumes the schedule-invoker role",
                "events",
                invoker,
                EVENTBRIDGE_ROLE_TARGETS,
                b.account_context(rule_arn),
            )
        b.add(
            Edge(
                f"{name}: schedule rule sends undeliverable events to its DLQ",
                "allow",
                "events.amazonaws.com",
                "sqs:SendMessage",
                schedule_dlq,
                EVENTBRIDGE_DLQ,
                context=b.account_context(rule_arn),
                resource_policy=b.policy_of(schedule_dlq),
            )
        )
    else:
        schedule = next(stack.of_type(SCHEDULE))
        group_arn = docs.arn("scheduler", f"schedule-group/{schedule.inputs['groupName']}")
        b.assume(
            f"{name}: Scheduler assumes the schedule-invoker role",
            "scheduler",
            invoker,
            SCHEDULER_DEPUTY,
            b.account_context(group_arn),
        )
        b.add(
            Edge(
                f"{name}: Scheduler sends undeliverable events to its DLQ",
                "allow",
                invoker,
                "sqs:SendMessage",
                schedule_dlq,
                SCHEDULER_DLQ,
                identity=b.identity(invoker),
                resource_policy=b.policy_of(schedule_dlq),
            )
        )
    if kind != "rule" or not is_lambda:
        action = "lambda:InvokeFunction" if is_lambda else "states:StartExecution"
        b.add(
            Edge(
                f"{name}: schedule-invoker role starts the orchestrator",
                "allow",
                invoker,
                action,
                orchestrator_arn,
                EVENTBRIDGE_ROLE_TARGETS if kind == "rule" else SCHEDULER_DEPUTY,
                identity=b.identity(invoker),
                resource_policy=docs.resource_policies.get(orchestrator_arn) if is_lambda else None,
            )
        )


def _orchestrator_edges(b: _Builder, stack: RetrainingStack, orchestrator_arn: str) -> None:
    docs, team, name = b.docs, stack.team, stack.stack
    is_lambda = stack.outputs.get("orchestrator") == "lambda"
    # The role the orchestrator really runs with, as the plan registers it.
    if is_lambda:
        function = next(stack.of_type(FUNCTION))
        role = str(function.inputs["role"])
        b.assume(
            f"{name}: Lambda assumes the orchestrator role",
            "lambda",
            role,
            LAMBDA_EXECUTION_ROLE,
            b.account_context(),
        )
        dlq = docs.arn("sqs", f"{function.inputs['name']}-dlq")
        b.add(
            Edge(
                f"{name}: Lambda sends failed asynchronous invocations to the on-failure queue",
                "allow",
                role,
                "sqs:SendMessage",
                dlq,
                LAMBDA_DESTINATION,
                identity=b.identity(role),
                resource_policy=b.policy_of(dlq),
            )
        )
        _lambda_log_edges(
            b, f"{name}: Lambda writes the function's logs", role, str(function.inputs["name"])
        )
    else:
        machine = next(stack.of_type(STATE_MACHINE))
        role = str(machine.inputs["roleArn"])
        b.assume(
            f"{name}: Step Functions assumes the orchestrator role",
            "states",
            role,
            STATES_DEPUTY,
            b.account_context(orchestrator_arn),
        )
        for action in ("logs:CreateLogDelivery", "logs:PutResourcePolicy", "xray:PutTraceSegments"):
            b.add(
                Edge(
                    f"{name}: Step Functions delivers execution logs and traces ({action})",
                    "allow",
                    role,
                    action,
                    "*",
                    STATES_LOGS,
                    identity=b.identity(role),
                )
            )
    prefix = str(stack.outputs["training_job_name_prefix"])
    job = _job_arn(docs, prefix)
    unknown: list[str] = []
    context = _training_request_context(docs, team, unknown)
    identity = b.identity(role)
    b.add(
        Edge(
            f"{name}: orchestrator creates the training job",
            "allow",
            role,
            "sagemaker:CreateTrainingJob",
            job,
            CREATE_TRAINING_JOB_KEYS,
            context=context,
            identity=identity,
            unknown_values=unknown,
        )
    )
    sagemaker_role = str(docs.teams[team]["sagemaker_execution_role_arn"])
    b.add(
        Edge(
            f"{name}: orchestrator passes the team's SageMaker role",
            "allow",
            role,
            "iam:PassRole",
            sagemaker_role,
            PASS_ROLE,
            context={"iam:PassedToService": "sagemaker.amazonaws.com"},
            identity=identity,
        )
    )
    actions = ["sagemaker:AddTags", "sagemaker:DescribeTrainingJob", "sagemaker:ListTags"]
    if not is_lambda:
        actions += ["sagemaker:StopTrainingJob"]
    for action in actions:
        fact = SFN_SAGEMAKER_SYNC
        if action == "sagemaker:AddTags":
            fact = TAG_ON_CREATE
        elif action == "sagemaker:ListTags":
            fact = REPORTED_OUTCOME_TAG if is_lambda else SFN_JOB_OWNER_TAG
        b.add(
            Edge(
                f"{name}: orchestrator calls {action} on its job",
                "allow",
                role,
                action,
                job,
                fact,
                identity=identity,
            )
        )
    if is_lambda:
        queue = docs.arn("sqs", f"{stack.outputs['training_job_name_prefix']}job-state.fifo")
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
            b.add(
                Edge(
                    f"{name}: Lambda polls the job-state queue ({action})",
                    "allow",
                    role,
                    action,
                    queue,
                    LAMBDA_SQS_POLLING,
                    identity=identity,
                    resource_policy=b.policy_of(queue),
                )
            )
    if not is_lambda:
        sync_rule = docs.arn("events", "rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule")
        for action in ("events:PutRule", "events:PutTargets", "events:DescribeRule"):
            b.add(
                Edge(
                    f"{name}: .sync manages its rule ({action})",
                    "allow",
                    role,
                    action,
                    sync_rule,
                    SFN_SAGEMAKER_SYNC,
                    identity=identity,
                )
            )
    topic = str(stack.outputs["sns_topic_arn"])
    b.add(
        Edge(
            f"{name}: orchestrator publishes to the team topic",
            "allow",
            role,
            "sns:Publish",
            topic,
            SNS_KMS,
            identity=identity,
            resource_policy=b.policy_of(topic),
        )
    )
    b.key_edge(
        f"{name}: SNS generates the topic's data key for the orchestrator",
        "allow",
        role,
        "kms:GenerateDataKey",
        docs.notifications_key,
        SNS_KMS,
        b.via("sns"),
        alias="notifications key",
    )


def _notification_edges(b: _Builder, stack: RetrainingStack) -> None:
    docs, name = b.docs, stack.stack
    topic = str(stack.outputs["sns_topic_arn"])
    topic_policy = b.policy_of(topic)
    base = str(stack.outputs["training_job_name_prefix"]).removesuffix("-")
    rule_arn = docs.arn("events", f"rule/{base}-job-state")
    # Only the Lambda kind has a job-state rule (the state machine reports its job's outcome
    # itself): the rule feeds the FIFO queue and the function publishes the one message. No rule
    # publishes to the topic.
    rule_name = rule_arn.rsplit("/", 1)[1]
    if any(rule.inputs.get("name") == rule_name for rule in stack.of_type(EVENT_RULE)):
        queue = docs.arn("sqs", f"{base}-job-state.fifo")
        senders: tuple[tuple[Expected, str, str], ...] = (
            ("allow", rule_arn, "job-state rule sends reports to the job-state queue"),
            # The queue policy's aws:SourceArn keeps every other rule of the account out.
            (
                "deny",
                docs.arn("events", f"rule/{base}-schedule"),
                "another rule cannot send to the job-state queue",
            ),
        )
        for expected, sender, what in senders:
            b.add(
                Edge(
                    f"{name}: {what}",
                    expected,
                    "events.amazonaws.com",
                    "sqs:SendMessage",
                    queue,
                    EVENTBRIDGE_SQS_TARGET,
                    context=b.account_context(sender),
                    resource_policy=b.policy_of(queue),
                )
            )
    for target in stack.of_type(EVENT_TARGET):
        dlq = (target.inputs.get("deadLetterConfig") or {}).get("arn")
        if target.inputs.get("rule") == rule_arn.rsplit("/", 1)[1] and isinstance(dlq, str):
            b.add(
                Edge(
                    f"{name}: job-state rule sends undeliverable events to its DLQ",
                    "allow",
                    "events.amazonaws.com",
                    "sqs:SendMessage",
                    dlq,
                    EVENTBRIDGE_DLQ,
                    context=b.account_context(rule_arn),
                    resource_policy=b.policy_of(dlq),
                )
            )
    for alarm in stack.of_type(METRIC_ALARM):
        alarm_arn = docs.arn("cloudwatch", f"alarm:{alarm.inputs['name']}")
        b.add(
            Edge(
                f"{name}: alarm {alarm.inputs['name']} publishes to the team topic",
                "allow",
                "cloudwatch.amazonaws.com",
                "sns:Publish",
                topic,
                SNS_EVENT_SOURCES,
                context=b.account_context(alarm_arn),
                resource_policy=topic_policy,
            )
        )
        b.key_edge(
            f"{name}: SNS uses the topic key for alarm {alarm.inputs['name']}",
            "allow",
            "cloudwatch.amazonaws.com",
            "kms:GenerateDataKey",
            docs.notifications_key,
            SNS_KMS,
            b.account_context(alarm_arn),
            alias="notifications key",
        )


def _team_edges(b: _Builder, team: str, image_repository: str | None) -> None:
    docs = b.docs
    outputs = docs.teams[team]
    role = str(outputs["sagemaker_execution_role_arn"])
    identity = b.identity(role)
    data, artifacts = str(outputs["data_bucket_name"]), str(outputs["artifact_bucket_name"])
    endpoint = [docs.s3_endpoint_policy] if docs.s3_endpoint_policy else []
    key = docs.team_keys.get(team)
    b.assume(
        f"{team}: SageMaker assumes the execution role",
        "sagemaker",
        role,
        SAGEMAKER_DEPUTY,
        b.account_context(),
    )
    s3_calls = [
        ("s3:GetObject", docs.arn("s3", f"{data}/train/part-0000.csv", regional=False)),
        ("s3:ListBucket", docs.arn("s3", data, regional=False)),
        ("s3:PutObject", docs.arn("s3", f"{artifacts}/output/model.tar.gz", regional=False)),
        ("s3:GetObject", docs.arn("s3", f"{artifacts}/checkpoints/ckpt-1", regional=False)),
    ]
    for action, arn in s3_calls:
        bucket = arn.split(":::")[1].split("/")[0]
        b.add(
            Edge(
                f"{team}: training job {action} {arn.split(':::')[1]}",
                "allow",
                role,
                action,
                arn,
                SAGEMAKER_ROLE_NEEDS,
                context={"aws:SecureTransport": "true"},
                identity=identity,
                resource_policy=b.bucket_policy(bucket),
                endpoint_policies=endpoint,
            )
        )
    b.s3_key_use(
        f"{team}: S3 uses the team key for the training job",
        role,
        ("kms:Decrypt", "kms:GenerateDataKey"),
        key,
        f"{team} key",
    )
    b.key_edge(
        f"{team}: SageMaker grants the team key to the training volumes",
        "allow",
        role,
        "kms:CreateGrant",
        key,
        EBS_GRANTS,
        {"kms:GrantIsForAWSResource": "true"},
        alias=f"{team} key",
    )
    if image_repository:
        for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"):
            b.add(
                Edge(
                    f"{team}: training job pulls its image ({action})",
                    "allow",
                    role,
                    action,
                    docs.arn("ecr", f"repository/{image_repository}"),
                    SAGEMAKER_ROLE_NEEDS,
                    identity=identity,
                    endpoint_policies=b.endpoint("ecr.dkr"),
                )
            )
    b.add(
        Edge(
            f"{team}: training job gets the registry login token",
            "allow",
            role,
            "ecr:GetAuthorizationToken",
            "*",
            SAGEMAKER_ROLE_NEEDS,
            identity=identity,
            endpoint_policies=b.endpoint("ecr.api"),
        )
    )
    log_group = "/aws/sagemaker/TrainingJobs"
    for action in ("logs:CreateLogGroup", "logs:DescribeLogStreams"):
        b.add(
            Edge(
                f"{team}: training job {action} on the training log group",
                "allow",
                role,
                action,
                docs.arn("logs", f"log-group:{log_group}:*"),
                LOGS_ARN,
                identity=identity,
                endpoint_policies=b.endpoint("logs"),
            )
        )
    job = f"{team}-{docs.environment}-model-{JOB_STAMP}"
    b.add(
        Edge(
            f"{team}: training job writes its log stream",
            "allow",
            role,
            "logs:PutLogEvents",
            docs.arn("logs", f"log-group:{log_group}:log-stream:{job}/algo-1-1767247200"),
            LOGS_ARN,
            identity=identity,
            endpoint_policies=b.endpoint("logs"),
        )
    )
    if b.endpoint("logs"):
        foreign_role = f"arn:{docs.partition}:iam::{FOREIGN_ACCOUNT}:role/exfiltration"
        foreign_stream = (
            f"arn:{docs.partition}:logs:{docs.region}:{FOREIGN_ACCOUNT}:"
            "log-group:exfiltration:log-stream:x"
        )
        b.add(
            Edge(
                f"{team}: a foreign account's credentials write logs through the logs endpoint",
                "deny",
                foreign_role,
                "logs:PutLogEvents",
                foreign_stream,
                ENDPOINT_POLICIES,
                identity=[
                    Named(
                        "the foreign role's own policy (assumed to allow its own log group)",
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "logs:PutLogEvents",
                                    "Resource": foreign_stream,
                                }
                            ],
                        },
                    )
                ],
                endpoint_policies=b.endpoint("logs"),
            )
        )
    b.add(
        Edge(
            f"{team}: training job publishes its metrics",
            "allow",
            role,
            "cloudwatch:PutMetricData",
            "*",
            SAGEMAKER_ROLE_NEEDS,
            context={"cloudwatch:namespace": log_group},
            identity=identity,
        )
    )
    unknown: list[str] = []
    subnet = _value_or_unknown(
        (docs.retraining_network.get("private_subnet_ids") or [None])[0], "subnet id", unknown
    )
    b.add(
        Edge(
            f"{team}: training job creates its ENI in a training subnet",
            "allow",
            role,
            "ec2:CreateNetworkInterface",
            docs.arn("ec2", f"subnet/{subnet}"),
            SAGEMAKER_ROLE_NEEDS,
            context={"aws:ResourceTag/retraining-training-network": docs.environment},
            identity=identity,
            unknown_values=unknown,
        )
    )
    for producer in docs.data_producers.get(team, []):
        _producer_edges(b, team, producer, data, key)
    for consumer in docs.model_consumers.get(team, []):
        obj = docs.arn("s3", f"{artifacts}/output/model.tar.gz", regional=False)
        b.add(
            Edge(
                f"{team}: consumer {consumer} reads a model",
                "allow",
                consumer,
                "s3:GetObject",
                obj,
                S3_KMS,
                context={"aws:SecureTransport": "true"},
                resource_policy=b.bucket_policy(artifacts),
            )
        )
        b.s3_key_use(
            f"{team}: S3 decrypts the model for consumer {consumer}",
            consumer,
            ("kms:Decrypt",),
            key,
            f"{team} key",
        )


def _producer_edges(b: _Builder, team: str, producer: str, data: str, key: Named | None) -> None:
    docs = b.docs
    bucket_policy = b.bucket_policy(data)
    obj = docs.arn("s3", f"{data}/train/part-0001.csv", regional=False)
    b.add(
        Edge(
            f"{team}: producer {producer} uploads training data",
            "allow",
            producer,
            "s3:PutObject",
            obj,
            S3_DEFAULT_ENCRYPTION,
            context={"aws:SecureTransport": "true"},
            resource_policy=bucket_policy,
        )
    )
    b.add(
        Edge(
            f"{team}: producer {producer} upload choosing aws/s3 is refused",
            "deny",
            producer,
            "s3:PutObject",
            obj,
            S3_DEFAULT_ENCRYPTION,
            context={"aws:SecureTransport": "true", "s3:x-amz-server-side-encryption": "aws:kms"},
            resource_policy=bucket_policy,
        )
    )
    b.s3_key_use(
        f"{team}: S3 uses the team key for producer {producer}",
        producer,
        ("kms:GenerateDataKey", "kms:Decrypt"),
        key,
        f"{team} key",
    )
    b.key_edge(
        f"{team}: producer {producer} calling KMS directly is refused",
        "deny",
        producer,
        "kms:Decrypt",
        key,
        S3_KMS,
        {"kms:CallerAccount": docs.account_id},
        alias=f"{team} key",
    )


def _other_environment(docs: PlanDocuments) -> str:
    """An environment of the same account that is not the planned one."""
    return "prod" if docs.environment != "prod" else "dev"


def _isolation_targets(
    docs: PlanDocuments, team: str, other_team: str | None, rest: str, noun: str
) -> dict[str, str]:
    """`label -> name` of what isolation keeps a team's roles from: the same team's resource in
    another environment, and another team's (`<team>-<env>-<rest>`)."""
    other_env = _other_environment(docs)
    targets = {f"the same team's {other_env} {noun}": f"{team}-{other_env}-{rest}"}
    if other_team:
        targets[f"team {other_team}'s {noun}"] = f"{other_team}-{docs.environment}-{rest}"
    return targets


def _forbidden_edges(b: _Builder, stack: RetrainingStack, other_team: str | None) -> None:
    """Isolation: another team, another environment of the same account, a foreign account,
    PassRole to another service, a job outside the training network."""
    docs, team, name = b.docs, stack.team, stack.stack
    is_lambda = stack.outputs.get("orchestrator") == "lambda"
    role_key = (
        "lambda_orchestrator_role_arn" if is_lambda else "step_functions_orchestrator_role_arn"
    )
    role = str(docs.teams[team][role_key])
    identity = b.identity(role)
    model_prefix = str(stack.outputs["training_job_name_prefix"]).split("-", 2)[2]
    unknown: list[str] = []
    context = _training_request_context(docs, team, unknown)
    other_env = _other_environment(docs)
    for label, prefix in _isolation_targets(docs, team, other_team, model_prefix, "job").items():
        b.add(
            Edge(
                f"{name}: orchestrator creates {label}",
                "deny",
                role,
                "sagemaker:CreateTrainingJob",
                _job_arn(docs, prefix),
                ISOLATION,
                context=context,
                identity=identity,
                unknown_values=unknown,
            )
        )
    b.add(
        Edge(
            f"{name}: orchestrator creates a job without a VpcConfig",
            "deny",
            role,
            "sagemaker:CreateTrainingJob",
            _job_arn(docs, str(stack.outputs["training_job_name_prefix"])),
            CREATE_TRAINING_JOB_KEYS,
            context={"sagemaker:OutputKmsKeyArn": context["sagemaker:OutputKmsKeyArn"]},
            identity=identity,
        )
    )
    b.add(
        Edge(
            f"{name}: orchestrator passes the SageMaker role to another service",
            "deny",
            role,
            "iam:PassRole",
            str(docs.teams[team]["sagemaker_execution_role_arn"]),
            PASS_ROLE,
            context={"iam:PassedToService": "lambda.amazonaws.com"},
            identity=identity,
        )
    )
    topic = str(stack.outputs["sns_topic_arn"])
    topic_policy = b.policy_of(topic)
    prod_rule = docs.arn("events", f"rule/{team}-{other_env}-{model_prefix}job-state")
    b.add(
        Edge(
            f"{name}: the {other_env} job-state rule publishes to this environment's topic",
            "deny",
            "events.amazonaws.com",
            "sns:Publish",
            topic,
            ISOLATION,
            context=b.account_context(prod_rule),
            resource_policy=topic_policy,
        )
    )
    foreign_rule = f"arn:{docs.partition}:events:{docs.region}:{FOREIGN_ACCOUNT}:rule/x"
    b.add(
        Edge(
            f"{name}: a rule of a foreign account publishes to the team topic",
            "deny",
            "events.amazonaws.com",
            "sns:Publish",
            topic,
            SNS_EVENT_SOURCES,
            context={"aws:SourceAccount": FOREIGN_ACCOUNT, "aws:SourceArn": foreign_rule},
            resource_policy=topic_policy,
        )
    )
    invoker = str(docs.teams[team]["schedule_invoker_role_arn"])
    other_machine = docs.arn(
        "states", f"stateMachine:{team}-{other_env}-{model_prefix}orchestrator"
    )
    b.add(
        Edge(
            f"{name}: schedule-invoker role starts the {other_env} state machine",
            "deny",
            invoker,
            "states:StartExecution",
            other_machine,
            ISOLATION,
            identity=b.identity(invoker),
        )
    )
    b.add(
        Edge(
            f"{name}: Scheduler of a foreign account assumes the schedule-invoker role",
            "deny",
            "scheduler.amazonaws.com",
            "sts:AssumeRole",
            invoker,
            SCHEDULER_DEPUTY,
            context={
                "aws:SourceAccount": FOREIGN_ACCOUNT,
                "aws:SourceArn": f"arn:{docs.partition}:scheduler:{docs.region}:"
                f"{FOREIGN_ACCOUNT}:schedule-group/{team}-{docs.environment}-x",
            },
            resource_policy=docs.role_trust.get(invoker, Named(invoker, None)),
        )
    )


def _team_forbidden_edges(b: _Builder, team: str, other_team: str | None) -> None:
    docs = b.docs
    role = str(docs.teams[team]["sagemaker_execution_role_arn"])
    if other_team:
        other = docs.teams[other_team]
        data = str(other["data_bucket_name"])
        b.add(
            Edge(
                f"{team}: training job reads team {other_team}'s data",
                "deny",
                role,
                "s3:GetObject",
                docs.arn("s3", f"{data}/train/part-0000.csv", regional=False),
                ISOLATION,
                context={"aws:SecureTransport": "true"},
                identity=b.identity(role),
                resource_policy=b.bucket_policy(data),
            )
        )
        b.key_edge(
            f"{team}: S3 decrypts with team {other_team}'s key for {team}'s role",
            "deny",
            role,
            "kms:Decrypt",
            docs.team_keys.get(other_team),
            ISOLATION,
            b.via("s3"),
            alias=f"{other_team} key",
        )
        b.add(
            Edge(
                f"{team}: lambda orchestrator passes team {other_team}'s SageMaker role",
                "deny",
                str(docs.teams[team]["lambda_orchestrator_role_arn"]),
                "iam:PassRole",
                str(other["sagemaker_execution_role_arn"]),
                ISOLATION,
                context={"iam:PassedToService": "sagemaker.amazonaws.com"},
                identity=b.identity(str(docs.teams[team]["lambda_orchestrator_role_arn"])),
            )
        )
        other_topic = docs.arn("sns", f"{other_team}-{docs.environment}-retraining-notifications")
        b.add(
            Edge(
                f"{team}: lambda orchestrator publishes to team {other_team}'s topic",
                "deny",
                str(docs.teams[team]["lambda_orchestrator_role_arn"]),
                "sns:Publish",
                other_topic,
                ISOLATION,
                identity=b.identity(str(docs.teams[team]["lambda_orchestrator_role_arn"])),
                resource_policy=b.policy_of(other_topic),
            )
        )
    orchestrators = {
        "Lambda": "lambda_orchestrator_role_arn",
        "Step Functions": "step_functions_orchestrator_role_arn",
    }
    for kind, orchestrator in orchestrators.items():
        b.key_edge(
            f"{team}: {kind} orchestrator decrypts training data",
            "deny",
            str(docs.teams[team][orchestrator]),
            "kms:Decrypt",
            docs.team_keys.get(team),
            ISOLATION,
            b.via("s3"),
            alias=f"{team} key",
        )
    b.add(
        Edge(
            f"{team}: SageMaker of a foreign account assumes the execution role",
            "deny",
            "sagemaker.amazonaws.com",
            "sts:AssumeRole",
            role,
            SAGEMAKER_DEPUTY,
            context={"aws:SourceAccount": FOREIGN_ACCOUNT},
            resource_policy=docs.role_trust.get(role, Named(role, None)),
        )
    )


def _image_repository(stack: RetrainingStack) -> str | None:
    """The repository of the training image the stack's spec names (`<registry>/<repo>:<tag>`)."""
    for resource in stack.resources:
        spec: Any = None
        if resource.type == FUNCTION:
            variables = resource.inputs.get("environment", {}).get("variables", {})
            spec = json.loads(variables.get(ENV_TRAINING_SPEC, "null"))
        elif resource.type == STATE_MACHINE and isinstance(resource.inputs.get("definition"), str):
            definition = json.loads(resource.inputs["definition"])
            spec = next(
                (
                    state.get("Parameters")
                    for state in definition.get("States", {}).values()
                    if "createTrainingJob" in str(state.get("Resource", ""))
                ),
                None,
            )
        image = ((spec or {}).get("AlgorithmSpecification") or {}).get("TrainingImage")
        if isinstance(image, str) and "/" in image:
            return image.split("/", 1)[1].split(":")[0].split("@")[0]
    return None


def build_catalogue(docs: PlanDocuments) -> list[Edge]:
    """Every required and forbidden edge of the planned environment."""
    b = _Builder(docs)
    teams = sorted(docs.teams)
    images: dict[str, str | None] = {}
    for stack in docs.retraining:
        if stack.team not in docs.teams:
            continue
        orchestrator_arn = str(stack.outputs["orchestrator_arn"])
        _schedule_edges(b, stack, orchestrator_arn)
        _orchestrator_edges(b, stack, orchestrator_arn)
        _notification_edges(b, stack)
        other = next((t for t in teams if t != stack.team), None)
        _forbidden_edges(b, stack, other)
        _model_gate_edges(b, stack, other)
        images.setdefault(stack.team, _image_repository(stack))
    for team in teams:
        _team_edges(b, team, images.get(team))
        _team_forbidden_edges(b, team, next((t for t in teams if t != team), None))
    _notifications_dlq_edges(b)
    _unused_role_trust_edges(b)
    return b.edges


def _lambda_log_edges(b: _Builder, label: str, role: str, function_name: str) -> None:
    """Lambda writes a function's log streams (`/aws/lambda/<name>`) with its execution role."""
    stream = f"log-group:/aws/lambda/{function_name}:log-stream:2026/01/01/[$LATEST]0"
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        b.add(
            Edge(
                f"{label} ({action})",
                "allow",
                role,
                action,
                b.docs.arn("logs", stream),
                LAMBDA_LOGS,
                identity=b.identity(role),
            )
        )


def _model_gate_edges(b: _Builder, stack: RetrainingStack, other_team: str | None) -> None:
    """A gated stack (export `model_package_group_name`): the quality gate reads and registers
    in the stack's group as the team's Lambda orchestrator role, on the Lambda report path or as
    the gate function a Step Functions machine invokes; never in another team's or environment's
    group."""
    group = str(stack.outputs.get("model_package_group_name") or "")
    if not group:
        return
    docs, team, name = b.docs, stack.team, stack.stack
    gate_role = str(docs.teams[team]["lambda_orchestrator_role_arn"])
    if stack.outputs.get("orchestrator") != "lambda":
        # The gate function as the plan registers it: its name, the role it really runs with.
        gate = next(
            (
                function
                for function in stack.of_type(FUNCTION)
                if str(function.inputs["name"]).endswith(MODEL_GATE_FUNCTION_SUFFIX)
            ),
            None,
        )
        # (tests/unit/test_retraining_stack.py proves a gated Step Functions stack plans it.)
        gate_name = f"{group}{MODEL_GATE_FUNCTION_SUFFIX}"
        if gate is not None:
            gate_name, gate_role = str(gate.inputs["name"]), str(gate.inputs["role"])
        b.assume(
            f"{name}: Lambda assumes the gate function's role",
            "lambda",
            gate_role,
            LAMBDA_EXECUTION_ROLE,
            b.account_context(),
        )
        _lambda_log_edges(
            b, f"{name}: Lambda writes the gate function's logs", gate_role, gate_name
        )
        machine_role = str(docs.teams[team]["step_functions_orchestrator_role_arn"])
        gate_function = docs.arn("lambda", f"function:{gate_name}")
        b.add(
            Edge(
                f"{name}: the state machine invokes the gate function",
                "allow",
                machine_role,
                "lambda:InvokeFunction",
                gate_function,
                SFN_INVOKES_LAMBDA,
                identity=b.identity(machine_role),
            )
        )
        # Only the state machine runs the gate: whoever holds the schedule-invoker role must
        # not have any completed job of the environment judged and registered.
        invoker = str(docs.teams[team]["schedule_invoker_role_arn"])
        b.add(
            Edge(
                f"{name}: the schedule-invoker role invokes the gate function",
                "deny",
                invoker,
                "lambda:InvokeFunction",
                gate_function,
                ORCHESTRATORS_ONLY,
                identity=b.identity(invoker),
            )
        )
        if other_team:
            other_gate = gate_function.replace(f":function:{team}-", f":function:{other_team}-")
            b.add(
                Edge(
                    f"{name}: the state machine invokes team {other_team}'s gate function",
                    "deny",
                    machine_role,
                    "lambda:InvokeFunction",
                    other_gate,
                    ISOLATION,
                    identity=b.identity(machine_role),
                )
            )
        b.add(
            Edge(
                f"{name}: the gate function reads the completed job",
                "allow",
                gate_role,
                "sagemaker:DescribeTrainingJob",
                _job_arn(docs, str(stack.outputs["training_job_name_prefix"])),
                MODEL_REGISTRY,
                identity=b.identity(gate_role),
            )
        )
    identity = b.identity(gate_role)
    requests = {
        "sagemaker:ListModelPackages": ("*", MODEL_REGISTRY_LIST),
        "sagemaker:DescribeModelPackage": (
            docs.arn("sagemaker", f"model-package/{group}/1"),
            MODEL_REGISTRY,
        ),
        "sagemaker:CreateModelPackage": (
            docs.arn("sagemaker", f"model-package/{group}"),
            MODEL_REGISTRY,
        ),
    }
    for action, (resource, fact) in requests.items():
        b.add(
            Edge(
                f"{name}: the quality gate calls {action} in {group}",
                "allow",
                gate_role,
                action,
                resource,
                fact,
                identity=identity,
            )
        )
    model = group.split("-", 2)[2]
    for label, foreign in _isolation_targets(docs, team, other_team, model, "group").items():
        b.add(
            Edge(
                f"{name}: the quality gate registers a version in {label}",
                "deny",
                gate_role,
                "sagemaker:CreateModelPackage",
                docs.arn("sagemaker", f"model-package/{foreign}"),
                ISOLATION,
                identity=identity,
            )
        )


def _unused_role_trust_edges(b: _Builder) -> None:
    """Every team role's trust is proven, also for roles no planned stack uses yet (a team whose
    stacks all use Step Functions still gets a Lambda role): the service assumes it for a
    resource named as the team's next stack would name it."""
    docs = b.docs
    assumed = {(e.resource, e.principal) for e in b.edges if e.action == "sts:AssumeRole"}
    for team in sorted(docs.teams):
        outputs = docs.teams[team]
        base = f"{team}-{docs.environment}-model"
        candidates = [
            ("lambda_orchestrator_role_arn", "lambda", LAMBDA_EXECUTION_ROLE, None),
            (
                "step_functions_orchestrator_role_arn",
                "states",
                STATES_DEPUTY,
                docs.arn("states", f"stateMachine:{base}-orchestrator"),
            ),
            (
                "schedule_invoker_role_arn",
                "scheduler",
                SCHEDULER_DEPUTY,
                docs.arn("scheduler", f"schedule-group/{base}"),
            ),
            (
                "schedule_invoker_role_arn",
                "events",
                EVENTBRIDGE_ROLE_TARGETS,
                docs.arn("events", f"rule/{base}-schedule"),
            ),
        ]
        for key, service, fact, source_arn in candidates:
            role = str(outputs[key])
            if (role, f"{service}.amazonaws.com") in assumed:
                continue
            b.assume(
                f"{team}: {service}.amazonaws.com assumes {role.rsplit('/', 1)[1]} for a "
                "future stack of the team",
                service,
                role,
                fact,
                b.account_context(source_arn),
            )


def _notifications_dlq_edges(b: _Builder) -> None:
    docs = b.docs
    for team in sorted(docs.teams):
        topic = docs.arn("sns", f"{team}-{docs.environment}-retraining-notifications")
        queue = docs.arn("sqs", f"{team}-{docs.environment}-retraining-notifications-dlq")
        if queue not in docs.resource_policies:
            continue
        b.add(
            Edge(
                f"{team}: SNS moves an undeliverable notification to the subscription DLQ",
                "allow",
                "sns.amazonaws.com",
                "sqs:SendMessage",
                queue,
                SNS_DLQ,
                context=b.account_context(topic),
                resource_policy=docs.resource_policies[queue],
            )
        )
