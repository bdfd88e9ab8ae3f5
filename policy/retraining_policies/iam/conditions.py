"""Whether a statement's Condition really restricts a key to concrete values, operator by operator.

A policy that requires a condition (trust policies, resource policies, iam:PassRole) needs the
condition to *narrow* who or what is allowed, not merely to mention the key. Per the IAM User
Guide ("IAM JSON policy elements: Condition operators", "Single-valued vs. multivalued context
keys", "The confused deputy problem"):

- positive string and ARN operators (`StringEquals`, `StringEqualsIgnoreCase`, `StringLike`,
  `ArnEquals`, `ArnLike`) allow only the listed values: they constrain, when every value is
  concrete (see `_concrete`);
- negated operators (`StringNotEquals`, `StringNotLike`, `ArnNotEquals`, `ArnNotLike`, ...)
  allow every value except the listed ones: they do not constrain;
- `Null` only tests whether the key is present: it does not constrain the value;
- `...IfExists` evaluates to true when the key is absent from the request: it does not
  constrain (a caller that does not send the key passes);
- `ForAllValues:` is true for a request without the key (empty set), and the User Guide warns
  against `ForAnyValue:`/`ForAllValues:` with single-valued keys (every key judged here is
  single-valued): neither constrains;
- every other operator (numeric, date, Bool, IpAddress, Binary) cannot restrict a string key.

Blocks of one statement are ANDed, so a key is constrained when at least one block constrains it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from retraining_policies.framework import UNKNOWN, as_list, describe
from retraining_policies.iam.documents import Statement

_POSITIVE_OPERATORS: Final = frozenset(
    {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"}
)
_SET_QUALIFIERS: Final = frozenset({"foranyvalue", "forallvalues"})
_ACCOUNT = re.compile(r"\d{12}")
_ORGANIZATION = re.compile(r"o-[a-z0-9]{10,32}")
_SERVICE = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?")
_ACCOUNT_KEYS: Final = frozenset(
    {"aws:sourceaccount", "aws:sourceowner", "aws:principalaccount", "aws:resourceaccount"}
)
_ORGANIZATION_KEYS: Final = frozenset({"aws:principalorgid", "aws:sourceorgid"})
_ARN_KEYS: Final = frozenset({"aws:sourcearn", "aws:principalarn"})
_SERVICE_KEYS: Final = frozenset({"iam:passedtoservice"})


@dataclass(frozen=True)
class KeyVerdict:
    """How one condition block treats a key: whether it constrains, and why not."""

    operator: str
    values: tuple[Any, ...]
    constrains: bool
    reason: str


def operator_problem(operator: str) -> str | None:  # noqa: PLR0911 - one return per rule
    """Why `operator` cannot restrict a single-valued key to named values (None: it can)."""
    qualifier, _, base = operator.rpartition(":")
    if qualifier:
        if qualifier.lower() in _SET_QUALIFIERS:
            return (
                f"{operator} is a set operator for multivalued keys; on a single-valued key it "
                "also matches requests without the key (ForAllValues) or is discouraged by AWS "
                f"(ForAnyValue): use {base}"
            )
        return f"{operator} has an unknown qualifier {qualifier!r}"
    lower = base.lower()
    if lower.endswith("ifexists"):
        return f"{operator} matches every request that does not carry the key"
    if lower == "null":
        return f"{operator} only tests whether the key is present, not its value"
    if lower not in _POSITIVE_OPERATORS:
        if "not" in lower:
            return f"{operator} allows every value except the listed ones"
        return f"{operator} cannot restrict a string key to named values"
    return None


def _concrete_arn(value: str) -> bool:
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return False
    _, partition, service, _region, account, resource = parts
    if not partition or "*" in partition or "?" in partition:
        return False
    if not service or "*" in service or "?" in service:
        return False
    # S3 bucket ARNs carry no account; every other service's ARN must name one account.
    if account == "" and service != "s3":
        return False
    if account and not _ACCOUNT.fullmatch(account):
        return False
    return bool(resource.strip("*?/:"))


def concrete_value_problem(key: str, value: Any) -> str | None:  # noqa: PLR0911 - one per key kind
    """Why `value` does not name concrete things for `key` (None: it does)."""
    if value is UNKNOWN:
        return "its value is unknown at preview"
    if not isinstance(value, str):
        return f"its value {describe(value)} is not a string"
    lower = key.lower()
    if lower in _ACCOUNT_KEYS and not _ACCOUNT.fullmatch(value):
        return f"{value!r} is not one 12-digit account id"
    if lower in _ORGANIZATION_KEYS and not _ORGANIZATION.fullmatch(value):
        return f"{value!r} is not one organization id (o-...)"
    if lower in _ARN_KEYS and not _concrete_arn(value):
        return f"{value!r} does not name resources of one service in one account"
    if lower in _SERVICE_KEYS and not _SERVICE.fullmatch(value):
        return f"{value!r} is not one service principal"
    if not value.strip("*?"):
        return f"{value!r} matches every value"
    return None


def verdicts(statement: Statement, key: str) -> list[KeyVerdict]:
    """One verdict per condition block of `statement` that mentions `key` (case-insensitive)."""
    found: list[KeyVerdict] = []
    for operator, block in statement.conditions.items():
        if not isinstance(block, Mapping):
            continue
        for condition_key, raw in block.items():
            if str(condition_key).lower() != key.lower():
                continue
            values = tuple(as_list(raw))
            reason = operator_problem(str(operator))
            if reason is None and not values:
                reason = f"{operator} lists no value"
            if reason is None:
                reason = next(
                    (p for p in (concrete_value_problem(key, v) for v in values) if p), None
                )
            found.append(KeyVerdict(str(operator), values, reason is None, reason or ""))
    return found


def constrained(statement: Statement, keys: Iterable[str]) -> bool:
    """Whether at least one of `keys` is restricted to concrete values by some block."""
    return any(verdict.constrains for key in keys for verdict in verdicts(statement, key))


def constrained_values(
    statement: Statement, key: str, accept: Callable[[str], bool] = lambda _: True
) -> list[str] | None:
    """The values `key` is restricted to (None: not constrained); `accept` filters each value."""
    for verdict in verdicts(statement, key):
        if verdict.constrains and all(isinstance(v, str) and accept(v) for v in verdict.values):
            return [str(value) for value in verdict.values]
    return None


def why_not_constrained(statement: Statement, keys: Iterable[str]) -> str:
    """A clause explaining why the keys present do not constrain ('' when none is present)."""
    reasons = [
        f"{verdict.operator} on {key}: {verdict.reason}"
        for key in keys
        for verdict in verdicts(statement, key)
        if not verdict.constrains
    ]
    return f" ({'; '.join(reasons)})" if reasons else ""


RESOURCE_POLICY_SCOPING_KEYS: Final = (
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOwner",
    "aws:SourceOrgID",
    "aws:PrincipalOrgID",
    "aws:PrincipalAccount",
)
"""Keys that limit a resource policy statement to this account or organisation (IAM User Guide,
"AWS global condition context keys" and "The confused deputy problem")."""
