"""The notifications settings (`notifications:*` keys), validated all at once before any resource,
and the checks against the network-iam stack they refer to."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import ValidationInfo, field_validator
from retraining_shared.arns import PARTITIONS
from retraining_shared.config import (
    ConfigBool,
    ConfigModel,
    EnvironmentName,
    ProblemList,
    TeamName,
    UserTags,
    invalid,
    load_config,
    setting,
)
from retraining_shared.stack_outputs import is_unknown, with_upstream_stack_names

Protocol = Literal["email", "sqs", "https", "lambda"]

STACK_NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
# Practical address syntax (RFC 5322 dot-atom local part, a dotted DNS domain).
EMAIL_PATTERN = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
_PARTITION = "|".join(sorted(PARTITIONS, key=len, reverse=True))
SQS_ARN_PATTERN = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):sqs:(?P<region>[a-z0-9-]+):(?P<account>\d{{12}}):"
    r"(?P<name>[A-Za-z0-9_-]{1,80}(?:\.fifo)?)"
)
LAMBDA_ARN_PATTERN = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{{12}}):"
    r"function:(?P<name>[A-Za-z0-9_-]{1,64})(?::(?P<qualifier>[A-Za-z0-9$_-]{1,128}))?"
)

ENDPOINT_RULES: dict[str, str] = {
    "email": "an e-mail address, e.g. ml-oncall@example.com",
    "sqs": "a standard SQS queue ARN, arn:aws:sqs:<region>:<account>:<queue>",
    "https": "an https:// URL without embedded credentials",
    "lambda": "a Lambda function ARN, arn:aws:lambda:<region>:<account>:function:<name>",
}


def _email_problem(endpoint: str) -> str | None:
    return None if EMAIL_PATTERN.fullmatch(endpoint) else "is not an e-mail address"


def _https_problem(endpoint: str) -> str | None:
    if any(c.isspace() for c in endpoint):
        return "contains whitespace"
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname:
        return "is not an https:// URL with a host"
    if parts.username or parts.password:
        # Pulumi config is stored in plain text unless `--secret`: credentials would leak.
        return "embeds credentials (user:password@); use a secret-bearing path or header"
    return None


def _sqs_problem(endpoint: str) -> str | None:
    match = SQS_ARN_PATTERN.fullmatch(endpoint)
    if not match:
        return "is not an SQS queue ARN"
    if match["name"].endswith(".fifo"):
        return "is a FIFO queue; the team topics are standard topics"
    return None


def _lambda_problem(endpoint: str) -> str | None:
    return None if LAMBDA_ARN_PATTERN.fullmatch(endpoint) else "is not a Lambda function ARN"


_ENDPOINT_CHECKS = {
    "email": _email_problem,
    "https": _https_problem,
    "sqs": _sqs_problem,
    "lambda": _lambda_problem,
}


def endpoint_problem(protocol: str, endpoint: str) -> str | None:
    """Why `endpoint` cannot receive `protocol` notifications, or None."""
    check = _ENDPOINT_CHECKS.get(protocol)
    if check is None:
        return f"unknown protocol {protocol!r}"
    return check(endpoint)


class SubscriptionSettings(ConfigModel):
    """Who receives a team's notifications, and how."""

    protocol: Protocol = setting(
        description="Delivery protocol.", allowed="email, sqs, https, lambda"
    )
    endpoint: str = setting(description="Address, URL or ARN matching the protocol.")

    @field_validator("endpoint")
    @classmethod
    def _matches_protocol(cls, endpoint: str, info: ValidationInfo) -> str:
        protocol = info.data.get("protocol")
        if protocol is None:  # the protocol itself is wrong and already reported
            return endpoint
        problem = endpoint_problem(protocol, endpoint)
        if problem:
            raise invalid(f"{protocol} endpoint {problem}", ENDPOINT_RULES[protocol])
        return endpoint

    @property
    def logical_suffix(self) -> str:
        """Stable per subscription whatever its position in the list (reordering is no change)."""
        digest = hashlib.sha256(f"{self.protocol}:{self.endpoint}".encode()).hexdigest()
        return f"{self.protocol}-{digest[:10]}"


