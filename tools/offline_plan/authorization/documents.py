"""The policy documents the planned stacks really create, indexed the way AWS looks them up.

Read from the offline plan's resources (wire-form inputs), never rebuilt from the builders in
`retraining_shared.iam`: the proof judges what `pulumi up` would send. A document (or an ARN) that
is unknown at preview is `None`; an edge that needs it is reported as not proven.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from offline_plan.mock_runtime import UNKNOWN
from offline_plan.report import PlannedResource, PlanReport, StackPlan

Document = dict[str, Any]
"""A parsed IAM policy document."""

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
FUNCTION = "aws:lambda/function:Function"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
SCHEDULE = "aws:scheduler/schedule:Schedule"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


NETWORK_IAM_CONTRACT = ("partition", "region", "account_id", "environment", "teams")
"""The network-iam exports the catalogue is built from (docs/architecture.md, stack exports)."""


def is_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(is_unknown(v) for v in value)
    return bool(value == UNKNOWN)


def parse_document(value: Any) -> Document | None:
    """A policy input as IAM reads it; None when it is unknown at preview."""
    if not isinstance(value, str) or is_unknown(value):
        return None
    document: Document = json.loads(value)
    return document


def lambda_permission_statement(inputs: Mapping[str, Any], function_arn: str) -> Document:
    """The statement Lambda's AddPermission writes into the function policy ("AddPermission",
    AWS Lambda API reference: SourceArn becomes `ArnLike AWS:SourceArn`, SourceAccount
    `StringEquals AWS:SourceAccount`)."""
    condition: dict[str, dict[str, str]] = {}
    if inputs.get("sourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": str(inputs["sourceArn"])}
    if inputs.get("sourceAccount"):
        condition["StringEquals"] = {"AWS:SourceAccount": str(inputs["sourceAccount"])}
    statement: Document = {
        "Sid": "AddPermission",
        "Effect": "Allow",
        "Principal": {"Service": str(inputs["principal"])},
        "Action": str(inputs["action"]),
        "Resource": function_arn,
    }
    if condition:
        statement["Condition"] = condition
    return statement


@dataclass(frozen=True)
class Named:
    """A governing document, named as the report shows it (`stack: type logical-name`)."""

    name: str
    document: Document | None


@dataclass
class RetrainingStack:
    """What one planned retraining stack runs (from its exports and resources)."""

    stack: str
    team: str
    outputs: Mapping[str, Any]
    resources: list[PlannedResource]

    def of_type(self, type_token: str) -> Iterator[PlannedResource]:
        return (r for r in self.resources if r.type == type_token)


@dataclass
class PlanDocuments:
    """Every document of a plan, indexed for the catalogue."""

    partition: str
    region: str
    account_id: str
    environment: str
    teams: Mapping[str, Mapping[str, Any]]
    retraining_network: Mapping[str, Any]
    """network-iam's exports (subnets, security group, team keys: ids unknown at preview)."""
    role_trust: dict[str, Named] = field(default_factory=dict)
    """Role ARN → its trust policy."""
    role_policies: dict[str, list[Named]] = field(default_factory=dict)
    """Role ARN → its inline policies."""
    resource_policies: dict[str, Named] = field(default_factory=dict)
    """Resource ARN (topic, queue, bucket, function) → its resource policy."""
    team_keys: dict[str, Named] = field(default_factory=dict)
    notifications_key: Named | None = None
    s3_endpoint_policy: Named | None = None
    interface_endpoint_policies: dict[str, Named] = field(default_factory=dict)
    """Endpoint service (`logs`, `ecr.dkr`, ...) → the training VPC's endpoint policy."""
    retraining: list[RetrainingStack] = field(default_factory=list)
    data_producers: dict[str, list[str]] = field(default_factory=dict)
    model_consumers: dict[str, list[str]] = field(default_factory=dict)

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region, account = (self.region, self.account_id) if regional else ("", "")
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"

    def role_arn(self, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:role/{name}"


def _label(stack: StackPlan, resource: PlannedResource) -> str:
    return f"{stack.project}/{stack.stack}: {resource.type.split(':')[-1]} {resource.name}"


def _principals_of(document: Document | None, sid: str) -> list[str]:
    if document is None:
        return []
    for statement in document.get("Statement", []):
        if statement.get("Sid") == sid:
            principal = statement.get("Principal", {}).get("AWS", [])
            return [principal] if isinstance(principal, str) else list(principal)
    return []


def _resource_arns(document: Document) -> list[str]:
    arns: list[str] = []
    for statement in document.get("Statement", []):
        resources = statement.get("Resource", [])
        arns.extend([resources] if isinstance(resources, str) else resources)
    return arns


def _index_network_iam(docs: PlanDocuments, stack: StackPlan) -> None:
    roles = {r.name: r for r in stack.resources if r.type == ROLE}
    for resource in roles.values():
        arn = docs.role_arn(str(resource.inputs["name"]))
        docs.role_trust[arn] = Named(
            _label(stack, resource) + " (trust policy)",
            parse_document(resource.inputs.get("assumeRolePolicy")),
        )
    for resource in stack.resources:
        if resource.type == ROLE_POLICY:
            arn = docs.role_arn(str(resource.inputs["role"]))
            docs.role_policies.setdefault(arn, []).append(
                Named(_label(stack, resource), parse_document(resource.inputs.get("policy")))
            )
        elif resource.type == KEY:
            team = resource.name.removesuffix("-key")
            key = Named(_label(stack, resource), parse_document(resource.inputs.get("policy")))
            docs.team_keys[team] = key
            docs.data_producers[team] = _principals_of(
                key.document, "UseKeyToUploadTrainingDataThroughS3"
            )
            docs.model_consumers[team] = _principals_of(key.document, "UseKeyToReadModelsThroughS3")
        elif resource.type == BUCKET_POLICY:
            document = parse_document(resource.inputs.get("policy"))
            bucket = next(
                (b for b in stack.resources if b.type == BUCKET and b.name == resource.name), None
            )
            if bucket is not None and isinstance(bucket.inputs.get("bucket"), str):
                docs.resource_policies[
                    docs.arn("s3", str(bucket.inputs["bucket"]), regional=False)
                ] = Named(_label(stack, resource), document)
        elif resource.type == VPC_ENDPOINT:
            endpoint = Named(_label(stack, resource), parse_document(resource.inputs.get("policy")))
            if resource.inputs.get("vpcEndpointType") == "Gateway":
                docs.s3_endpoint_policy = endpoint
            else:
                service = str(resource.inputs.get("serviceName", "")).split(f".{docs.region}.")[-1]
                docs.interface_endpoint_policies[service] = endpoint


def _index_resource_policies(docs: PlanDocuments, stack: StackPlan) -> None:
    """Topic and queue policies name their resource in every statement: index by that ARN."""
    for resource in stack.resources:
        if resource.type in (TOPIC_POLICY, QUEUE_POLICY):
            document = parse_document(resource.inputs.get("policy"))
            if document is None:
                continue
            for arn in set(_resource_arns(document)):
                docs.resource_policies[arn] = Named(_label(stack, resource), document)
        elif resource.type == KEY and resource.name == "notifications-key":
            docs.notifications_key = Named(
                _label(stack, resource), parse_document(resource.inputs.get("policy"))
            )
        elif resource.type == LAMBDA_PERMISSION:
            function = str(resource.inputs["function"])
            arn = docs.arn("lambda", f"function:{function}")
            existing = docs.resource_policies.get(arn)
            statements = (
                list(existing.document["Statement"]) if existing and existing.document else []
            )
            statements.append(lambda_permission_statement(resource.inputs, arn))
            docs.resource_policies[arn] = Named(
                _label(stack, resource) + " (function policy)",
                {"Version": "2012-10-17", "Statement": statements},
            )


def plan_documents(report: PlanReport) -> PlanDocuments | None:
    """The documents of a planned environment; None when network-iam was not planned (nothing
    to prove against)."""
    planned = [s for s in report.stacks if s.status == "planned"]
    network = next((s for s in planned if s.project == "network-iam"), None)
    if network is None:
        return None
    outputs = network.outputs
    if any(is_unknown(outputs.get(key, UNKNOWN)) for key in NETWORK_IAM_CONTRACT):
        return None
    docs = PlanDocuments(
        partition=str(outputs["partition"]),
        region=str(outputs["region"]),
        account_id=str(outputs["account_id"]),
        environment=str(outputs["environment"]),
        teams=dict(outputs["teams"]),
        retraining_network=dict(outputs),
    )
    _index_network_iam(docs, network)
    for stack in planned:
        _index_resource_policies(docs, stack)
        if stack.project == "retraining":
            prefix = str(stack.outputs.get("training_job_name_prefix", ""))
            docs.retraining.append(
                RetrainingStack(
                    stack=stack.full_name,
                    team=prefix.split("-", 1)[0],
                    outputs=stack.outputs,
                    resources=stack.resources,
                )
            )
    return docs
