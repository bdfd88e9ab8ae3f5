"""cost-spot-required: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import spec_variant

POLICY = "cost-spot-required"

NON_COMPLIANT: list[Case] = [
    Case(
        "on-demand training in dev",
        "retraining-lambda",
        spec_variant(EnableManagedSpotTraining=False),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
