"""What well-known AWS managed policies grant, so they are judged by content, not only by name.

Each entry summarises the statements of the policy's default version that matter to the pack
(broad actions, iam:PassRole and its resources), from the AWS Managed Policy Reference Guide page
of the same name (docs.aws.amazon.com/aws-managed-policy/latest/reference/<Name>.html). A policy
not listed here is judged by name only (`iam-managed-policy-allowlist` patterns): its content is
not knowable offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from retraining_policies.iam import documents as docs

_ANY_ROLE: Final = "arn:aws:iam::*:role/*"

_STATEMENTS: Final[Mapping[str, tuple[Mapping[str, Any], ...]]] = {
    # AdministratorAccess v1: Allow * on *.
    "AdministratorAccess": ({"Action": "*", "Resource": "*"},),
    # PowerUserAccess: every action except iam:*, organizations:*, account:* (NotAction).
    "PowerUserAccess": ({"NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},),
    # IAMFullAccess: iam:* on *.
    "IAMFullAccess": ({"Action": ["iam:*", "organizations:Describe*"], "Resource": "*"},),
    # job-function/SystemAdministrator: lambda:*, ec2:*, ssm:* and more on *, plus iam:PassRole
    # on roles named like rds-monitoring-role, ec2-sysadmin-*, ecr-sysadmin-* and
    # lamdba-sysadmin-* (sic) with no iam:PassedToService condition.
    "SystemAdministrator": (
        {"Action": ["ec2:*", "lambda:*", "ssm:*", "cloudformation:*"], "Resource": "*"},
        {
            "Action": ["iam:PassRole"],
            "Resource": [
                "arn:aws:iam::*:role/rds-monitoring-role",
                "arn:aws:iam::*:role/ec2-sysadmin-*",
                "arn:aws:iam::*:role/ecr-sysadmin-*",
                "arn:aws:iam::*:role/lamdba-sysadmin-*",
            ],
        },
    ),
    # AmazonSageMakerFullAccess: sagemaker:* (NotResource: Studio domains, user profiles, apps),
    # iam:PassRole on roles with StringEquals iam:PassedToService sagemaker.amazonaws.com.
    "AmazonSageMakerFullAccess": (
        {"Action": ["sagemaker:*"], "Resource": "*"},
        {
            "Action": ["iam:PassRole"],
            "Resource": _ANY_ROLE,
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        },
    ),
    # AWSLambda_FullAccess v2: lambda:* (and read actions) on *, iam:PassRole on * with
    # StringEquals iam:PassedToService lambda.amazonaws.com (checked on the reference page).
    "AWSLambda_FullAccess": (
        {"Action": ["lambda:*"], "Resource": "*"},
        {
            "Action": ["iam:PassRole"],
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
        },
    ),
    # AWSStepFunctionsFullAccess v1: states:* on * (no iam:PassRole; checked 2026-11 on the
    # reference page).
    "AWSStepFunctionsFullAccess": ({"Action": ["states:*"], "Resource": "*"},),
}


def known_statements(name: str) -> tuple[docs.Statement, ...] | None:
    """The summarised Allow statements of AWS managed policy `name` (None: not known here)."""
    raw = _STATEMENTS.get(name)
    if raw is None:
        return None
    document = docs.parse_document(
        {"Statement": [{"Sid": name, "Effect": "Allow", **statement} for statement in raw]}
    )
    return document.statements


def known_names() -> frozenset[str]:
    return frozenset(_STATEMENTS)


def aws_managed_name(arn: str) -> str | None:
    """`Name` of `arn:<partition>:iam::aws:policy/<path/>Name`, None for other ARNs."""
    prefix, _, rest = arn.partition(":iam::aws:policy/")
    if not rest or not prefix.startswith("arn:"):
        return None
    return rest.rsplit("/", 1)[-1]


def is_admin_like(name: str) -> bool:
    """Whether the managed policy grants every action, IAM writes, or a service's every action."""
    for statement in known_statements(name) or ():
        if statement.not_actions is not None:
            return True
        actions = statement.actions or ()
        if any(action == "*" or action.lower().startswith("iam:*") for action in actions):
            return True
        if any(action.endswith(":*") for action in actions) and (
            statement.resources in (("*",), None)
        ):
            return True
    return False
