"""The training spec: the stack's `training` settings rendered as a CreateTrainingJob request.

One shape everywhere (docs/architecture.md "The training spec"): PascalCase keys of the AWS API,
without `TrainingJobName` (the orchestrator derives it from the scheduled occurrence).

Why it comes in two parts: the offline plan previews network-iam in the same run, so subnet ids,
the security group id and KMS key ARNs are unknown at preview, and one unknown inside a JSON
string makes the whole string unknown. The policy pack must read the spec at preview, so
`render_training_spec` builds only what is known then (image, role, instance, S3 URIs from the
deterministic bucket names, stopping condition, spot, isolation, encryption flags,
hyperparameters, tags). The Lambda gets the provider-computed ids in separate environment
variables and merges them itself; the Step Functions definition reads them from the execution
input with JSONPath parameters (`state_machine.build_definition`), which the schedule target
supplies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from retraining_shared import naming, tags
from retraining_shared.arns import PARTITIONS, ArnBuilder
from retraining_shared.sagemaker_instance_types import has_local_instance_storage

from retraining_stack.config import (
    PROJECT,
    InputChannelSettings,
    TrainingSettings,
    hyperparameter_text,
)
from retraining_stack.lambda_function import contract

LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096
"""Lambda's limit on environment variables. Lambda measures the variables serialized as JSON
(its error quotes the "String measured"), so quotes and escapes count."""

# The largest VpcConfig CreateTrainingJob accepts (16 subnets, 5 security groups) and the longest
# ids EC2 issues: the size check before any resource exists must hold whatever network-iam exports.
_MAX_SUBNETS = 16
_MAX_SECURITY_GROUPS = 5
_LONGEST_SUBNET_ID = "subnet-" + "f" * 17
_LONGEST_SECURITY_GROUP_ID = "sg-" + "f" * 17
_LONGEST_PARTITION = max(PARTITIONS, key=len)
_LONGEST_REGION = "us-isof-south-1"
_ANY_ACCOUNT = "0" * 12
_KMS_KEY_ID_LENGTH = 36  # a key id is a UUID; multi-Region keys (mrk- + 32 hex) are as long


@dataclass(frozen=True)
class TrainingTargets:
    """Where the training job runs as and reads/writes: network-iam's deterministic exports."""

    role_arn: str
    data_bucket: str
    artifact_bucket: str


@dataclass(frozen=True)
class TrainingNetwork:
    """network-iam's provider-computed values (unknown during a preview of a new stack)."""

    subnet_ids: Sequence[str]
    security_group_ids: Sequence[str]
    kms_key_arn: str


def default_input_prefix(model: str) -> str:
    return f"{model}/train/"


def default_output_prefix(model: str) -> str:
    return f"{model}/output/"


def default_checkpoint_prefix(model: str) -> str:
    return f"{model}/checkpoints/"


def spot_max_wait_seconds(settings: TrainingSettings) -> int:
    """The configured max wait, or twice the max runtime (time to wait for capacity)."""
    if settings.spot.max_wait_seconds is not None:
        return settings.spot.max_wait_seconds
    return 2 * settings.max_runtime_seconds


def sends_volume_kms_key(settings: TrainingSettings) -> bool:
    """False for instance types with local NVMe storage: AWS rejects VolumeKmsKeyId for them."""
    return not has_local_instance_storage(settings.instance_type)


def training_tags(*, team: str, model: str, environment: str) -> dict[str, str]:
    return tags.required_tags(team=team, environment=environment, project=PROJECT, model=model)


def render_training_spec(
    settings: TrainingSettings,
    *,
    model: str,
    targets: TrainingTargets,
    resource_tags: Mapping[str, str],
) -> dict[str, Any]:
    """The CreateTrainingJob request without the name, VpcConfig and KMS key ids."""
    channels = settings.input_channels
    if channels is None:
        channels = {"train": InputChannelSettings(prefix=default_input_prefix(model))}
    input_data_config = [_channel(name, channel, targets) for name, channel in channels.items()]
    output_prefix = settings.output_prefix or default_output_prefix(model)
    stopping: dict[str, int] = {"MaxRuntimeInSeconds": settings.max_runtime_seconds}
    spec: dict[str, Any] = {
        "AlgorithmSpecification": {
            "TrainingImage": settings.image,
            # The channel-level InputMode (always set below) overrides this per channel.
            "TrainingInputMode": "File",
        },
        "RoleArn": targets.role_arn,
        "InputDataConfig": input_data_config,
        "OutputDataConfig": {"S3OutputPath": f"s3://{targets.artifact_bucket}/{output_prefix}"},
        "ResourceConfig": {
            "InstanceType": settings.instance_type,
            "InstanceCount": settings.instance_count,
            "VolumeSizeInGB": settings.volume_size_gb,
        },
        "StoppingCondition": stopping,
        "EnableManagedSpotTraining": settings.spot.enabled,
        "EnableNetworkIsolation": settings.network_isolation,
        "EnableInterContainerTrafficEncryption": settings.inter_container_encryption,
        "HyperParameters": {
            key: hyperparameter_text(value) for key, value in settings.hyperparameters.items()
        },
        "Environment": dict(settings.environment),
        "Tags": [{"Key": key, "Value": value} for key, value in sorted(resource_tags.items())],
    }
    if settings.metric_definitions:
        # What a custom image reports in FinalMetricDataList (the quality gate judges one).
        spec["AlgorithmSpecification"]["MetricDefinitions"] = [
            {"Name": definition.name, "Regex": definition.regex}
            for definition in settings.metric_definitions
        ]
    if settings.spot.enabled:
        stopping["MaxWaitTimeInSeconds"] = spot_max_wait_seconds(settings)
        checkpoint_prefix = settings.spot.checkpoint_prefix or default_checkpoint_prefix(model)
        spec["CheckpointConfig"] = {"S3Uri": f"s3://{targets.artifact_bucket}/{checkpoint_prefix}"}
    return spec


