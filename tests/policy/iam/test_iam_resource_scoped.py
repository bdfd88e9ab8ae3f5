"""iam-resource-scoped: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import LAMBDA_ROLE, ROLE_POLICY, allow, arn, edit, lambda_policy

POLICY = "iam-resource-scoped"

NON_COMPLIANT: list[Case] = [
    Case(
        "Resource * on a restrictable action",
        "network-iam",
        edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=lambda_policy(allow("Any", ["sns:Publish"], ["*"]), base=[]),
        ),
    ),
    Case(
        "every topic of the account",
        "network-iam",
        edit(
            ROLE_POLICY,
            LAMBDA_ROLE,
            policy=lambda_policy(allow("AnyTopic", ["sns:Publish"], [arn("sns", "*")]), base=[]),
        ),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
