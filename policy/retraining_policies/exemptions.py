"""Exempting one resource from one policy, with a reason and an expiry date.

Two ways, both checked by every policy of the pack:

- a tag on the resource: `policy-exemption:<policy-name>` = `<yyyy-mm-dd>:<reason>`
  (trivy's `ignore:<id>:exp:<date>` is the model; tags travel with the resource and show up in
  reviews of the stack code);
- the policy's own section of the `--policy-pack-config` file: `{"<policy-name>": {"exemptions":
  [{"urn" or "name": ..., "reason": ..., "expires": "yyyy-mm-dd"}]}}`
  (for resources that cannot be tagged, e.g. an EventTarget or a RolePolicy; `policy` may be
  repeated inside the entry for readability and must then match the section).

An exemption is in effect through its expiry date (UTC). While in effect, the policy's findings
for that resource are suppressed and the exemption is reported as an advisory message by
`policy-exemptions-report` (so every exemption used is visible in every preview). Once expired,
the findings are reported again and the stale exemption is itself a violation of the policy.
Malformed exemption tags are violations of `policy-exemptions-valid`.

Reporting goes through a small in-process registry: the SDK fixes a policy's enforcement level
for every message it reports, so a mandatory policy cannot itself emit the advisory "exemption
used" note. The reporting policies run last (the SDK runs policies in pack order) and drain the
registry for the resource (Analyze) or the stack (AnalyzeStack).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from retraining_policies.framework import Resource

TAG_PREFIX: Final = "policy-exemption:"
MAX_EXEMPTION_DAYS: Final = 366
"""No exemption may run longer than a year from today: exemptions are for fixing, not forgetting."""

_TAG_VALUE = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2}):(?P<reason>.*)", re.DOTALL)

CONFIG_SCHEMA: Final[Mapping[str, Any]] = {
    "type": "array",
    "description": (
        "Resources exempt from this policy: each entry names one resource by `urn` or `name`, "
        "says why (`reason`) and until when (`expires`, yyyy-mm-dd, at most a year ahead)."
    ),
    "default": [],
    "items": {
        "type": "object",
        "properties": {
            "policy": {"type": "string", "description": "optional; must be this policy's name"},
            "urn": {"type": "string", "minLength": 1},
            "name": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 3},
            "expires": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        },
        "required": ["reason", "expires"],
        "anyOf": [{"required": ["urn"]}, {"required": ["name"]}],
        "additionalProperties": False,
    },
}


def today() -> dt.date:
    """The current UTC date (tests replace this function to pin the clock)."""
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True)
class Exemption:
    policy: str
    source: str
    reason: str
    expires: dt.date


@dataclass(frozen=True)
class UsedExemption:
    exemption: Exemption
    urn: str
    name: str
    suppressed: int

    def message(self) -> str:
        exemption = self.exemption
        effect = (
            f"it suppressed {self.suppressed} finding(s)"
            if self.suppressed
            else "there was nothing to suppress: remove it"
        )
        return (
            f"{self.name} is exempt from {exemption.policy} until {exemption.expires.isoformat()} "
            f"({exemption.source}): {exemption.reason}; {effect}"
        )


def parse_tag_value(value: Any) -> tuple[dt.date, str] | str:
    """(expiry, reason) from `<yyyy-mm-dd>:<reason>`, or why the value is malformed."""
    if not isinstance(value, str):
        return f"the value must be '<yyyy-mm-dd>:<reason>', got {type(value).__name__}"
    match = _TAG_VALUE.fullmatch(value.strip())
    if match is None:
        return f"the value {value!r} must be '<yyyy-mm-dd>:<reason>', e.g. '2026-03-31:ticket 42'"
    try:
        expires = dt.date.fromisoformat(match["date"])
    except ValueError as error:
        return f"the expiry date {match['date']!r} is not a real date ({error})"
    reason = match["reason"].strip()
    if len(reason) < 3:
        return f"the value {value!r} needs a reason after the date (at least 3 characters)"
    return expires, reason


def expiry_problem(expires: dt.date, *, now: dt.date | None = None) -> str | None:
    current = now or today()
    if expires < current:
        return f"expired on {expires.isoformat()}"
    if (expires - current).days > MAX_EXEMPTION_DAYS:
        return (
            f"expires {expires.isoformat()}, more than {MAX_EXEMPTION_DAYS} days ahead; "
            "exemptions must be renewed at least yearly"
        )
    return None


def config_entry_problems(entries: Any, policy_name: str) -> list[str]:
    """Problems with the config entries the JSON schema cannot see (dates, policy name)."""
    problems: list[str] = []
    if not isinstance(entries, list):
        return problems
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        where = f"policy config exemptions[{index}]"
        named = entry.get("policy")
        if named is not None and named != policy_name:
            problems.append(
                f"{where}.policy is {named!r} but the entry sits in the config of {policy_name}; "
                "move it to that policy's section"
            )
        expires = entry.get("expires")
        if isinstance(expires, str):
            try:
                date = dt.date.fromisoformat(expires)
            except ValueError as error:
                problems.append(f"{where}.expires {expires!r} is not a real date ({error})")
                continue
            if (date - today()).days > MAX_EXEMPTION_DAYS:
                problems.append(
                    f"{where}.expires {expires} is more than {MAX_EXEMPTION_DAYS} days ahead; "
                    "exemptions must be renewed at least yearly"
                )
    return problems


def exemptions_for(
    policy_name: str, resource: Resource, config_entries: Sequence[Any]
) -> list[Exemption]:
    """Every well-formed exemption of `resource` from `policy_name` (tag and config)."""
    found: list[Exemption] = []
    horizon = today() + dt.timedelta(days=MAX_EXEMPTION_DAYS)
    tag_key = TAG_PREFIX + policy_name
    tags = resource.tags()
    if tag_key in tags:
        parsed = parse_tag_value(tags[tag_key])
        # Malformed or too-distant exemptions exempt nothing (policy-exemptions-valid says why).
        if not isinstance(parsed, str) and parsed[0] <= horizon:
            found.append(Exemption(policy_name, f"tag {tag_key}", parsed[1], parsed[0]))
    for entry in config_entries:
        if not isinstance(entry, dict):
            continue
        if entry.get("urn") != resource.urn and entry.get("name") != resource.name:
            continue
        try:
            expires = dt.date.fromisoformat(str(entry.get("expires")))
        except ValueError:
            continue  # reported as a config problem
        if expires > horizon or entry.get("policy", policy_name) != policy_name:
            continue  # reported as a config problem
        found.append(Exemption(policy_name, "policy config", str(entry.get("reason")), expires))
    return found


def apply(
    policy_name: str,
    resource: Resource,
    findings: list[str],
    config_entries: Sequence[Any],
    *,
    stack_policy: bool,
) -> list[str]:
    """The messages to report for `resource` once its exemptions are taken into account."""
    if not config_entries and not any(key.startswith(TAG_PREFIX) for key in resource.tags()):
        return findings
    candidates = exemptions_for(policy_name, resource, config_entries)
    if not candidates:
        return findings
    current = today()
    expired = [exemption for exemption in candidates if exemption.expires < current]
    active = [exemption for exemption in candidates if exemption.expires >= current]
    messages = [
        f"the exemption of {resource.name} from {policy_name} ({exemption.source}: "
        f"{exemption.reason}) expired on {exemption.expires.isoformat()}: fix the findings and "
        "remove it, or renew it with a new date and reason"
        for exemption in expired
    ]
    if not active:
        return findings + messages
    best = max(active, key=lambda exemption: exemption.expires)
    _record(UsedExemption(best, resource.urn, resource.name, len(findings)), stack_policy)
    return messages


# ---------------------------------------------------------------------------------------------
# Registry of exemptions used, drained by the reporting policies
# ---------------------------------------------------------------------------------------------

_lock = threading.Lock()
_used_by_urn: dict[str, list[UsedExemption]] = {}
_used_by_stack_policies: list[UsedExemption] = []


def _record(used: UsedExemption, stack_policy: bool) -> None:
    with _lock:
        if stack_policy:
            _used_by_stack_policies.append(used)
        else:
            _used_by_urn.setdefault(used.urn, []).append(used)


def drain_resource(urn: str) -> list[UsedExemption]:
    with _lock:
        return _used_by_urn.pop(urn, [])


def drain_stack() -> list[UsedExemption]:
    with _lock:
        drained = list(_used_by_stack_policies)
        _used_by_stack_policies.clear()
        return drained
