"""SageMaker training hardening, read from wherever the training spec lives.

The spec is the CreateTrainingJob request shape (docs/architecture.md "The training spec"):

- Lambda orchestrator: environment variable TRAINING_SPEC (JSON) plus the provider-computed parts
  in TRAINING_SUBNET_IDS, TRAINING_SECURITY_GROUP_IDS, TRAINING_KMS_KEY_ARN and
  TRAINING_VOLUME_KMS_KEY_ARN (kept out of the JSON so the JSON is known at preview);
- Step Functions orchestrator: the Parameters of every `sagemaker:createTrainingJob[.sync]` Task
  in the definition (nested Parallel/Map states included).

One rule covers both orchestrators. Settings whose value is unknown at preview are judged by
presence only (a subnet id or key ARN computed upstream, or a Step Functions `"Key.$"` path
that takes it from the execution input, which keeps the definition itself known at preview); a
setting that must be checked by value (instance type, runtime, spot) and is unknown is reported
as "cannot verify".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import orchestrator_contract as contract
from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
    cannot_verify,
    describe,
)
from retraining_policies.sagemaker_instance_types import has_local_instance_storage
from retraining_policies.training import specs

FAMILY: Final = "training-hardening"


def check_training_hardened(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for label, spec, variables in specs.training_specs(resource):
        if spec is UNKNOWN:
            yield cannot_verify("the SageMaker training settings", label)
        elif isinstance(spec, str):
            yield spec
        elif not isinstance(spec, dict):
            yield f"{label}: the training spec must be a JSON object, got {describe(spec)}"
        else:
            yield from (
                f"{label}: {problem}" for problem in _spec_problems(spec, variables, config)
            )


def _spec_problems(
    spec: Mapping[str, Any], variables: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    yield from _resource_problems(spec, config)
    yield from _stopping_problems(spec, config)
    yield from _network_problems(spec, variables, config)
    yield from _encryption_problems(spec, variables)


def _resource_problems(spec: Mapping[str, Any], config: Mapping[str, Any]) -> Iterator[str]:
    # Which instance types, how many and how long, per environment: the cost guardrails
    # (retraining_policies/cost/). Here only what makes a spec well-formed.
    del config
    instance_type = specs.spec_field(spec, "ResourceConfig", "InstanceType")
    if instance_type is not UNKNOWN and not isinstance(instance_type, str):
        yield "ResourceConfig.InstanceType is missing"
    count = specs.spec_field(spec, "ResourceConfig", "InstanceCount")
    if count is not UNKNOWN and (not _is_number(count) or count < 1):
        yield f"ResourceConfig.InstanceCount {describe(count)} must be a positive number"
    if specs.spec_field(spec, "RoleArn") in (None, ""):
        yield "RoleArn is missing: the job needs the team's SageMaker execution role"


def _stopping_problems(spec: Mapping[str, Any], config: Mapping[str, Any]) -> Iterator[str]:
    del config
    runtime = specs.spec_field(spec, "StoppingCondition", "MaxRuntimeInSeconds")
    limit = specs.SAGEMAKER_MAX_RUNTIME_SECONDS
    if runtime is UNKNOWN:
        yield cannot_verify("the maximum runtime", "StoppingCondition.MaxRuntimeInSeconds")
    elif runtime is None:
        yield (
            "StoppingCondition.MaxRuntimeInSeconds is missing: "
            "a stuck job would run (and bill) for a day"
        )
    elif not _is_number(runtime) or runtime < 1:
        yield f"StoppingCondition.MaxRuntimeInSeconds {describe(runtime)} must be a positive number"
    elif runtime > limit:
        yield (
            "StoppingCondition.MaxRuntimeInSeconds "
            f"{int(runtime)} exceeds SageMaker's limit of {limit} (28 days)"
        )
    spot = specs.spec_field(spec, "EnableManagedSpotTraining")
    if spot is UNKNOWN:
        yield cannot_verify("whether spot training is on", "EnableManagedSpotTraining")
    if spot is not True:
        return
    wait = specs.spec_field(spec, "StoppingCondition", "MaxWaitTimeInSeconds")
    if wait is UNKNOWN:
        yield cannot_verify("the spot max wait", "StoppingCondition.MaxWaitTimeInSeconds")
    elif not _is_number(wait):
        yield "spot training needs StoppingCondition.MaxWaitTimeInSeconds"
    elif _is_number(runtime) and wait <= runtime:
        yield (
            f"spot training: MaxWaitTimeInSeconds {int(wait)} must be greater than "
            f"MaxRuntimeInSeconds {int(runtime)} (time to wait for capacity)"
        )
    checkpoint = specs.spec_field(spec, "CheckpointConfig", "S3Uri")
    if checkpoint is not UNKNOWN and not (
        isinstance(checkpoint, str) and checkpoint.startswith("s3://")
    ):
        yield "spot training needs CheckpointConfig.S3Uri (s3://...) so an interrupted job resumes"


def _network_problems(
    spec: Mapping[str, Any], variables: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[str]:
    if config["requireVpc"]:
        for key, env in (
            ("Subnets", contract.ENV_SUBNET_IDS),
            ("SecurityGroupIds", contract.ENV_SECURITY_GROUP_IDS),
        ):
            value = specs.spec_field(spec, "VpcConfig", key)
            if value is UNKNOWN or (isinstance(value, list) and value):
                continue
            if env in variables and variables[env] not in (None, ""):
                continue
            yield f"VpcConfig.{key} is missing: training must run in the team's private subnets"
    for key, setting in (
        ("EnableNetworkIsolation", "requireNetworkIsolation"),
        ("EnableInterContainerTrafficEncryption", "requireInterContainerEncryption"),
    ):
        value = specs.spec_field(spec, key)
        if config[setting] and value is not True and value is not UNKNOWN:
            yield f"{key} must be true (got {describe(value)})"


def _encryption_problems(spec: Mapping[str, Any], variables: Mapping[str, Any]) -> Iterator[str]:
    output_key = specs.spec_field(spec, "OutputDataConfig", "KmsKeyId")
    if output_key in (None, "") and variables.get(contract.ENV_OUTPUT_KMS_KEY) in (None, ""):
        yield (
            "OutputDataConfig.KmsKeyId is missing: model "
            "artifacts must be encrypted with the team key"
        )
    instance_type = specs.spec_field(spec, "ResourceConfig", "InstanceType")
    if isinstance(instance_type, str) and has_local_instance_storage(instance_type):
        return  # local NVMe volumes are hardware-encrypted; AWS rejects VolumeKmsKeyId
    volume_key = specs.spec_field(spec, "ResourceConfig", "VolumeKmsKeyId")
    if volume_key in (None, "") and variables.get(contract.ENV_VOLUME_KMS_KEY) in (None, ""):
        yield (
            "ResourceConfig.VolumeKmsKeyId is missing: the "
            "training volume must be encrypted with the team key"
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


TRAINING_HARDENED = PolicyDoc(
    name="sagemaker-training-hardened",
    family=FAMILY,
    description="SageMaker training specs (Lambda TRAINING_SPEC or Step "
    "Functions createTrainingJob Parameters) are hardened.",
    why=(
        "The training job is where data and cost live: a job without MaxRuntime bills for a "
        "day when stuck, spot without checkpoints restarts from zero, jobs outside the VPC or "
        "without KMS move data unprotected, and large instance types are a cost incident."
    ),
    remediation=(
        "Set in the retraining stack's training config: max_runtime_seconds, spot.max_wait "
        "> runtime with a checkpoint prefix (instance types, counts and runtimes per "
        "environment: the cost guardrails); the stack adds VpcConfig, KMS keys, network "
        "isolation and inter-container encryption."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        "requireVpc": {"type": "boolean", "default": True, "description": "Require VpcConfig."},
        "requireNetworkIsolation": {
            "type": "boolean",
            "default": True,
            "description": "Require EnableNetworkIsolation.",
        },
        "requireInterContainerEncryption": {
            "type": "boolean",
            "default": True,
            "description": "Require EnableInterContainerTrafficEncryption.",
        },
    },
    resource_types=(types.LAMBDA_FUNCTION, types.STATE_MACHINE),
)

POLICY = RetrainingResourcePolicy(TRAINING_HARDENED, check_training_hardened)
