"""required-tags: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

import json

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


def test_default_tags_count_whether_the_provider_sends_them_as_json_text_or_an_object() -> None:
    """The engine sends `aws:defaultTags` of the default provider as a JSON string."""
    from retraining_policies.framework import Resource

    tags = {"team": TEAM, "cost-center": "ml-42"}
    for provider_props in (
        {"defaultTags": json.dumps({"tags": tags})},
        {"defaultTags": {"tags": tags}},
    ):
        resource = Resource(
            type="aws:sns/topic:Topic",
            urn="urn:pulumi:dev::notifications::aws:sns/topic:Topic::t",
            name="t",
            props={"tags": {"owner": "platform"}},
            provider_props=provider_props,
        )
        assert resource.tags() == {**tags, "owner": "platform"}
    broken = Resource(
        type="aws:sns/topic:Topic",
        urn="urn:pulumi:dev::notifications::aws:sns/topic:Topic::t",
        name="t",
        props={},
        provider_props={"defaultTags": "{not json"},
    )
    assert broken.tags() == {}