class TeamNotificationSettings(ConfigModel):
    subscriptions: list[SubscriptionSettings] = setting(
        description="Subscriptions of the team topic (at least one: a topic nobody reads "
        "notifies no one).",
        allowed="a list of {protocol, endpoint} with at least one entry",
        min_length=1,
    )

    @field_validator("subscriptions")
    @classmethod
    def _no_duplicates(
        cls, subscriptions: list[SubscriptionSettings]
    ) -> list[SubscriptionSettings]:
        seen: set[tuple[str, str]] = set()
        for subscription in subscriptions:
            key = (subscription.protocol, subscription.endpoint)
            if key in seen:
                raise invalid(
                    f"lists {subscription.protocol} {subscription.endpoint!r} twice",
                    "each protocol and endpoint once",
                )
            seen.add(key)
        return subscriptions


class NotificationsSettings(ConfigModel):
    """Every `notifications:` config key."""

    network_iam_stack: str = setting(
        "",
        description=(
            "Full name of the network-iam stack of this environment; "
            "empty: <this stack's organization>/network-iam/<environment>."
        ),
        allowed="<organization>/<project>/<stack>, e.g. organization/network-iam/dev",
    )
    environment: EnvironmentName = setting(
        description="Environment; must equal the network-iam stack's environment.",
        allowed="2-7 lowercase letters or digits, starting with a letter (dev, staging, prod)",
    )
    teams: dict[TeamName, TeamNotificationSettings] = setting(
        description="Teams to notify (each must be onboarded in network-iam) → subscriptions.",
        allowed="a mapping of 1 or more team names to {subscriptions: [...]}",
        min_length=1,
    )
    subscription_dead_letter_queue: ConfigBool = setting(
        True,
        description="Keep notifications SNS could not deliver in an SSE-SQS queue per team.",
        allowed="true, false",
    )
    kms_key_deletion_window_days: int = setting(
        30,
        description="Waiting period before a deleted notifications key is destroyed.",
        allowed="7-30",
        ge=7,
        le=30,
    )
    tags: UserTags = setting({}, description="Extra tags on every resource of the stack.")

    @field_validator("network_iam_stack")
    @classmethod
    def _fully_qualified(cls, value: str) -> str:
        if value and not STACK_NAME_PATTERN.fullmatch(value):
            raise invalid(
                "is not a fully qualified stack name",
                "<organization>/<project>/<stack>, e.g. organization/network-iam/dev "
                "(self-managed backends use the organization 'organization')",
            )
        return value


def load_settings() -> NotificationsSettings:
    """All `notifications:` settings, or one ConfigError listing every problem."""
    settings = load_config(NotificationsSettings)
    return with_upstream_stack_names(
        settings,
        environment=settings.environment,
        fields={"network_iam_stack": "networkIamStack"},
    )


ROLE_EXPORTS = ("lambda_orchestrator_role_arn", "step_functions_orchestrator_role_arn")


def check_against_network_iam(
    settings: NotificationsSettings,
    upstream: Mapping[str, Any],
    *,
    project: str,
    account_id: str,
    region: str,
) -> dict[str, list[str]]:
    """Check the settings against network-iam's exports; return each team's orchestrator roles.

    Raises one ConfigError listing every mismatch: a team not onboarded there, another
    environment, account or region (the roles' policies name this account's topic ARNs).
    """
    problems = ProblemList(project)
    stack = settings.network_iam_stack
    if upstream.get("environment") != settings.environment:
        problems.add(
            "environment",
            f"differs from the environment of {stack}",
            settings.environment,
            str(upstream.get("environment")),
        )
    if (upstream.get("account_id"), upstream.get("region")) != (account_id, region):
        problems.add(
            "networkIamStack",
            f"{stack} is deployed to account {upstream.get('account_id')} in "
            f"{upstream.get('region')}, this stack to account {account_id} in {region}",
            stack,
            f"a network-iam stack of account {account_id} in {region}",
        )
    onboarded = upstream.get("teams")
    onboarded_teams: Mapping[str, Any] = onboarded if isinstance(onboarded, Mapping) else {}
    roles: dict[str, list[str]] = {}
    for team in settings.teams:
        exports = onboarded_teams.get(team)
        if not isinstance(exports, Mapping):
            problems.add(
                ["teams", team],
                f"team {team!r} is not onboarded in {stack}",
                team,
                ", ".join(sorted(onboarded_teams)) or "no team is onboarded there",
            )
            continue
        team_roles = [exports.get(name) for name in ROLE_EXPORTS]
        if not all(isinstance(role, str) and not is_unknown(role) for role in team_roles):
            problems.add(
                ["teams", team],
                f"{stack} exports no known orchestrator role ARNs for {team!r} "
                f"({', '.join(ROLE_EXPORTS)})",
                team,
            )
            continue
        roles[team] = [str(role) for role in team_roles]
    problems.raise_if_any(f"Configuration does not match stack {stack}")
    return roles
