"""cost-max-runtime-limit: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import spec_variant

POLICY = "cost-max-runtime-limit"

NON_COMPLIANT: list[Case] = [
    Case(
        "runtime above the dev ceiling",
        "retraining-lambda",
        spec_variant(
            StoppingCondition={"MaxRuntimeInSeconds": 36000, "MaxWaitTimeInSeconds": 72000}
        ),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
