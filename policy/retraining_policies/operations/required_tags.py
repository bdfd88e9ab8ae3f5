"""required-tags: taggable resources carry the required tags."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
    cannot_verify,
)

FAMILY: Final = "operations"


def check_required_tags(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    required = list(config["requiredTags"])
    if resource.get("tags") is UNKNOWN and not isinstance(resource.get("tagsAll"), dict):
        yield cannot_verify("the resource's tags", "tags")
        return
    tags = resource.tags()
    missing = [key for key in required if tags.get(key) in (None, "")]
    if missing:
        yield f"missing required tag(s) {', '.join(missing)} (required: {', '.join(required)})"


REQUIRED_TAGS = PolicyDoc(
    name="required-tags",
    family=FAMILY,
    description="Taggable resources carry the required tags "
    "(team, environment, project, managed-by).",
    why="Cost reports and on-call routing rely on these "
    "tags; an untagged training orchestrator is nobody's.",
    remediation="Build tags with retraining_shared.tags.required_tags(...) "
    "and pass them to every taggable resource.",
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    config={
        "requiredTags": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["team", "environment", "project", "managed-by"],
            "description": "Tag keys every taggable resource must carry.",
        }
    },
    resource_types=types.TAGGABLE,
)

POLICY = RetrainingResourcePolicy(REQUIRED_TAGS, check_required_tags)
