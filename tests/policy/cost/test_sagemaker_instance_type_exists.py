"""sagemaker-instance-type-exists: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import spec_variant

POLICY = "sagemaker-instance-type-exists"

NON_COMPLIANT: list[Case] = [
    Case(
        "instance type SageMaker does not have",
        "retraining-lambda",
        spec_variant(ResourceConfig={"InstanceType": "ml.m5.3xlarge", "InstanceCount": 1}),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
