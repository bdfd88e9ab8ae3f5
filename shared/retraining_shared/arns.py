"""ARN builders that know the partition, region and account.

Stacks get the three values from `aws.get_partition()`, `aws.get_region()` and
`aws.get_caller_identity()`: invokes, known at preview. ARNs built from them and from the
deterministic names in `naming` are therefore known at preview too, which lets an upstream stack
name a downstream resource (the team topic) without depending on the downstream stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)
_REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_ACCOUNT_PATTERN = re.compile(r"\d{12}")


class ArnError(ValueError):
    """A partition, region or account that cannot be part of an ARN."""


def service_principal(service: str) -> str:
    """`<service>.amazonaws.com`: the form every partition accepts for the services we use."""
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", service):
        raise ArnError(f"service {service!r} is not a valid service prefix")
    return f"{service}.amazonaws.com"


@dataclass(frozen=True)
class ArnBuilder:
    """Builds ARNs in one partition, region and account."""

    partition: str
    region: str
    account_id: str

    def __post_init__(self) -> None:
        if self.partition not in PARTITIONS:
            raise ArnError(
                f"partition {self.partition!r} is not one of {', '.join(sorted(PARTITIONS))}"
            )
        if not _REGION_PATTERN.fullmatch(self.region):
            raise ArnError(f"region {self.region!r} is not an AWS region code (e.g. us-east-1)")
        if not _ACCOUNT_PATTERN.fullmatch(self.account_id):
            raise ArnError(f"account id {self.account_id!r} must be exactly 12 digits")

    def _regional(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"

    # IAM and S3 are global: no region; S3 bucket ARNs carry no account either.

    @property
    def account_root(self) -> str:
        """The account principal: in a key policy it delegates to the account's IAM policies."""
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def iam_role(self, role_name: str, path: str = "/") -> str:
        if not (path.startswith("/") and path.endswith("/")):
            raise ArnError(f"IAM path {path!r} must start and end with '/'")
        return f"arn:{self.partition}:iam::{self.account_id}:role{path}{role_name}"

    def s3_bucket(self, bucket_name: str) -> str:
        return f"arn:{self.partition}:s3:::{bucket_name}"

    def s3_object(self, bucket_name: str, key_pattern: str = "*") -> str:
        return f"arn:{self.partition}:s3:::{bucket_name}/{key_pattern}"

    def sns_topic(self, topic_name: str) -> str:
        return self._regional("sns", topic_name)

    def sqs_queue(self, queue_name: str) -> str:
        return self._regional("sqs", queue_name)

    def lambda_function(self, function_name: str) -> str:
        return self._regional("lambda", f"function:{function_name}")

    def state_machine(self, state_machine_name: str) -> str:
        return self._regional("states", f"stateMachine:{state_machine_name}")

    def log_group(self, log_group_name: str) -> str:
        """The log group's ARN without `:*`: what the tagging APIs take ("Overview of managing
        access permissions to your CloudWatch Logs resources", CloudWatch Logs guide)."""
        return self._regional("logs", f"log-group:{log_group_name}")

    def log_group_for_policies(self, log_group_name: str) -> str:
        """`log-group:NAME:*`: the form the same page requires in IAM policies for every other
        action on a log group (CreateLogGroup, DescribeLogStreams, ...)."""
        return f"{self.log_group(log_group_name)}:*"

    def log_stream(self, log_group_name: str, log_stream_pattern: str = "*") -> str:
        """Streams of a group (CreateLogStream, PutLogEvents act on log-stream resources)."""
        return self._regional("logs", f"log-group:{log_group_name}:log-stream:{log_stream_pattern}")

    def sagemaker_training_job(self, job_name_or_pattern: str) -> str:
        return self._regional("sagemaker", f"training-job/{job_name_or_pattern}")

    def sagemaker_model_package_group(self, group_name_or_pattern: str) -> str:
        return self._regional("sagemaker", f"model-package-group/{group_name_or_pattern}")

    def sagemaker_model_package(self, package_path_or_pattern: str) -> str:
        """A model package; a version in a group is `model-package/<group>/<version>`."""
        return self._regional("sagemaker", f"model-package/{package_path_or_pattern}")

    def kms_key(self, key_id: str) -> str:
        return self._regional("kms", f"key/{key_id}")

    def kms_alias(self, alias_name: str) -> str:
        if not alias_name.startswith("alias/"):
            raise ArnError(f"KMS alias {alias_name!r} must start with 'alias/'")
        return self._regional("kms", alias_name)

    def ecr_repository(self, repository_name_or_pattern: str) -> str:
        return self._regional("ecr", f"repository/{repository_name_or_pattern}")

    def events_rule(self, rule_name: str, event_bus_name: str = "default") -> str:
        # Rules on the default bus have no bus segment in their ARN.
        path = rule_name if event_bus_name == "default" else f"{event_bus_name}/{rule_name}"
        return self._regional("events", f"rule/{path}")

    def scheduler_schedule(self, schedule_name: str, group_name: str = "default") -> str:
        return self._regional("scheduler", f"schedule/{group_name}/{schedule_name}")

    def scheduler_schedule_group(self, group_name: str) -> str:
        return self._regional("scheduler", f"schedule-group/{group_name}")

    def ec2_vpc(self, vpc_id: str) -> str:
        return self.ec2("vpc", vpc_id)

    def cloudwatch_alarm(self, alarm_name: str) -> str:
        return self._regional("cloudwatch", f"alarm:{alarm_name}")

    def ec2(self, resource_type: str, resource_id: str) -> str:
        """EC2 resources: subnet/…, security-group/…, network-interface/…, vpc/…"""
        return self._regional("ec2", f"{resource_type}/{resource_id}")
