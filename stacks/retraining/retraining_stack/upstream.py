"""What this stack takes from network-iam and notifications, checked before anything is created.

The exports are read synchronously (`retraining_shared.stack_outputs`), so a team that is not
onboarded, a stack of another environment or another account stops the program with a
ConfigError naming the config key, before a single resource is registered.

Knownness (docs/architecture.md "Stack exports"): role ARNs, bucket names and topic ARNs are
deterministic, known even when the upstream stack is only previewed in the same offline run; they
are used as plain strings. Subnet ids, the security group id and the team KMS key ARN are computed
by the provider and may be unknown then: they stay Outputs, read key by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from retraining_shared.arns import ArnBuilder
from retraining_shared.config import ConfigError, ConfigProblem, render_value
from retraining_shared.stack_outputs import is_unknown, read_stack_outputs
from retraining_shared.team_exports import NETWORK_IAM_TEAM_KEYS, NOTIFICATIONS_TEAM_KEYS

from retraining_stack.config import PROJECT, RetrainingSettings
from retraining_stack.training_spec import TrainingTargets

NETWORK_IAM_EXPORTS = (
    "account_id",
    "region",
    "partition",
    "environment",
    "private_subnet_ids",
    "training_security_group_id",
    "teams",
    "team_kms_key_arns",
    "distributed_training",
)
NOTIFICATIONS_EXPORTS = ("teams",)


@dataclass(frozen=True)
class Upstream:
    """network-iam's and notifications' exports for this stack's team."""

    targets: TrainingTargets
    lambda_orchestrator_role_arn: str
    step_functions_orchestrator_role_arn: str
    schedule_invoker_role_arn: str
    topic_arn: str
    subnet_ids: pulumi.Output[list[str]]
    security_group_id: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]


def read_upstream(settings: RetrainingSettings, arns: ArnBuilder) -> Upstream:
    """Reference both upstream stacks and check them against the settings and the account."""
    network_key = f"{PROJECT}:networkIamStack"
    notifications_key = f"{PROJECT}:notificationsStack"
    network_reference = pulumi.StackReference(settings.network_iam_stack)
    notifications_reference = pulumi.StackReference(settings.notifications_stack)
    network = read_stack_outputs(
        network_reference,
        stack_name=settings.network_iam_stack,
        config_key=network_key,
        required=NETWORK_IAM_EXPORTS,
    )
    notifications = read_stack_outputs(
        notifications_reference,
        stack_name=settings.notifications_stack,
        config_key=notifications_key,
        required=NOTIFICATIONS_EXPORTS,
    )

    problems: list[ConfigProblem] = []

    def problem(key: str, stack: str, text: str, allowed: str | None = None) -> None:
        problems.append(ConfigProblem(key, f"stack {stack} {text}", render_value(stack), allowed))

    expected = {
        "environment": settings.environment,
        "account_id": arns.account_id,
        "region": arns.region,
        "partition": arns.partition,
    }
    for export, value in expected.items():
        actual = network[export]
        if not is_unknown(actual) and actual != value:
            problem(
                network_key,
                settings.network_iam_stack,
                f"exports {export} {actual!r}, but this stack deploys to {export} {value!r}",
                f"a network-iam stack of {export} {value!r}",
            )
    network_team = _team_entry(network["teams"], settings.team, NETWORK_IAM_TEAM_KEYS)
    if isinstance(network_team, str):
        problem(network_key, settings.network_iam_stack, network_team)
    notifications_team = _team_entry(notifications["teams"], settings.team, NOTIFICATIONS_TEAM_KEYS)
    if isinstance(notifications_team, str):
        problem(notifications_key, settings.notifications_stack, notifications_team)
    if not _exports_team_key(network["team_kms_key_arns"], settings.team):
        problem(
            network_key, settings.network_iam_stack, f"exports no team_kms_key_arns.{settings.team}"
        )
    distributed = network["distributed_training"]
    if settings.training.instance_count > 1 and distributed is False:
        # Multi-instance jobs exchange data between instances (NCCL, parameter servers): the
        # training security group must admit its own members ("Give SageMaker Training Jobs
        # Access to Resources in Your Amazon VPC": distributed training needs a rule allowing
        # inbound connections between members of the same security group).
        problem(
            network_key,
            settings.network_iam_stack,
            f"has distributedTraining off, but {PROJECT}:training.instanceCount is "
            f"{settings.training.instance_count}: instances of one job could not reach each other",
            "a network-iam stack with distributedTraining: true, or instanceCount 1",
        )
    if problems or isinstance(network_team, str) or isinstance(notifications_team, str):
        raise ConfigError(problems, context="The upstream stacks cannot serve this stack")

    # Key by key: an unknown KMS key ARN (a new key in a previewed upstream) must not make the
    # known subnet ids unknown, or the other way round.
    team = settings.team
    kms_key_arn = network_reference.require_output("team_kms_key_arns").apply(
        lambda keys: str(keys[team])
    )
    return Upstream(
        targets=TrainingTargets(
            role_arn=network_team["sagemaker_execution_role_arn"],
            data_bucket=network_team["data_bucket_name"],
            artifact_bucket=network_team["artifact_bucket_name"],
        ),
        lambda_orchestrator_role_arn=network_team["lambda_orchestrator_role_arn"],
        step_functions_orchestrator_role_arn=network_team["step_functions_orchestrator_role_arn"],
        schedule_invoker_role_arn=network_team["schedule_invoker_role_arn"],
        topic_arn=notifications_team["topic_arn"],
        subnet_ids=network_reference.require_output("private_subnet_ids"),
        security_group_id=network_reference.require_output("training_security_group_id"),
        kms_key_arn=kms_key_arn,
    )


def _team_entry(teams: Any, team: str, keys: tuple[str, ...]) -> dict[str, str] | str:
    """The team's exports as known strings, or why they cannot be used."""
    if not isinstance(teams, Mapping):
        return "exports no readable 'teams' map"
    entry = teams.get(team)
    if not isinstance(entry, Mapping):
        onboarded = ", ".join(sorted(str(t) for t in teams)) or "none"
        return f"has no team {team!r} (onboarded teams: {onboarded})"
    values: dict[str, str] = {}
    for key in keys:
        value = entry.get(key)
        if is_unknown(value):
            # Deterministic by contract; unknown means the upstream broke the contract.
            return f"exports teams.{team}.{key} as a value unknown until deployment"
        if not isinstance(value, str) or not value:
            return f"exports no teams.{team}.{key}"
        values[key] = value
    return values


def _exports_team_key(keys: Any, team: str) -> bool:
    """The team's key ARN is there (a new key's ARN is unknown at preview, which is fine)."""
    if is_unknown(keys):
        return True
    if not isinstance(keys, Mapping):
        return False
    key = keys.get(team)
    return is_unknown(key) or (isinstance(key, str) and key.startswith("arn:"))
