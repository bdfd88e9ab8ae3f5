"""notifications-topic-subscribed: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import SUBSCRIPTION, drop, edit

POLICY = "notifications-topic-subscribed"

NON_COMPLIANT: list[Case] = [
    Case(
        "topic without subscription",
        "notifications",
        drop(SUBSCRIPTION),
    ),
    Case(
        "http subscription",
        "notifications",
        edit(SUBSCRIPTION, "email", protocol="http", endpoint="http://hooks.example.com"),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
