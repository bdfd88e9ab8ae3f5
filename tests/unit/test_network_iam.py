"""network-iam under Pulumi's mock runtime (offline_plan.mock_runtime): what it registers, the IAM
documents it writes, what it exports, and how it refuses bad configuration."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
import yaml
from offline_plan.mock_runtime import (
    OFFLINE_ACCOUNT_ID,
    RegisteredResource,
    StackRun,
    contains_unknown,
    run_program,
)
from retraining_shared import iam, naming
from retraining_shared.config import ConfigError

STACK = Path(__file__).resolve().parents[2] / "stacks" / "network-iam"
TEAMS = ("churn", "fraud")
ROLE_SUFFIXES = (
    "sagemaker-execution",
    "lambda-orchestrator",
    "sfn-orchestrator",
    "schedule-invoker",
)
TAGGED_TYPES_WITHOUT_TAGS = {"aws:kms/alias:Alias", "aws:iam/rolePolicy:RolePolicy"}

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY = "aws:kms/key:Key"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET = "aws:s3/bucket:Bucket"


@pytest.fixture(scope="module")
def preview() -> StackRun:
    return run_program(STACK, "dev", preview=True)


@pytest.fixture(scope="module")
def deployed() -> StackRun:
    return run_program(STACK, "dev", preview=False)


def of_type(run: StackRun, token: str) -> list[RegisteredResource]:
    return run.of_type(token)


def named(run: StackRun, token: str, name: str) -> RegisteredResource:
    (resource,) = [r for r in run.of_type(token) if r.name == name]
    return resource


def attached_to(run: StackRun, token: str, target: RegisteredResource, key: str) -> list[Any]:
    """Resources of `token` whose input `key` comes from `target` (property dependencies)."""
    return [r for r in run.of_type(token) if target.urn in r.property_dependencies.get(key, ())]


def policy_of(resource: RegisteredResource, key: str = "policy") -> iam.PolicyDocument:
    return iam.parse_policy(resource.inputs[key])


# --------------------------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------------------------


def test_exports_are_exactly_the_contract(preview: StackRun) -> None:
    outputs = preview.plain_outputs()
    assert set(outputs) == {
        "account_id",
        "region",
        "partition",
        "environment",
        "vpc_id",
        "private_subnet_ids",
        "training_security_group_id",
        "teams",
        "team_kms_key_arns",
        "distributed_training",
    }
    # The example config turns it on: churn's forecast model trains on 2 instances.
    assert outputs["distributed_training"] is True
    assert (outputs["account_id"], outputs["region"], outputs["partition"]) == (
        OFFLINE_ACCOUNT_ID,
        "us-east-1",
        "aws",
    )
    assert outputs["environment"] == "dev"
    assert set(outputs["teams"]) == set(TEAMS) == set(outputs["team_kms_key_arns"])
    for team, exports in outputs["teams"].items():
        assert set(exports) == {
            "sagemaker_execution_role_arn",
            "lambda_orchestrator_role_arn",
            "step_functions_orchestrator_role_arn",
            "schedule_invoker_role_arn",
            "data_bucket_name",
            "artifact_bucket_name",
            "training_job_name_prefix_pattern",
        }
        assert exports["training_job_name_prefix_pattern"] == f"{team}-dev-*"
        assert exports["lambda_orchestrator_role_arn"] == (
            f"arn:aws:iam::{OFFLINE_ACCOUNT_ID}:role/{team}-dev-lambda-orchestrator"
        )
        assert exports["data_bucket_name"] == f"{team}-dev-{OFFLINE_ACCOUNT_ID}-training-data"


def test_team_exports_are_known_at_preview_and_key_arns_only_after_deploy(
    preview: StackRun, deployed: StackRun
) -> None:
    assert not contains_unknown(preview.outputs["teams"])
    assert contains_unknown(preview.outputs["team_kms_key_arns"])
    key_arns = deployed.plain_outputs()["team_kms_key_arns"]
    assert all(
        arn.startswith(f"arn:aws:kms:us-east-1:{OFFLINE_ACCOUNT_ID}:key/")
        for arn in key_arns.values()
    )
    assert len(set(key_arns.values())) == len(TEAMS)


def test_exported_role_arns_are_the_roles_created(deployed: StackRun) -> None:
    created = {r.inputs["name"] for r in of_type(deployed, ROLE)}
    for exports in deployed.plain_outputs()["teams"].values():
        for key, value in exports.items():
            if key.endswith("_role_arn"):
                assert value.split("/")[-1] in created


# --------------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------------


def test_private_subnets_in_distinct_zones_inside_the_vpc(preview: StackRun) -> None:
    (vpc,) = of_type(preview, VPC)
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True
    network = ipaddress.IPv4Network(vpc.inputs["cidrBlock"])
    subnets = of_type(preview, SUBNET)
    assert len(subnets) == 2
    assert len({s.inputs["availabilityZone"] for s in subnets}) == 2
    cidrs = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in subnets]
    assert all(cidr.subnet_of(network) for cidr in cidrs)
    assert not cidrs[0].overlaps(cidrs[1])
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


def test_nothing_reaches_the_internet(preview: StackRun) -> None:
    types = {r.type for r in preview.resources}
    assert not types & {
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/route:Route",
    }
    for table in of_type(preview, ROUTE_TABLE):
        assert not table.inputs.get("routes")


def test_s3_gateway_endpoint_serves_every_route_table_and_only_team_buckets(
    preview: StackRun,
) -> None:
    (gateway,) = [r for r in of_type(preview, ENDPOINT) if r.inputs["vpcEndpointType"] == "Gateway"]
    assert gateway.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    tables = {t.urn for t in of_type(preview, ROUTE_TABLE)}
    assert set(gateway.property_dependencies["routeTableIds"]) == tables
    document = policy_of(gateway)
    buckets = {
        resource.split(":::")[1].split("/")[0]
        for statement in document["Statement"]
        for resource in statement["Resource"]
    }
    expected = {naming.data_bucket_name(t, "dev", OFFLINE_ACCOUNT_ID) for t in TEAMS}
    expected |= {naming.artifact_bucket_name(t, "dev", OFFLINE_ACCOUNT_ID) for t in TEAMS}
    expected.add("prod-us-east-1-starport-layer-bucket")
    assert buckets == expected


def test_training_group_has_no_ingress_and_only_https_egress() -> None:
    preview = run_program(STACK, "dev", config_overrides={"distributedTraining": False})
    training = named(preview, SECURITY_GROUP, "training-training")
    endpoints = named(preview, SECURITY_GROUP, "training-endpoints")
    assert not training.inputs.get("ingress")
    assert not training.inputs.get("egress")
    assert attached_to(preview, INGRESS, training, "securityGroupId") == []
    egress = attached_to(preview, EGRESS, training, "securityGroupId")
    assert len(egress) == 2
    for rule in egress:
        assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == (
            "tcp",
            443,
            443,
        )
        assert "cidrIpv4" not in rule.inputs
    destinations = {
        rule.inputs.get("prefixListId")
        or rule.property_dependencies["referencedSecurityGroupId"][0]
        for rule in egress
    }
    assert destinations == {"pl-63a5400a", endpoints.urn}
    (endpoint_ingress,) = attached_to(preview, INGRESS, endpoints, "securityGroupId")
    assert endpoint_ingress.property_dependencies["referencedSecurityGroupId"] == (training.urn,)
    assert endpoint_ingress.inputs["fromPort"] == 443


def test_interface_endpoints_for_training_services(preview: StackRun) -> None:
    interface = [
        r for r in of_type(preview, ENDPOINT) if r.inputs["vpcEndpointType"] == "Interface"
    ]
    assert {r.inputs["serviceName"] for r in interface} == {
        f"com.amazonaws.us-east-1.{service}"
        for service in ("sagemaker.api", "ecr.api", "ecr.dkr", "logs", "sts")
    }
    subnets = {s.urn for s in of_type(preview, SUBNET)}
    for endpoint in interface:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert set(endpoint.property_dependencies["subnetIds"]) == subnets


def test_interface_endpoints_switch_off() -> None:
    run = run_program(
        STACK, "dev", config_overrides={"interfaceEndpoints": False, "distributedTraining": False}
    )
    assert all(r.inputs["vpcEndpointType"] == "Gateway" for r in of_type(run, ENDPOINT))
    assert [r.name for r in of_type(run, SECURITY_GROUP)] == ["training-training"]
    assert len(of_type(run, EGRESS)) == 1


def test_distributed_training_opens_the_group_to_itself_only() -> None:
    run = run_program(
        STACK, "dev", config_overrides={"distributedTraining": True, "availabilityZoneCount": 3}
    )
    training = named(run, SECURITY_GROUP, "training-training")
    (self_ingress,) = attached_to(run, INGRESS, training, "securityGroupId")
    assert self_ingress.property_dependencies["referencedSecurityGroupId"] == (training.urn,)
    assert len(of_type(run, SUBNET)) == 3


# --------------------------------------------------------------------------------------------
# Team baseline: key, buckets, roles
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("team", TEAMS)
def test_team_key_rotates_and_is_created_after_the_role_it_names(
    preview: StackRun, team: str
) -> None:
    key = named(preview, KEY, f"{team}-key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    role = named(preview, ROLE, f"{team}-sagemaker-execution")
    assert role.urn in key.dependencies
    users = {
        json.dumps(s["Principal"], sort_keys=True)
        for s in policy_of(key)["Statement"]
        if "kms:Decrypt" in s["Action"] and "Condition" not in s
    }
    assert users == {
        json.dumps(
            {"AWS": f"arn:aws:iam::{OFFLINE_ACCOUNT_ID}:role/{team}-dev-sagemaker-execution"}
        )
    }
    # The example config names no data producers or model consumers.
    assert not [
        s for s in policy_of(key)["Statement"] if "Condition" in s and "kms:Decrypt" in s["Action"]
    ]
    (alias,) = [
        a
        for a in of_type(preview, "aws:kms/alias:Alias")
        if a.inputs["name"] == f"alias/{team}-dev-retraining"
    ]
    assert alias.property_dependencies["targetKeyId"] == (key.urn,)


@pytest.mark.parametrize(("team", "kind"), [(t, k) for t in TEAMS for k in ("data", "artifacts")])
def test_buckets_are_private_encrypted_versioned_and_tls_only(
    preview: StackRun, team: str, kind: str
) -> None:
    bucket = named(preview, BUCKET, f"{team}-{kind}")
    key = named(preview, KEY, f"{team}-key")

    def one(token: str) -> RegisteredResource:
        (resource,) = attached_to(preview, token, bucket, "bucket")
        return resource

    block = one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block.inputs[flag] is True
        for flag in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    ownership = one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    encryption = one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    (rule,) = encryption.inputs["rules"]
    assert rule["bucketKeyEnabled"] is True
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert encryption.property_dependencies["rules"] == (key.urn,)
    versioning = one("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    bucket_policy = one("aws:s3/bucketPolicy:BucketPolicy")
    statements = {s["Sid"]: s for s in policy_of(bucket_policy)["Statement"]}
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # The data bucket also refuses uploads that choose their own encryption (the bucket
    # default, the team key, applies to every object).
    assert ("DenyUploadsChoosingTheirEncryptionKms" in statements) is (kind == "data")
    assert block.urn in bucket_policy.dependencies
    lifecycle = one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    rule_ids = {r["id"] for r in lifecycle.inputs["rules"]}
    assert "abort-incomplete-multipart-uploads" in rule_ids
    assert ("expire-replaced-versions" in rule_ids) is (kind == "artifacts")


@pytest.mark.parametrize("team", TEAMS)
def test_four_roles_each_with_its_trust_and_one_inline_policy(
    deployed: StackRun, team: str
) -> None:
    services = {
        "sagemaker-execution": {"sagemaker.amazonaws.com"},
        "lambda-orchestrator": {"lambda.amazonaws.com"},
        "sfn-orchestrator": {"states.amazonaws.com"},
        "schedule-invoker": {"events.amazonaws.com", "scheduler.amazonaws.com"},
    }
    for suffix in ROLE_SUFFIXES:
        role = named(deployed, ROLE, f"{team}-{suffix}")
        assert role.inputs["name"] == f"{team}-dev-{suffix}"
        trust = policy_of(role, "assumeRolePolicy")
        principals = {s["Principal"]["Service"] for s in trust["Statement"]}
        assert principals == services[suffix]
        for statement in trust["Statement"]:
            assert statement["Condition"]["StringEquals"] == {
                "aws:SourceAccount": OFFLINE_ACCOUNT_ID
            }
        (policy,) = attached_to(deployed, ROLE_POLICY, role, "role")
        assert policy.inputs["role"] == role.inputs["name"]


def all_role_policies(run: StackRun) -> Iterable[tuple[str, iam.PolicyDocument]]:
    for policy in of_type(run, ROLE_POLICY):
        yield policy.name, policy_of(policy)


def test_no_role_policy_has_a_wildcard_action_or_an_unscoped_resource(deployed: StackRun) -> None:
    documents = list(all_role_policies(deployed))
    assert len(documents) == 4 * len(TEAMS)
    for name, document in documents:
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in statement["Action"]:
                assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", action), f"{name}: {action}"
            if "*" in statement["Resource"]:
                assert statement["Resource"] == ["*"]
                assert set(statement["Action"]) <= (
                    iam.ACTIONS_ONLY_ON_ALL_RESOURCES | iam.LIST_ACTIONS_ON_ALL_RESOURCES
                ), name


def test_role_policies_name_only_their_own_team(deployed: StackRun) -> None:
    for name, document in all_role_policies(deployed):
        team = name.split("-")[0]
        others = [t for t in TEAMS if t != team]
        text = json.dumps(document)
        for other in others:
            assert other not in text, f"{name} mentions {other}"


@pytest.mark.parametrize("team", TEAMS)
def test_pass_role_is_one_role_to_sagemaker_only(deployed: StackRun, team: str) -> None:
    for suffix in ("lambda-orchestrator", "sfn-orchestrator"):
        document = policy_of(named(deployed, ROLE_POLICY, f"{team}-{suffix}"))
        assert iam.resources_for(document, "iam:PassRole") == {
            f"arn:aws:iam::{OFFLINE_ACCOUNT_ID}:role/{team}-dev-sagemaker-execution"
        }
        (statement,) = [s for s in document["Statement"] if "iam:PassRole" in s["Action"]]
        assert statement["Condition"] == {
            "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
        }


@pytest.mark.parametrize("team", TEAMS)
def test_orchestrators_create_jobs_only_in_the_training_network_with_an_output_key(
    deployed: StackRun, team: str
) -> None:
    for suffix in ("lambda-orchestrator", "sfn-orchestrator"):
        document = policy_of(named(deployed, ROLE_POLICY, f"{team}-{suffix}"))
        (statement,) = [
            s for s in document["Statement"] if "sagemaker:CreateTrainingJob" in s["Action"]
        ]
        assert statement["Action"] == ["sagemaker:CreateTrainingJob"]
        assert statement["Condition"] == {
            "Null": {
                "sagemaker:VpcSubnets": "false",
                "sagemaker:VpcSecurityGroupIds": "false",
                "sagemaker:OutputKmsKeyArn": "false",
            }
        }


def test_lambda_role_policy_is_exactly_the_handlers_calls(deployed: StackRun) -> None:
    document = policy_of(named(deployed, ROLE_POLICY, "fraud-lambda-orchestrator"))
    assert iam.granted_actions(document) == {
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:AddTags",
        "iam:PassRole",
        "sns:Publish",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
        *iam.MODEL_GATE_REGISTRY_ACTIONS,  # the quality gate (model_gate.py)
        "sagemaker:ListTags",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    }
    assert iam.resources_for(document, "sns:Publish") == {
        f"arn:aws:sns:us-east-1:{OFFLINE_ACCOUNT_ID}:fraud-dev-retraining-notifications"
    }


def test_sagemaker_role_reaches_the_training_network_by_its_tag(preview: StackRun) -> None:
    document = policy_of(named(preview, ROLE_POLICY, "fraud-sagemaker-execution"))
    (statement,) = [
        s for s in document["Statement"] if s["Sid"] == "CreateInterfacesInTrainingSubnets"
    ]
    ((tag_condition, environment),) = statement["Condition"]["StringEquals"].items()
    tag = tag_condition.removeprefix("aws:ResourceTag/")
    tagged = {
        r.name
        for r in preview.resources
        if r.type in (SUBNET, SECURITY_GROUP) and r.inputs["tags"].get(tag) == environment
    }
    assert tagged == {s.name for s in of_type(preview, SUBNET)} | {"training-training"}
    assert iam.resources_for(document, "s3:GetObject") == {
        f"arn:aws:s3:::fraud-dev-{OFFLINE_ACCOUNT_ID}-training-data/*",
        f"arn:aws:s3:::fraud-dev-{OFFLINE_ACCOUNT_ID}-model-artifacts/*",
    }


def test_every_policy_document_is_known_at_preview(preview: StackRun) -> None:
    """The policy pack judges every IAM, key, bucket and endpoint policy before anything exists."""
    documents = [
        (resource.name, resource.inputs[key])
        for resource in preview.resources
        for key in ("policy", "assumeRolePolicy")
        if key in resource.inputs
    ]
    # Per team: 4 trust + 4 role policies, the key, 2 buckets; the S3 gateway endpoint and one
    # policy per interface endpoint (each keeps traffic to this account).
    assert len(documents) == len(TEAMS) * (4 + 4 + 1 + 2) + 1 + len(iam.INTERFACE_ENDPOINT_ACTIONS)
    for name, document in documents:
        assert not contains_unknown(document), name


def test_every_lambda_orchestrator_role_may_send_to_its_failure_queues(preview: StackRun) -> None:
    for team in TEAMS:
        document = policy_of(named(preview, ROLE_POLICY, f"{team}-lambda-orchestrator"))
        assert iam.resources_for(document, "sqs:SendMessage") == {
            f"arn:aws:sqs:us-east-1:{OFFLINE_ACCOUNT_ID}:{team}-dev-*-orchestrator-dlq"
        }


def test_the_removed_failure_queue_setting_is_rejected_by_name_with_the_reason(
    registered_types: list[str],
) -> None:
    with pytest.raises(ConfigError) as caught:
        run_program(
            STACK,
            "dev",
            config_overrides={"teams": {"fraud": {"orchestratorFailureQueue": False}}},
        )
    [problem] = caught.value.problems
    assert problem.key == "network-iam:teams.fraud.orchestratorFailureQueue"
    assert problem.problem.startswith("was removed: the retraining stack always makes")
    assert "Delete it" in problem.problem
    assert "orchestratorFailureQueue" in str(caught.value)
    assert registered_types == []


def test_every_taggable_resource_carries_the_required_tags(preview: StackRun) -> None:
    for resource in preview.resources:
        if not resource.custom or resource.type in TAGGED_TYPES_WITHOUT_TAGS:
            continue
        if "tags" not in resource.inputs:
            continue
        tags = resource.inputs["tags"]
        assert tags["managed-by"] == "pulumi", resource.name
        assert tags["environment"] == "dev"
        assert tags["project"] == "network-iam"
        assert tags["team"] in {*TEAMS, "platform"}
    fraud_bucket = named(preview, BUCKET, "fraud-data")
    assert fraud_bucket.inputs["tags"]["cost-center"] == "cc-4711"
    assert fraud_bucket.inputs["tags"]["owner"] == "fraud-ml@example.com"
    taggable = {ROLE, KEY, BUCKET, VPC, SUBNET, SECURITY_GROUP, ENDPOINT, ROUTE_TABLE}
    assert all("tags" in r.inputs for r in preview.resources if r.type in taggable)


# --------------------------------------------------------------------------------------------
# Bad configuration: one error, every problem, nothing registered
# --------------------------------------------------------------------------------------------


def test_bad_config_lists_every_problem_and_registers_nothing(registered_types: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        run_program(
            STACK,
            "dev",
            config={
                "environment": "Development",
                "teams": {
                    "fraudandriskmodels": {},
                    "ml-ops": {"costCenter": "cc;1"},
                    "churn": {"tags": {"team": "other"}, "orchestratorFailureQueue": "yes"},
                },
                "vpcCidr": "8.8.0.0/16",
                "availabilityZoneCount": 1,
                "interfaceEndpoint": True,
            },
        )
    problems = {problem.key: problem for problem in caught.value.problems}
    assert set(problems) == {
        "network-iam:environment",
        "network-iam:teams.fraudandriskmodels",
        "network-iam:teams.ml-ops",
        "network-iam:teams.ml-ops.costCenter",
        "network-iam:teams.churn.tags",
        "network-iam:teams.churn.orchestratorFailureQueue",
        "network-iam:vpcCidr",
        "network-iam:availabilityZoneCount",
        "network-iam:interfaceEndpoint",
    }
    assert "at most 16" in problems["network-iam:teams.fraudandriskmodels"].problem
    assert problems["network-iam:vpcCidr"].problem == "is not a private (RFC 1918) range"
    assert "interfaceEndpoints" in (problems["network-iam:interfaceEndpoint"].allowed or "")
    message = str(caught.value)
    assert message.startswith("Invalid stack configuration: 9 problems")
    assert "Traceback" not in message
    assert registered_types == []


def test_missing_teams_is_a_config_error(registered_types: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        run_program(STACK, "dev", config={"environment": "dev", "teams": {}})
    (problem,) = caught.value.problems
    assert problem.key == "network-iam:teams"
    assert "at least 1" in problem.problem
    assert registered_types == []


def test_more_zones_than_the_region_has_is_a_config_error(registered_types: list[str]) -> None:
    with pytest.raises(ConfigError, match="only 3 available zones") as caught:
        run_program(STACK, "dev", config_overrides={"availabilityZoneCount": 4})
    assert caught.value.problems[0].key == "network-iam:availabilityZoneCount"
    assert registered_types == []


# --------------------------------------------------------------------------------------------
# Project files: schema, example, README
# --------------------------------------------------------------------------------------------


MAPPING_SETTINGS = {"teams", "tags"}


def test_pulumi_yaml_declares_every_setting_with_the_program_defaults() -> None:
    from network_iam.config import NetworkIamSettings  # the stack's package, on sys.path below

    project = yaml.safe_load((STACK / "Pulumi.yaml").read_text())
    assert project["name"] == "network-iam"
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": "venv"},
    }
    declared = project["config"]
    fields = {info.alias: info for info in NetworkIamSettings.model_fields.values()}
    # Mapping-valued settings are declared `type: object` (pulumi >= v3.186.0), so the CLI
    # checks they are set and are mappings; the program validates their shape.
    assert set(declared) == set(fields)
    for key in MAPPING_SETTINGS:
        assert declared[key]["type"] == "object", key
    for key, info in fields.items():
        assert declared[key]["description"]
        if info.is_required():
            assert "default" not in declared[key], key
        else:
            assert declared[key]["default"] == info.default, key


def test_readme_documents_every_setting_and_export(deployed: StackRun) -> None:
    readme = (STACK / "README.md").read_text()
    project = yaml.safe_load((STACK / "Pulumi.yaml").read_text())
    for key in project["config"]:
        assert f"`{key}`" in readme, key
    for output in deployed.outputs:
        assert f"`{output}`" in readme, output
    for team_key in deployed.plain_outputs()["teams"]["fraud"]:
        assert f"`{team_key}`" in readme, team_key


@pytest.fixture(autouse=True, scope="module")
def _stack_package_importable() -> Iterable[None]:
    import sys

    sys.path.insert(0, str(STACK))
    yield
    sys.path.remove(str(STACK))


def test_exported_prefix_pattern_matches_only_the_teams_job_names(deployed: StackRun) -> None:
    teams = deployed.plain_outputs()["teams"]
    job = "fraud-dev-churn-xgb-202501010600"
    assert fnmatchcase(job, teams["fraud"]["training_job_name_prefix_pattern"])
    assert not fnmatchcase(job, teams["churn"]["training_job_name_prefix_pattern"])


def test_interface_endpoints_keep_traffic_to_this_account(preview: StackRun) -> None:
    """ "Control access to VPC endpoints using endpoint policies": principals and resources of
    this account only, and only the actions a training job makes."""
    interface = [
        r for r in of_type(preview, ENDPOINT) if r.inputs["vpcEndpointType"] == "Interface"
    ]
    assert len(interface) == len(iam.INTERFACE_ENDPOINT_ACTIONS)
    for endpoint in interface:
        service = endpoint.inputs["serviceName"].removeprefix("com.amazonaws.us-east-1.")
        statements = policy_of(endpoint)["Statement"]
        actions = {a for s in statements for a in s["Action"]}
        assert actions == set(iam.INTERFACE_ENDPOINT_ACTIONS[service])
        for statement in statements:
            assert statement["Condition"]["StringEquals"]["aws:PrincipalAccount"] == (
                OFFLINE_ACCOUNT_ID
            )
            assert "*" not in "".join(statement["Action"])


def test_producers_and_consumers_get_the_bucket_and_the_key_through_s3_only() -> None:
    run = run_program(
        STACK,
        "dev",
        config_overrides={
            "teams": {
                "fraud": {
                    "dataProducers": ["fraud-feature-export"],
                    "modelConsumers": ["fraud-scoring-service"],
                },
                "churn": {},
            }
        },
    )
    producer = f"arn:aws:iam::{OFFLINE_ACCOUNT_ID}:role/fraud-feature-export"
    consumer = f"arn:aws:iam::{OFFLINE_ACCOUNT_ID}:role/fraud-scoring-service"
    key = {s["Sid"]: s for s in policy_of(named(run, KEY, "fraud-key"))["Statement"]}
    assert key["UseKeyToUploadTrainingDataThroughS3"]["Principal"] == {"AWS": [producer]}
    assert key["UseKeyToReadModelsThroughS3"]["Principal"] == {"AWS": [consumer]}
    for sid in ("UseKeyToUploadTrainingDataThroughS3", "UseKeyToReadModelsThroughS3"):
        assert key[sid]["Condition"] == {
            "StringEquals": {
                "kms:ViaService": "s3.us-east-1.amazonaws.com",
                "kms:CallerAccount": OFFLINE_ACCOUNT_ID,
            }
        }
    data = {s["Sid"]: s for s in policy_of(named(run, BUCKET_POLICY, "fraud-data"))["Statement"]}
    assert data["ProducersUploadTrainingData"]["Principal"] == {"AWS": [producer]}
    artifacts = policy_of(named(run, BUCKET_POLICY, "fraud-artifacts"))["Statement"]
    assert {"Sid": "ConsumersReadModels"}.items() <= artifacts[-1].items()
    churn_key = policy_of(named(run, KEY, "churn-key"))["Statement"]
    assert producer not in json.dumps(churn_key)


def test_a_producer_that_is_not_a_role_name_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        run_program(
            STACK,
            "dev",
            config_overrides={"teams": {"fraud": {"dataProducers": ["arn:aws:iam::1:role/x"]}}},
        )
    assert "network-iam:teams.fraud.dataProducers[0]" in str(caught.value)
