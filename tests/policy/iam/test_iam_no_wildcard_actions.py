"""iam-no-wildcard-actions: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import (
    DATA_BUCKET,
    LAMBDA_ROLE,
    ROLE_POLICY,
    SAGEMAKER_ROLE,
    TRAINING_JOBS,
    UNKNOWN,
    allow,
    doc,
    edit,
    lambda_policy,
)

POLICY = "iam-no-wildcard-actions"

NON_COMPLIANT: list[Case] = [
    Case(
        "wildcard service action",
        "network-iam",
        edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=lambda_policy(allow("Everything", ["sagemaker:*"], [TRAINING_JOBS])),
        ),
    ),
    Case(
        "partial wildcard action",
        "network-iam",
        edit(
            ROLE_POLICY,
            SAGEMAKER_ROLE,
            policy=doc(allow("ReadData", ["s3:Get*"], [f"arn:aws:s3:::{DATA_BUCKET}/*"])),
        ),
    ),
    Case(
        "allow with NotAction",
        "network-iam",
        edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=lambda_policy(
                {
                    "Sid": "AllButIam",
                    "Effect": "Allow",
                    "NotAction": "iam:*",
                    "Resource": TRAINING_JOBS,
                }
            ),
        ),
    ),
    Case(
        "policy document unknown at preview",
        "network-iam",
        edit(ROLE_POLICY, SAGEMAKER_ROLE, policy=UNKNOWN),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
