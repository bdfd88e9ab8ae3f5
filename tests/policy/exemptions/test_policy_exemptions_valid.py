"""policy-exemptions-valid: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import LOG_GROUP, TAGS, edit

POLICY = "policy-exemptions-valid"

NON_COMPLIANT: list[Case] = [
    Case(
        "expired exemption tag",
        "retraining-lambda",
        edit(
            LOG_GROUP,
            "orchestrator",
            tags={**TAGS, "policy-exemption:log-retention": "2020-01-01:legacy group"},
        ),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
