"""The network-iam settings (`network-iam:*` keys), validated all at once before any resource.

Defaults here equal the `default:` values in Pulumi.yaml (a test keeps them equal): the CLI fills
Pulumi.yaml defaults in, but a program run any other way (mocks, automation) must not depend on it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Annotated, ClassVar

from pydantic import AfterValidator, field_validator
from retraining_shared import naming
from retraining_shared.config import (
    ConfigBool,
    ConfigModel,
    EnvironmentName,
    ProblemList,
    TagValue,
    TeamName,
    UserTags,
    invalid,
    load_config,
    setting,
)

ROLE_NAME_RULE = (
    "the name of an IAM role of this account (1-64 letters, digits and +=,.@_-), e.g. "
    "fraud-feature-export"
)


def _role_name(value: str) -> str:
    problem = naming.IAM_ROLE_NAME.problem(value)
    if problem:
        raise invalid(problem, ROLE_NAME_RULE)
    return value


RoleName = Annotated[str, AfterValidator(_role_name)]
"""A role of the deploying account, by name: the stack builds its ARN from the account it runs in
(the key policy's kms:CallerAccount condition names that account too)."""


VPC_PREFIX_RANGE = (16, 22)
SUBNET_EXTRA_BITS = 3
"""Each private subnet is 1/8 of the VPC (room for up to 8 zones): /16 → /19, /22 → /25."""


class TeamSettings(ConfigModel):
    """One onboarded ML team."""

    removed_settings: ClassVar[Mapping[str, str]] = {
        "orchestratorFailureQueue": (
            "the retraining stack always makes `<team>-<env>-<model>-orchestrator-dlq` the Lambda "
            "orchestrator's on-failure destination, which Lambda writes to with the function's "
            "role, so the role always has that grant"
        )
    }

    cost_center: TagValue | None = setting(
        None,
        description="Value of the `cost-center` tag on the team's resources.",
        allowed="0-256 letters, digits, spaces and _ . : / = + - @",
    )
    tags: UserTags = setting(
        {}, description="Extra tags on the team's resources (cannot override required tags)."
    )
    data_producers: list[RoleName] = setting(
        [],
        description=(
            "Roles that upload training data: they may PutObject into the team's data bucket and "
            "use the team key through S3 only (kms:ViaService, kms:CallerAccount)."
        ),
        allowed=f"a list of {ROLE_NAME_RULE}; the roles must exist (KMS rejects unknowns)",
    )
    model_consumers: list[RoleName] = setting(
        [],
        description=(
            "Roles that read trained models: they may GetObject from the team's artifact bucket "
            "and decrypt with the team key through S3 only."
        ),
        allowed=f"a list of {ROLE_NAME_RULE}; the roles must exist (KMS rejects unknowns)",
    )


class NetworkIamSettings(ConfigModel):
    """Every `network-iam:` config key."""

    environment: EnvironmentName = setting(
        description="Environment this stack serves; part of every name.",
        allowed="2-7 lowercase letters or digits, starting with a letter (dev, staging, prod)",
    )
    teams: dict[TeamName, TeamSettings] = setting(
        description="Onboarded ML teams: team name → team settings.",
        allowed="a mapping of 1 or more team names to settings",
        min_length=1,
    )
    vpc_cidr: str = setting(
        "10.80.0.0/16",
        description="IPv4 CIDR of the training VPC (private range, /16 to /22).",
        allowed="a private IPv4 network from /16 to /22, e.g. 10.80.0.0/16",
    )
    availability_zone_count: int = setting(
        2,
        description="Private subnets, one per availability zone (SageMaker needs at least 2).",
        allowed="2-6",
        ge=2,
        le=6,
    )
    interface_endpoints: ConfigBool = setting(
        True,
        description=(
            "Create interface endpoints (sagemaker.api, ecr.api, ecr.dkr, logs, sts) so training "
            "in the private subnets reaches those services without a NAT gateway."
        ),
        allowed="true, false",
    )
    distributed_training: ConfigBool = setting(
        False,
        description=(
            "Allow traffic between training instances (security-group self reference), needed "
            "by multi-instance jobs only."
        ),
        allowed="true, false",
    )
    kms_key_deletion_window_days: int = setting(
        30,
        description="Waiting period before a deleted team key is destroyed.",
        allowed="7-30",
        ge=7,
        le=30,
    )
    artifact_noncurrent_version_days: int = setting(
        90,
        description="Days a replaced artifact or checkpoint version is kept before expiring.",
        allowed="1-3650",
        ge=1,
        le=3650,
    )
    tags: UserTags = setting({}, description="Extra tags on every resource of the stack.")

    @field_validator("vpc_cidr")
    @classmethod
    def _private_network(cls, value: str) -> str:
        allowed = "a private IPv4 network from /16 to /22, e.g. 10.80.0.0/16"
        try:
            network = ipaddress.IPv4Network(value, strict=False)
        except ValueError as error:
            raise invalid(f"is not an IPv4 network in CIDR notation ({error})", allowed) from None
        if str(network) != value:
            raise invalid(f"has host bits set; the network is {network}", allowed)
        low, high = VPC_PREFIX_RANGE
        if not low <= network.prefixlen <= high:
            raise invalid(f"prefix /{network.prefixlen} is outside /{low}-/{high}", allowed)
        if not network.is_private:
            raise invalid("is not a private (RFC 1918) range", allowed)
        return value

    def subnet_cidrs(self, count: int) -> list[str]:
        network = ipaddress.IPv4Network(self.vpc_cidr)
        subnets = network.subnets(prefixlen_diff=SUBNET_EXTRA_BITS)
        return [str(next(subnets)) for _ in range(count)]


def load_settings() -> NetworkIamSettings:
    """All `network-iam:` settings, or one ConfigError listing every problem."""
    return load_config(NetworkIamSettings)


def check_availability_zones(
    settings: NetworkIamSettings, project: str, zone_names: Sequence[str]
) -> list[str]:
    """The zones to use; a ConfigError if the region has fewer than requested."""
    wanted = settings.availability_zone_count
    if len(zone_names) < wanted:
        problems = ProblemList(project)
        problems.add(
            "availabilityZoneCount",
            f"the region has only {len(zone_names)} available zones ({', '.join(zone_names)})",
            wanted,
            f"2-{len(zone_names)}",
        )
        problems.raise_if_any()
    return sorted(zone_names)[:wanted]