def _channel(name: str, channel: InputChannelSettings, targets: TrainingTargets) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "ChannelName": name,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": f"s3://{targets.data_bucket}/{channel.prefix}",
                "S3DataDistributionType": channel.distribution,
            }
        },
        "InputMode": channel.input_mode,
    }
    if channel.content_type is not None:
        rendered["ContentType"] = channel.content_type
    return rendered


def spec_json(spec: Mapping[str, Any]) -> str:
    """Compact and stable: every byte counts against Lambda's 4 KB, and diffs stay quiet."""
    return json.dumps(spec, separators=(",", ":"), sort_keys=True)


def lambda_environment(
    spec: Mapping[str, Any],
    network: TrainingNetwork,
    *,
    job_name_prefix: str,
    topic_arn: str,
    volume_kms_key: bool,
    team: str,
    model: str,
    environment: str,
) -> dict[str, str]:
    """The orchestrator function's environment variables (names: `lambda_function.contract`)."""
    variables = {
        contract.ENV_TRAINING_SPEC: spec_json(spec),
        contract.ENV_JOB_NAME_PREFIX: job_name_prefix,
        contract.ENV_TOPIC_ARN: topic_arn,
        contract.ENV_TEAM: team,
        contract.ENV_MODEL: model,
        contract.ENV_ENVIRONMENT: environment,
        contract.ENV_SUBNET_IDS: ",".join(network.subnet_ids),
        contract.ENV_SECURITY_GROUP_IDS: ",".join(network.security_group_ids),
        contract.ENV_OUTPUT_KMS_KEY: network.kms_key_arn,
    }
    if volume_kms_key:
        variables[contract.ENV_VOLUME_KMS_KEY] = network.kms_key_arn
    return variables


def environment_size(variables: Mapping[str, str]) -> int:
    """Bytes of the variables as Lambda measures them: `{"KEY":"value",...}` in UTF-8."""
    return len(json.dumps(dict(variables), separators=(",", ":")).encode("utf-8"))


def lambda_environment_upper_bound(
    settings: TrainingSettings, *, team: str, model: str, environment: str
) -> int:
    """The largest the Lambda's environment can be, computed before anything is deployed.

    Deterministic parts are exact (names from `naming`); the account, partition and region are
    taken at their longest and the VPC at the largest VpcConfig AWS accepts, so a stack that
    passes this check fits whatever network-iam exports.
    """
    arns = ArnBuilder(_LONGEST_PARTITION, _LONGEST_REGION, _ANY_ACCOUNT)
    targets = TrainingTargets(
        role_arn=arns.iam_role(naming.sagemaker_execution_role_name(team, environment)),
        data_bucket=naming.data_bucket_name(team, environment, _ANY_ACCOUNT),
        artifact_bucket=naming.artifact_bucket_name(team, environment, _ANY_ACCOUNT),
    )
    spec = render_training_spec(
        settings,
        model=model,
        targets=targets,
        resource_tags=training_tags(team=team, model=model, environment=environment),
    )
    network = TrainingNetwork(
        subnet_ids=[_LONGEST_SUBNET_ID] * _MAX_SUBNETS,
        security_group_ids=[_LONGEST_SECURITY_GROUP_ID] * _MAX_SECURITY_GROUPS,
        kms_key_arn=arns.kms_key("f" * _KMS_KEY_ID_LENGTH),
    )
    variables = lambda_environment(
        spec,
        network,
        job_name_prefix=naming.training_job_name_prefix(team, model, environment),
        topic_arn=arns.sns_topic(naming.notification_topic_name(team, environment)),
        volume_kms_key=sends_volume_kms_key(settings),
        team=team,
        model=model,
        environment=environment,
    )
    return environment_size(variables)
