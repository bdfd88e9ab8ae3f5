"""The training network: a VPC with private subnets only, and a way out to AWS services that never
touches the internet (an S3 gateway endpoint, optional interface endpoints).

Traffic rules of the training security group: no ingress (unless `distributedTraining`, and then
only from itself); egress only HTTPS to S3 (through the gateway endpoint's prefix list) and to the
interface endpoints' security group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
from retraining_shared import iam
from retraining_shared.aws_context import AwsContext

INTERFACE_ENDPOINT_SERVICES = tuple(iam.INTERFACE_ENDPOINT_ACTIONS)
"""What a training job in a private subnet calls besides S3: SageMaker's API (job metadata),
ECR (image pull), CloudWatch Logs (job logs), STS (credentials)."""

HTTPS = 443


class TrainingNetwork(pulumi.ComponentResource):
    """VPC, private subnets in `zones`, route tables, endpoints and the training security group."""

    vpc: aws.ec2.Vpc
    subnets: list[aws.ec2.Subnet]
    training_security_group: aws.ec2.SecurityGroup

    def __init__(
        self,
        name: str,
        *,
        context: AwsContext,
        environment: str,
        vpc_cidr: str,
        subnet_cidrs: Sequence[str],
        zones: Sequence[str],
        interface_endpoints: bool,
        distributed_training: bool,
        s3_endpoint_bucket_names: Sequence[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("retraining:networkiam:TrainingNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        label = f"retraining-{environment}"
        self._tags = dict(tags)
        tagged = self._tagged
        # The SageMaker roles may attach network interfaces only where this tag says so.
        training_network = {iam.TRAINING_NETWORK_TAG: environment}

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=vpc_cidr,
            # Interface endpoints with private DNS need both.
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=tagged(f"{label}-training"),
            opts=child,
        )
        # The VPC's default group would otherwise allow all traffic between its members: empty it
        # (CIS AWS Foundations 5.4), so nothing can silently fall back to it.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            tags=tagged(f"{label}-default-closed"),
            opts=child,
        )

        self.subnets = []
        route_tables: list[aws.ec2.RouteTable] = []
        for zone, cidr in zip(zones, subnet_cidrs, strict=True):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{zone}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={**tagged(f"{label}-training-private-{zone}"), **training_network},
                opts=child,
            )
            # No internet or NAT route: only the VPC-local route and the S3 endpoint route.
            route_table = aws.ec2.RouteTable(
                f"{name}-private-{zone}",
                vpc_id=self.vpc.id,
                tags=tagged(f"{label}-training-private-{zone}"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}",
                subnet_id=subnet.id,
                route_table_id=route_table.id,
                opts=child,
            )
            self.subnets.append(subnet)
            route_tables.append(route_table)

        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=context.endpoint_service_name("s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in route_tables],
            policy=iam.to_json(
                iam.s3_gateway_endpoint_policy(context.arns, s3_endpoint_bucket_names)
            ),
            tags=tagged(f"{label}-s3"),
            opts=child,
        )

        self.training_security_group = aws.ec2.SecurityGroup(
            f"{name}-training",
            name=f"{label}-training",
            description="SageMaker training jobs: no ingress, HTTPS egress to AWS endpoints only",
            vpc_id=self.vpc.id,
            # No inline rules: the provider then also removes AWS's default allow-all egress.
            tags={**tagged(f"{label}-training"), **training_network},
            opts=child,
        )
        training_group_id = self.training_security_group.id

        # The S3 prefix list is AWS-managed and exists in every region: looked up by name so the
        # rule is known at preview.
        s3_prefix_list = aws.ec2.get_prefix_list(name=context.endpoint_service_name("s3"))
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-training-to-s3",
            security_group_id=training_group_id,
            description="HTTPS to S3 through the gateway endpoint",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            prefix_list_id=s3_prefix_list.id,
            tags=tagged(f"{label}-training-to-s3"),
            opts=child,
        )

        if distributed_training:
            # Multi-instance jobs talk to each other (NCCL, parameter servers) on any port.
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-training-from-itself",
                security_group_id=training_group_id,
                description="Traffic between instances of one distributed training job",
                ip_protocol="-1",
                referenced_security_group_id=training_group_id,
                tags=tagged(f"{label}-training-from-itself"),
                opts=child,
            )
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-training-to-itself",
                security_group_id=training_group_id,
                description="Traffic between instances of one distributed training job",
                ip_protocol="-1",
                referenced_security_group_id=training_group_id,
                tags=tagged(f"{label}-training-to-itself"),
                opts=child,
            )

        if interface_endpoints:
            self._interface_endpoints(name, context, label, training_group_id, child)

        self.register_outputs(
            {
                "vpc_id": self.vpc.id,
                "private_subnet_ids": [subnet.id for subnet in self.subnets],
                "training_security_group_id": training_group_id,
            }
        )

    def _tagged(self, resource_name: str) -> dict[str, str]:
        """The stack's tags plus `Name`, which the EC2 console shows."""
        return {**self._tags, "Name": resource_name}

    def _interface_endpoints(
        self,
        name: str,
        context: AwsContext,
        label: str,
        training_group_id: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> None:
        tagged = self._tagged
        endpoints_group = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            name=f"{label}-endpoints",
            description="Interface endpoints: HTTPS from the training security group only",
            vpc_id=self.vpc.id,
            tags=tagged(f"{label}-endpoints"),
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-from-training",
            security_group_id=endpoints_group.id,
            description="HTTPS from training jobs",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            referenced_security_group_id=training_group_id,
            tags=tagged(f"{label}-endpoints-from-training"),
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-training-to-endpoints",
            security_group_id=training_group_id,
            description="HTTPS to the interface endpoints",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            referenced_security_group_id=endpoints_group.id,
            tags=tagged(f"{label}-training-to-endpoints"),
            opts=child,
        )
        for service in INTERFACE_ENDPOINT_SERVICES:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=context.endpoint_service_name(service),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[subnet.id for subnet in self.subnets],
                security_group_ids=[endpoints_group.id],
                policy=iam.to_json(iam.interface_endpoint_policy(context.arns, service)),
                tags=tagged(f"{label}-{service}"),
                opts=child,
            )
