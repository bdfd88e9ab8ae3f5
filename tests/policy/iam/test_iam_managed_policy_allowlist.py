"""iam-managed-policy-allowlist: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import ATTACHMENT, SAGEMAKER_ROLE, res

POLICY = "iam-managed-policy-allowlist"

NON_COMPLIANT: list[Case] = [
    Case(
        "AWS managed FullAccess policy",
        "network-iam",
        lambda rs: [
            *rs,
            res(
                ATTACHMENT,
                "sagemaker-full-access",
                {
                    "role": SAGEMAKER_ROLE,
                    "policyArn": "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
                },
                "network-iam",
            ),
        ],
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
