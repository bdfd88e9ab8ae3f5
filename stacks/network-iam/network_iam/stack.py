"""Assemble the stack: context from invokes, the network, one baseline per team, the exports."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws
from retraining_shared import iam
from retraining_shared.aws_context import AwsContext, current_aws_context
from retraining_shared.tags import PLATFORM_TEAM, merge_tags, required_tags

from network_iam.config import NetworkIamSettings, check_availability_zones
from network_iam.network import TrainingNetwork
from network_iam.team_resources import TeamBaseline


def build(settings: NetworkIamSettings) -> None:
    """Register every resource and export the contract outputs (docs/architecture.md)."""
    project = pulumi.get_project()
    context = current_aws_context()
    # Invokes only so far: a region with too few zones is still a config problem, reported before
    # any resource exists.
    # Regular zones only: Local and Wavelength Zones (opted-in) cannot host SageMaker training.
    regular_zones = aws.get_availability_zones(
        state="available",
        filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
    )
    zones = check_availability_zones(settings, project, regular_zones.names)
    scopes = {
        team: iam.TeamScope(team, settings.environment, context.arns) for team in settings.teams
    }

    platform_tags = merge_tags(
        required_tags(team=PLATFORM_TEAM, environment=settings.environment, project=project),
        settings.tags,
    )
    network = TrainingNetwork(
        "training",
        context=context,
        environment=settings.environment,
        vpc_cidr=settings.vpc_cidr,
        subnet_cidrs=settings.subnet_cidrs(len(zones)),
        zones=zones,
        interface_endpoints=settings.interface_endpoints,
        distributed_training=settings.distributed_training,
        s3_endpoint_bucket_names=[
            name
            for scope in scopes.values()
            for name in (scope.data_bucket_name, scope.artifact_bucket_name)
        ],
        tags=platform_tags,
    )
    baselines: dict[str, TeamBaseline] = {}
    for team, team_settings in settings.teams.items():
        team_tags = merge_tags(
            required_tags(
                team=team,
                environment=settings.environment,
                project=project,
                cost_center=team_settings.cost_center,
            ),
            settings.tags,
            team_settings.tags,
        )
        baselines[team] = TeamBaseline(
            team,
            scope=scopes[team],
            data_producers=[context.arns.iam_role(n) for n in team_settings.data_producers],
            model_consumers=[context.arns.iam_role(n) for n in team_settings.model_consumers],
            kms_key_deletion_window_days=settings.kms_key_deletion_window_days,
            artifact_noncurrent_version_days=settings.artifact_noncurrent_version_days,
            tags=team_tags,
        )

    export_outputs(context, settings, network, baselines)


def export_outputs(
    context: AwsContext,
    settings: NetworkIamSettings,
    network: TrainingNetwork,
    baselines: Mapping[str, TeamBaseline],
) -> None:
    pulumi.export("account_id", context.account_id)
    pulumi.export("region", context.region)
    pulumi.export("partition", context.partition)
    pulumi.export("environment", settings.environment)
    # Whether the training security group lets instances of one job talk to each other: a
    # retraining stack with instanceCount > 1 refuses a network without it.
    pulumi.export("distributed_training", settings.distributed_training)
    pulumi.export("vpc_id", network.vpc.id)
    pulumi.export("private_subnet_ids", [subnet.id for subnet in network.subnets])
    pulumi.export("training_security_group_id", network.training_security_group.id)
    pulumi.export("teams", {team: baseline.outputs for team, baseline in baselines.items()})
    # Not inside `teams`: a key ARN is unknown until the key exists, and a downstream
    # StackReference output is known or unknown as a whole. Kept apart, `teams` (deterministic
    # names and ARNs only) stays known at preview downstream (docs/architecture.md).
    pulumi.export(
        "team_kms_key_arns", {team: baseline.key.arn for team, baseline in baselines.items()}
    )
