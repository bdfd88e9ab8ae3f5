"""iam-no-wildcard-actions: IAM policies name every action."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
)
from retraining_policies.iam import documents as docs
from retraining_policies.iam.identity import (
    FAMILY,
    listed,
    parsed,
)


def check_no_wildcard_actions(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    allowed = set(config["allowedWildcardActions"])
    for label, document in parsed(resource, "that no action is a wildcard"):
        if isinstance(document, str):
            yield document
            continue
        for statement in document.allow_statements():
            where = f"{label} {statement.label}"
            if statement.not_actions is not None:
                yield (
                    f"{where}: Allow with NotAction {list(statement.not_actions)} grants every "
                    "other action of every service; list the actions the code calls instead"
                )
            for action in statement.actions or ():
                if not docs.is_wildcard(action) or action in allowed:
                    continue
                matched = list(docs.expand(action))
                scope = (
                    f"matches {len(matched)} actions ({listed(matched)})"
                    if matched
                    else "matches every action"
                    if action.split(":")[0] in ("*", "")
                    else "is a wildcard"
                )
                yield f"{where}: action {action!r} {scope}; name each action the code calls"


NO_WILDCARD_ACTIONS = PolicyDoc(
    name="iam-no-wildcard-actions",
    family=FAMILY,
    description="IAM policies name every action: no '*', "
    "'service:*', partial wildcards or Allow+NotAction.",
    why=(
        "A wildcard grants every action AWS adds to the service later, including destructive "
        "and privilege-changing ones; least privilege means naming what the code calls."
    ),
    remediation=(
        "Replace each wildcard with the exact actions the orchestrator, SageMaker job or "
        "schedule calls (the shared `retraining_shared.iam` builders list them with a reason "
        "each). Replace Allow+NotAction with an explicit Action list."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        "allowedWildcardActions": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Wildcard action patterns accepted anyway "
            "(exact spelling, e.g. 'xray:Put*').",
        }
    },
    resource_types=types.IDENTITY_POLICY_HOLDERS,
)

POLICY = RetrainingResourcePolicy(NO_WILDCARD_ACTIONS, check_no_wildcard_actions)
