"""registry-group-name-prefixed: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, Mutation, compliant_tests, non_compliant_tests
from policy_fixtures import BASE, MODEL_PACKAGE_GROUP, UNKNOWN, edit, gate_tags


def named(name: object) -> Mutation:
    return edit(MODEL_PACKAGE_GROUP, BASE, modelPackageGroupName=name)


POLICY = "registry-group-name-prefixed"

NON_COMPLIANT: list[Case] = [
    Case("another team's prefix", "retraining-lambda", named("risk-dev-churn")),
    Case("another environment's prefix", "retraining-lambda", named("fraud-prod-churn")),
    Case("no prefix at all", "retraining-step-functions", named("churn-models")),
    Case("no name", "retraining-lambda", named("")),
    Case("a name unknown at preview", "retraining-lambda", named(UNKNOWN)),
    Case(
        "no team tag to judge the name by",
        "retraining-lambda",
        edit(MODEL_PACKAGE_GROUP, BASE, tags=gate_tags(team=None)),
    ),
]
COMPLIANT: list[Case] = [
    Case("a second model of the team", "retraining-lambda", named(f"{BASE}-v2")),
]

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
