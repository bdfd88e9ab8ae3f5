"""iam-trust-policy-scoped: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import LAMBDA_ROLE, ROLE, SAGEMAKER_ROLE, doc, edit

POLICY = "iam-trust-policy-scoped"

NON_COMPLIANT: list[Case] = [
    Case(
        "trust policy for everyone",
        "network-iam",
        edit(
            ROLE,
            LAMBDA_ROLE,
            assumeRolePolicy=doc(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            ),
        ),
    ),
    Case(
        "trust without SourceAccount",
        "network-iam",
        edit(
            ROLE,
            SAGEMAKER_ROLE,
            assumeRolePolicy=doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ),
        ),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
