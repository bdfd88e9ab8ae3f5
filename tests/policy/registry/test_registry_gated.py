"""registry-gated: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, Mutation, compliant_tests, non_compliant_tests
from policy_fixtures import BASE, GATE_TAGS, MODEL_PACKAGE_GROUP, edit, gate_tags
from policy_harness import UNKNOWN

POLICY = "registry-gated"
THRESHOLD = "quality-gate-threshold"
APPROVAL = "quality-gate-approval"


def group_tags(**changes: str | None) -> Mutation:
    return edit(MODEL_PACKAGE_GROUP, BASE, tags=gate_tags(**changes))


NON_COMPLIANT: list[Case] = [
    Case(
        "automatic approval without a threshold",
        "retraining-lambda",
        group_tags(**{THRESHOLD: None}),
    ),
    Case(
        "a threshold that is not a number",
        "retraining-step-functions",
        group_tags(**{THRESHOLD: "high"}),
    ),
    Case(
        "a group without any gate",
        "retraining-lambda",
        group_tags(**dict.fromkeys(GATE_TAGS)),
    ),
    Case(
        "an unknown direction",
        "retraining-lambda",
        group_tags(**{"quality-gate-direction": "up"}),
    ),
    Case(
        "a negative minImprovement",
        "retraining-lambda",
        group_tags(**{"quality-gate-min-improvement": "-0.1"}),
    ),
    Case(
        "tags unknown at preview",
        "retraining-lambda",
        edit(MODEL_PACKAGE_GROUP, BASE, tags=UNKNOWN),
    ),
]
COMPLIANT: list[Case] = [
    Case(
        "manual approval with a minImprovement",
        "retraining-lambda",
        group_tags(**{APPROVAL: "manual", "quality-gate-min-improvement": "0.005"}),
    ),
    Case("a negative threshold (a loss)", "retraining-lambda", group_tags(**{THRESHOLD: "-2.5"})),
]

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
