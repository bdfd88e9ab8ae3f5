"""Assemble the stack: read and check network-iam, then the key and one topic per team."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
from retraining_shared import iam, naming
from retraining_shared.aws_context import current_aws_context
from retraining_shared.config import secret_config_keys
from retraining_shared.stack_outputs import read_stack_outputs
from retraining_shared.tags import PLATFORM_TEAM, merge_tags, required_tags

from notifications_stack.config import NotificationsSettings, check_against_network_iam
from notifications_stack.topics import TeamNotifications

NETWORK_IAM_EXPORTS = ("account_id", "region", "environment", "teams")


def build(settings: NotificationsSettings) -> None:
    project = pulumi.get_project()
    context = current_aws_context()

    # Upstream first, read to the end before anything is registered: a team that network-iam
    # does not know, or another environment/account/region, stops the program here.
    network_iam = pulumi.StackReference("network-iam", stack_name=settings.network_iam_stack)
    upstream = read_stack_outputs(
        network_iam,
        stack_name=settings.network_iam_stack,
        config_key=f"{project}:networkIamStack",
        required=NETWORK_IAM_EXPORTS,
    )
    orchestrator_roles = check_against_network_iam(
        settings,
        upstream,
        project=project,
        account_id=context.account_id,
        region=context.region,
    )

    platform_tags = merge_tags(
        required_tags(team=PLATFORM_TEAM, environment=settings.environment, project=project),
        settings.tags,
    )
    key = aws.kms.Key(
        "notifications-key",
        description=f"Retraining notification topics ({settings.environment})",
        enable_key_rotation=True,
        deletion_window_in_days=settings.kms_key_deletion_window_days,
        policy=iam.to_json(
            iam.notifications_key_policy(
                context.arns,
                [arn for roles in orchestrator_roles.values() for arn in roles],
                alarm_arn_patterns=[
                    iam.TeamScope(team, settings.environment, context.arns).alarms_arn
                    for team in settings.teams
                ],
            )
        ),
        tags=platform_tags,
    )
    aws.kms.Alias(
        "notifications-key",
        name=naming.notifications_kms_alias_name(settings.environment),
        target_key_id=key.key_id,
    )

    endpoints_are_secret = "teams" in secret_config_keys(project, ["teams"])
    teams: dict[str, TeamNotifications] = {}
    for team, team_settings in settings.teams.items():
        teams[team] = TeamNotifications(
            team,
            scope=iam.TeamScope(team, settings.environment, context.arns),
            key=key,
            orchestrator_role_arns=orchestrator_roles[team],
            subscriptions=team_settings.subscriptions,
            dead_letter_queue=settings.subscription_dead_letter_queue,
            endpoints_are_secret=endpoints_are_secret,
            tags=merge_tags(
                required_tags(team=team, environment=settings.environment, project=project),
                settings.tags,
            ),
        )

    pulumi.export("kms_key_arn", key.arn)
    pulumi.export("teams", {team: notifications.outputs for team, notifications in teams.items()})
