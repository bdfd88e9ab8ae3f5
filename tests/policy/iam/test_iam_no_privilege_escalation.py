"""iam-no-privilege-escalation: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import (
    ACCOUNT,
    ATTACHMENT,
    IAM_POLICY,
    LAMBDA_ROLE,
    TEAM,
    UNKNOWN,
    allow,
    arn,
    doc,
    res,
)

POLICY = "iam-no-privilege-escalation"

NON_COMPLIANT: list[Case] = [
    Case(
        "escalation split across two policies",
        "network-iam",
        lambda rs: [
            *rs,
            res(
                IAM_POLICY,
                "extra-lambda",
                {
                    "policy": doc(
                        allow(
                            "Create",
                            ["lambda:CreateFunction", "lambda:InvokeFunction"],
                            [arn("lambda", f"function:{TEAM}-*")],
                        )
                    )
                },
                "network-iam",
            ),
            res(
                IAM_POLICY,
                "extra-pass",
                {
                    "policy": doc(
                        allow("Pass", ["iam:PassRole"], [f"arn:aws:iam::{ACCOUNT}:role/{TEAM}-*"])
                    )
                },
                "network-iam",
            ),
            res(
                ATTACHMENT,
                "attach-extra-lambda",
                {"role": LAMBDA_ROLE, "policyArn": UNKNOWN},
                "network-iam",
                policyArn=["urn:pulumi:dev::network-iam::aws:iam/policy:Policy::extra-lambda"],
            ),
            res(
                ATTACHMENT,
                "attach-extra-pass",
                {"role": LAMBDA_ROLE, "policyArn": UNKNOWN},
                "network-iam",
                policyArn=["urn:pulumi:dev::network-iam::aws:iam/policy:Policy::extra-pass"],
            ),
        ],
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
