"""schedule-enabled: a schedule that is switched off is reported (advisory), not silent.

A DISABLED EventBridge rule (`state`, or the deprecated `isEnabled=false`) or a DISABLED
EventBridge Scheduler schedule (`state`) never starts a run. It may be deliberate (a paused model),
so it is advisory: it shows in every preview until the schedule is enabled or removed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies.framework import (
    UNKNOWN,
    PolicyDoc,
    Resource,
    RetrainingResourcePolicy,
    cannot_verify,
)
from retraining_policies.schedules.expressions import FAMILY, SCHEDULE_TYPES, schedule_of


def check_schedule_enabled(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    del config
    if schedule_of(resource) is None:
        return
    state = resource.get("state")
    if state is UNKNOWN:
        yield cannot_verify("that the schedule is enabled", "state")
    elif state == "DISABLED" or resource.get("isEnabled") is False:
        yield (
            f"the schedule {resource.name} is DISABLED: no retraining runs until it is enabled "
            "(set state to ENABLED, or remove the schedule if the model is retired)"
        )


SCHEDULE_ENABLED = PolicyDoc(
    name="schedule-enabled",
    family=FAMILY,
    description="Schedules that start retraining are ENABLED (advisory).",
    why=(
        "A disabled schedule passes every other check and retrains nothing; the model goes "
        "stale without an error. Pausing can be deliberate, so this is advisory."
    ),
    remediation="Set state to ENABLED on the EventRule / Schedule, or remove a retired schedule.",
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    resource_types=SCHEDULE_TYPES,
)

POLICY = RetrainingResourcePolicy(SCHEDULE_ENABLED, check_schedule_enabled)
