"""lambda-permission-source-arn: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import DELETE, PERMISSION, edit

POLICY = "lambda-permission-source-arn"

NON_COMPLIANT: list[Case] = [
    Case(
        "permission without source ARN",
        "retraining-lambda",
        edit(PERMISSION, "allow-events", sourceArn=DELETE),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
