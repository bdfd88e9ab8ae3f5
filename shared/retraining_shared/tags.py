"""Required tags and validation of the tags people add.

Every taggable resource gets `team`, `environment`, `project` and `managed-by=pulumi` (plus
`model` in retraining stacks and `cost-center` when configured), so cost reports and the policy
pack's `required-tags` rule can rely on them. User tags are merged in but may not override a
required tag: a stack that relabels its own `team` would escape the reports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from retraining_shared import naming

TEAM_TAG = "team"
ENVIRONMENT_TAG = "environment"
PROJECT_TAG = "project"
MANAGED_BY_TAG = "managed-by"
MODEL_TAG = "model"
COST_CENTER_TAG = "cost-center"
MANAGED_BY_VALUE = "pulumi"
REQUIRED_TAG_KEYS = (TEAM_TAG, ENVIRONMENT_TAG, PROJECT_TAG, MANAGED_BY_TAG)
RESERVED_TAG_KEYS = (*REQUIRED_TAG_KEYS, MODEL_TAG, COST_CENTER_TAG)

PLATFORM_TEAM = "platform"
"""The `team` tag of shared resources no single ML team owns (VPC, notifications key)."""

MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256
MAX_TAGS_PER_RESOURCE = 50
# AWS: letters, numbers and spaces representable in UTF-8, plus _ . : / = + - @
_TAG_CHARACTERS = re.compile(r"[\w .:/=+\-@]*")
TAG_CHARACTERS_RULE = "letters, digits, spaces and _ . : / = + - @"


class TagError(ValueError):
    """One or more tags break AWS limits or try to override a required tag."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def tag_key_problem(key: object) -> str | None:
    """Why `key` cannot be a tag key, or None."""
    if not isinstance(key, str):
        return f"tag key {key!r} must be a string"
    if not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
        return f"tag key {key!r} is {len(key)} characters; AWS allows 1-{MAX_TAG_KEY_LENGTH}"
    if key.lower().startswith("aws:"):
        return f"tag key {key!r} uses the prefix 'aws:', which AWS reserves"
    if not _TAG_CHARACTERS.fullmatch(key):
        return f"tag key {key!r} may only contain {TAG_CHARACTERS_RULE}"
    return None


def tag_value_text_problem(value: object) -> str | None:
    """Why `value` cannot be a tag value (any key), or None."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if len(value) > MAX_TAG_VALUE_LENGTH:
        return (
            f"is {len(value)} characters; AWS allows at most {MAX_TAG_VALUE_LENGTH} in a tag value"
        )
    if not _TAG_CHARACTERS.fullmatch(value):
        return f"may only contain {TAG_CHARACTERS_RULE}"
    return None


def tag_value_problem(key: str, value: object) -> str | None:
    """Why `value` cannot be the value of tag `key`, or None."""
    problem = tag_value_text_problem(value)
    return None if problem is None else f"tag {key!r} value {problem}"


def user_tag_problems(tags: Mapping[str, object], *, reserved_count: int = 0) -> list[str]:
    """Every problem with user-supplied tags (limits, reserved prefixes, required keys)."""
    problems: list[str] = []
    for key, value in tags.items():
        key_problem = tag_key_problem(key)
        if key_problem:
            problems.append(key_problem)
            continue
        if key in RESERVED_TAG_KEYS:
            problems.append(
                f"tag key {key!r} is set by the stack itself and cannot be overridden "
                f"(reserved: {', '.join(RESERVED_TAG_KEYS)})"
            )
            continue
        value_problem = tag_value_problem(key, value)
        if value_problem:
            problems.append(value_problem)
    if len(tags) + reserved_count > MAX_TAGS_PER_RESOURCE:
        problems.append(
            f"{len(tags)} user tags plus {reserved_count} required tags exceed AWS's limit of "
            f"{MAX_TAGS_PER_RESOURCE} tags per resource"
        )
    return problems


def required_tags(
    *,
    team: str,
    environment: str,
    project: str,
    model: str | None = None,
    cost_center: str | None = None,
) -> dict[str, str]:
    """The tags every resource carries. `team` may be `platform` for shared resources."""
    if team != PLATFORM_TEAM:
        naming.validate_team(team)
    naming.validate_environment(environment)
    tags = {
        TEAM_TAG: team,
        ENVIRONMENT_TAG: environment,
        PROJECT_TAG: project,
        MANAGED_BY_TAG: MANAGED_BY_VALUE,
    }
    if model is not None:
        tags[MODEL_TAG] = naming.validate_model(model)
    if cost_center is not None:
        tags[COST_CENTER_TAG] = cost_center
    problems = [p for k, v in tags.items() if (p := tag_value_problem(k, v))]
    if problems:
        raise TagError(problems)
    return tags


def merge_tags(required: Mapping[str, str], *user_tags: Mapping[str, str]) -> dict[str, str]:
    """Required tags plus user tags (later mappings win among user tags); raises TagError."""
    merged_user: dict[str, str] = {}
    for tags in user_tags:
        merged_user.update(tags)
    problems = user_tag_problems(merged_user, reserved_count=len(required))
    if problems:
        raise TagError(problems)
    return {**merged_user, **required}
