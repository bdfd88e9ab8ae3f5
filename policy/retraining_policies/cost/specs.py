"""The training specs of a resource, field by field, for the cost guardrails.

A thin layer over `training.training_specs` (Lambda TRAINING_SPEC or Step Functions
createTrainingJob Parameters): each guardrail reads one field and must report, not skip, a
spec it cannot read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from retraining_policies.framework import UNKNOWN, Resource, cannot_verify, describe
from retraining_policies.training import spec_field, training_specs


def spec_values(
    resource: Resource, what: str, *path: str
) -> Iterator[tuple[str, Mapping[str, Any] | None, Any]]:
    """(label, spec, value of `path`) per training spec; problems as (label, None, message)."""
    for label, spec, _variables in training_specs(resource):
        if spec is UNKNOWN:
            yield label, None, cannot_verify(what, label)
        elif isinstance(spec, str):
            yield label, None, spec
        elif not isinstance(spec, dict):
            yield (
                label,
                None,
                f"{label}: the training spec must be a JSON object, got {describe(spec)}",
            )
        else:
            yield label, spec, spec_field(spec, *path)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
