"""The policies that keep exemptions honest: valid tags, and a report of every exemption used."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import exemptions
from retraining_policies.framework import (
    ALL_TYPES,
    UNKNOWN,
    Finding,
    PolicyDoc,
    Resource,
    RetrainingPolicy,
    RetrainingResourcePolicy,
    RetrainingStackPolicy,
    Stack,
    cannot_verify,
)

FAMILY: Final = "exemptions"

EXEMPTIONS_VALID = PolicyDoc(
    name="policy-exemptions-valid",
    family=FAMILY,
    description="Exemption tags (policy-exemption:<policy> = <yyyy-mm-dd>:<reason>) "
    "name a real policy, give a reason and have not expired.",
    why=(
        "An exemption is a dated promise to fix something. A typo in the policy name exempts "
        "nothing, a missing reason explains nothing, and an expired one must be renewed or fixed."
    ),
    remediation=(
        "Fix the tag to `policy-exemption:<policy-name>` = `<yyyy-mm-dd>:<reason>` with a date at "
        "most a year ahead, renew it with a new reason, or fix the resource and remove the tag."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    resource_types=ALL_TYPES,
)

EXEMPTIONS_REPORT = PolicyDoc(
    name="policy-exemptions-report",
    family=FAMILY,
    description="Reports every exemption in effect on a resource (advisory), so none is invisible.",
    why="Exemptions that nobody sees become permanent; "
    "every preview lists them with reason and expiry.",
    remediation="Nothing to do while the exemption is "
    "justified; fix the resource before it expires.",
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    resource_types=ALL_TYPES,
)

EXEMPTIONS_REPORT_STACK = PolicyDoc(
    name="policy-exemptions-report-stack",
    family=FAMILY,
    description="Reports every exemption from a stack policy in effect (advisory).",
    why="Stack policies (notifications, escalation) can be exempted "
    "per resource too; they are listed like the others.",
    remediation="Nothing to do while the exemption is "
    "justified; fix the resource before it expires.",
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
)


def build(policy_names: Sequence[str]) -> list[RetrainingPolicy]:
    """The exemption policies for a pack made of `policy_names` (reporters must come last)."""
    known = frozenset(policy_names) | {EXEMPTIONS_VALID.name}

    def check_valid(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
        del config
        for key, value in resource.tags().items():
            if not key.startswith(exemptions.TAG_PREFIX):
                continue
            policy = key[len(exemptions.TAG_PREFIX) :]
            if policy not in known:
                yield (
                    f"tag {key!r} names no policy of this pack "
                    f"(policies: {', '.join(sorted(known))})"
                )
            if value is UNKNOWN:
                yield cannot_verify("the exemption's expiry and reason", f"tags[{key!r}]")
                continue
            parsed = exemptions.parse_tag_value(value)
            if isinstance(parsed, str):
                yield f"tag {key!r}: {parsed}"
                continue
            problem = exemptions.expiry_problem(parsed[0])
            if problem:
                yield f"tag {key!r} ({parsed[1]}) {problem}"

    def check_report(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
        del config
        yield from (used.message() for used in exemptions.drain_resource(resource.urn))

    def check_report_stack(stack: Stack, config: Mapping[str, Any]) -> Iterator[Finding]:
        del config, stack
        yield from (Finding(used.message(), used.urn) for used in exemptions.drain_stack())

    return [
        RetrainingResourcePolicy(EXEMPTIONS_VALID, check_valid),
        RetrainingResourcePolicy(EXEMPTIONS_REPORT, check_report),
        RetrainingStackPolicy(EXEMPTIONS_REPORT_STACK, check_report_stack),
    ]
