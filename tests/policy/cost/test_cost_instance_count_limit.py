"""cost-instance-count-limit: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import spec_variant

POLICY = "cost-instance-count-limit"

NON_COMPLIANT: list[Case] = [
    Case(
        "more instances than dev allows",
        "retraining-lambda",
        spec_variant(ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 3}),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
