"""The account, region and partition a stack deploys into, from provider invokes.

Invokes are answered at preview (with credentials), so everything built from this context —
ARNs of deterministically named resources, bucket names with the account id — is known at
preview and can be checked by the policy pack before anything exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi_aws as aws

from retraining_shared.arns import ArnBuilder


@dataclass(frozen=True)
class AwsContext:
    arns: ArnBuilder
    dns_suffix: str
    reverse_dns_prefix: str
    """`com.amazonaws` (or `cn.com.amazonaws`): the prefix of VPC endpoint service names."""

    @property
    def account_id(self) -> str:
        return self.arns.account_id

    @property
    def region(self) -> str:
        return self.arns.region

    @property
    def partition(self) -> str:
        return self.arns.partition

    def endpoint_service_name(self, service: str) -> str:
        """`com.amazonaws.<region>.<service>`, the name a VPC endpoint is created for."""
        return f"{self.reverse_dns_prefix}.{self.region}.{service}"


def current_aws_context() -> AwsContext:
    identity = aws.get_caller_identity()
    region = aws.get_region()
    partition = aws.get_partition()
    return AwsContext(
        arns=ArnBuilder(
            partition=partition.partition,
            region=region.region,
            account_id=identity.account_id,
        ),
        dns_suffix=partition.dns_suffix,
        reverse_dns_prefix=partition.reverse_dns_prefix,
    )
