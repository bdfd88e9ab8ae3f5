"""cost-instance-types-allowed: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import spec_variant

POLICY = "cost-instance-types-allowed"

NON_COMPLIANT: list[Case] = [
    Case(
        "disallowed instance type",
        "retraining-lambda",
        spec_variant(
            ResourceConfig={
                "InstanceType": "ml.p4d.24xlarge",
                "InstanceCount": 1,
                "VolumeSizeInGB": 50,
            }
        ),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
