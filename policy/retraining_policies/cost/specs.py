"""One field of each training spec of a resource, judged by a cost guardrail.

A thin layer over `training.specs.training_specs` (Lambda TRAINING_SPEC or Step Functions
createTrainingJob Parameters): every guardrail reads one field, and must report, not skip, a
spec or a value it cannot read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from retraining_policies.framework import UNKNOWN, Resource, cannot_verify, describe
from retraining_policies.training.specs import spec_field, training_specs

Judge = Callable[[Any], str | None]
"""Why a known value of the field breaks the guardrail, or None."""


def judge_field(
    resource: Resource, what: str, path: tuple[str, ...], judge: Judge
) -> Iterator[str]:
    """Every problem with field `path` of the resource's training specs, labelled by spec."""
    dotted = ".".join(path)
    for label, spec, _variables in training_specs(resource):
        if spec is UNKNOWN:
            yield cannot_verify(what, label)
        elif isinstance(spec, str):
            yield spec
        elif not isinstance(spec, dict):
            yield f"{label}: the training spec must be a JSON object, got {describe(spec)}"
        else:
            value = spec_field(spec, *path)
            if value is UNKNOWN:
                yield cannot_verify(what, f"{label} {dotted}")
                continue
            problem = judge(value)
            if problem:
                yield f"{label}: {problem}"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
