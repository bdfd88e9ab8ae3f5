"""required-tags: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import TEAM, TOPIC, TOPIC_NAME, edit

POLICY = "required-tags"

NON_COMPLIANT: list[Case] = [
    Case(
        "topic without required tags",
        "notifications",
        edit(TOPIC, TOPIC_NAME, tags={"team": TEAM}),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
