"""iam-passrole-scoped: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import (
    LAMBDA_ROLE,
    ROLE_POLICY,
    SAGEMAKER_ROLE,
    allow,
    edit,
    lambda_policy,
    role_arn,
)

POLICY = "iam-passrole-scoped"

NON_COMPLIANT: list[Case] = [
    Case(
        "PassRole on *",
        "network-iam",
        edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=lambda_policy(
                allow(
                    "Pass",
                    ["iam:PassRole"],
                    ["*"],
                    {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                ),
                base=[],
            ),
        ),
    ),
    Case(
        "PassRole without PassedToService",
        "network-iam",
        edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=lambda_policy(
                allow("Pass", ["iam:PassRole"], [role_arn(SAGEMAKER_ROLE)]), base=[]
            ),
        ),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
