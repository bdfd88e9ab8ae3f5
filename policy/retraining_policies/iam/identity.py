"""What the least-privilege policies share: identity documents of a resource, listing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    Resource,
    as_list,
    cannot_verify,
)
from retraining_policies.iam import documents as docs

FAMILY: Final = "least-privilege"
MAX_LISTED = 6

DEFAULT_SERVICE_PRINCIPALS: Final = [
    "sagemaker.amazonaws.com",
    "lambda.amazonaws.com",
    "states.amazonaws.com",
    "scheduler.amazonaws.com",
    "events.amazonaws.com",
]
TRUST_ACTIONS: Final = frozenset({"sts:assumerole", "sts:tagsession", "sts:setsourceidentity"})
CONFUSED_DEPUTY_KEYS: Final = ("aws:SourceAccount", "aws:SourceArn")


def listed(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def identity_documents(resource: Resource) -> list[tuple[str, Any]]:
    """(label, document value) of every identity policy a resource carries."""
    if resource.type in (types.IAM_ROLE_POLICY, types.IAM_POLICY):
        return [("policy", resource.get("policy"))]
    if resource.type != types.IAM_ROLE:
        return []
    inline = resource.get("inlinePolicies")
    if inline is UNKNOWN:
        return [("inlinePolicies", UNKNOWN)]
    found: list[tuple[str, Any]] = []
    for index, entry in enumerate(as_list(inline)):
        if entry is UNKNOWN:
            found.append((f"inlinePolicies[{index}]", UNKNOWN))
        elif isinstance(entry, dict) and "policy" in entry:
            name = entry.get("name")
            label = (
                f"inline policy {name!r}" if isinstance(name, str) else f"inlinePolicies[{index}]"
            )
            found.append((label, entry.get("policy")))
    return found


def parsed(resource: Resource, what: str) -> Iterator[tuple[str, docs.Document | str]]:
    """(label, document) per identity document, or (label, message) when it can't be read."""
    for label, value in identity_documents(resource):
        document = docs.parse_document(value)
        if document.unknown:
            yield label, cannot_verify(what, label)
            continue
        for problem in document.problems:
            yield label, f"{label}: {problem}"
        yield label, document
