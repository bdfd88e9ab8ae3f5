"""retraining_shared.tags: required tags and the limits on the tags people add."""

from __future__ import annotations

import pytest
from retraining_shared import tags
from retraining_shared.naming import NamingError
from retraining_shared.tags import TagError


def test_required_tags() -> None:
    assert tags.required_tags(team="fraud", environment="dev", project="network-iam") == {
        "team": "fraud",
        "environment": "dev",
        "project": "network-iam",
        "managed-by": "pulumi",
    }
    with_optional = tags.required_tags(
        team="fraud", environment="dev", project="retraining", model="churn", cost_center="cc 1"
    )
    assert with_optional["model"] == "churn"
    assert with_optional["cost-center"] == "cc 1"
    assert tags.required_tags(team="platform", environment="dev", project="p")["team"] == "platform"


def test_required_tags_validate_identifiers() -> None:
    with pytest.raises(NamingError):
        tags.required_tags(team="Fraud", environment="dev", project="p")
    with pytest.raises(TagError, match="256"):
        tags.required_tags(team="fraud", environment="dev", project="p", cost_center="x" * 257)


def test_merge_keeps_required_tags_and_lets_later_user_tags_win() -> None:
    required = tags.required_tags(team="fraud", environment="dev", project="p")
    merged = tags.merge_tags(required, {"owner": "a", "tier": "1"}, {"owner": "b"})
    assert merged == {**required, "owner": "b", "tier": "1"}


def test_user_tags_cannot_override_required_tags() -> None:
    required = tags.required_tags(team="fraud", environment="dev", project="p")
    with pytest.raises(TagError) as error:
        tags.merge_tags(required, {"team": "churn", "managed-by": "hand"})
    assert len(error.value.problems) == 2
    assert "cannot be overridden" in str(error.value)


@pytest.mark.parametrize(
    ("user_tags", "reason"),
    [
        ({"aws:owner": "x"}, "aws:"),
        ({"k" * 129: "x"}, "1-128"),
        ({"owner": "v" * 257}, "at most 256"),
        ({"owner": "a;b"}, "may only contain"),
        ({"own#er": "a"}, "may only contain"),
        ({f"k{i}": "v" for i in range(47)}, "limit of 50"),
    ],
)
def test_user_tag_problems(user_tags: dict[str, str], reason: str) -> None:
    problems = tags.user_tag_problems(user_tags, reserved_count=4)
    assert problems
    assert any(reason in problem for problem in problems)


def test_every_problem_is_reported() -> None:
    problems = tags.user_tag_problems({"aws:a": "1", "team": "x", "ok": "fine", "b": "x" * 300})
    assert len(problems) == 3


def test_unicode_letters_and_allowed_punctuation_pass() -> None:
    assert tags.user_tag_problems({"Kostenstelle": "Zürich 12/a:b=c+d-e@f_g.h"}) == []
