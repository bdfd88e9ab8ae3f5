"""cost-spot-required: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from typing import Any

from policy_cases import Case, Mutation, compliant_tests, non_compliant_tests
from policy_fixtures import FUNCTION, TAGS, UNKNOWN, chain, edit, spec_variant
from policy_harness import InProcessPack, by_policy

POLICY = "cost-spot-required"


def _on_demand_tagged(name: str, environment: Any) -> Case:
    """An on-demand job whose orchestrator's `environment` tag is `environment` (None: absent)."""
    tags = {key: value for key, value in TAGS.items() if key != "environment"}
    if environment is not None:
        tags["environment"] = environment
    mutation: Mutation = chain(
        spec_variant(EnableManagedSpotTraining=False), edit(FUNCTION, "orchestrator", tags=tags)
    )
    return Case(name, "retraining-lambda", mutation)


NON_COMPLIANT: list[Case] = [
    Case(
        "on-demand training in dev",
        "retraining-lambda",
        spec_variant(EnableManagedSpotTraining=False),
    ),
    # Judged as the strictest environment (cost/environments.py: `*`, as strict as dev).
    _on_demand_tagged("on-demand training without an environment tag", None),
    # Unknown at preview: which rule applies cannot be told, which fails a mandatory check.
    _on_demand_tagged("on-demand training with an environment unknown at preview", UNKNOWN),
]
COMPLIANT: list[Case] = [
    _on_demand_tagged("on-demand training in prod (not in requiredIn)", "prod"),
    _on_demand_tagged("on-demand training in an environment not named", "qa"),
]

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)


def test_a_missing_tag_is_judged_strictest_and_an_unknown_one_cannot_be_verified() -> None:
    pack = InProcessPack()
    missing, unknown = (
        [d.message for d in by_policy(pack.preview(case.resources()), POLICY)]
        for case in NON_COMPLIANT[1:]
    )
    assert len(missing) == 1
    assert "a stack without an environment tag is judged as the strictest" in missing[0]
    assert len(unknown) == 1
    assert "cannot verify which environment's spot rule applies" in unknown[0]
    assert "tags.environment is unknown at preview" in unknown[0]
