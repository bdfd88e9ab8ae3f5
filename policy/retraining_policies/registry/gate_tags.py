"""How a SageMaker Model Package Group says which quality gate guards it: tags, known at preview.

The retraining stack creates one group per team/model/environment only when `qualityGate` is
configured, and writes the gate's settings on it as these tags. The policy pack judges them at
preview (`registry-gated`): the group's tags are plain config, never provider-computed, so a
mandatory check never meets an unknown value. A version registered in the group inherits the
group's tags ("If you supply ModelPackageGroupName, your model package belongs to the model group
you specify and uses the tags associated with the model group", CreateModelPackage API
reference, Tags), so every version carries the gate that let it in.

Standard library only: the pack owns this fact and `retraining_shared.quality_gate_tags` is a
symlink to this file (the pack must stay publishable from `policy/` alone).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

TAG_METRIC: Final = "quality-gate-metric"
TAG_DIRECTION: Final = "quality-gate-direction"
TAG_THRESHOLD: Final = "quality-gate-threshold"
TAG_MIN_IMPROVEMENT: Final = "quality-gate-min-improvement"  # absent: no minImprovement
TAG_APPROVAL: Final = "quality-gate-approval"

DIRECTIONS: Final = ("maximize", "minimize")
APPROVALS: Final = ("manual", "automatic")
AUTOMATIC: Final = "automatic"


def number_text(value: float) -> str:
    """A number as a tag value: the shortest text that reads back as the same float (digits,
    '.', 'e', '+', '-': all within SageMaker's tag value characters)."""
    return repr(float(value))


def gate_tags(
    *,
    metric: str,
    direction: str,
    threshold: float,
    min_improvement: float | None,
    approval: str,
) -> dict[str, str]:
    """The tags that describe one gate."""
    tags = {
        TAG_METRIC: metric,
        TAG_DIRECTION: direction,
        TAG_THRESHOLD: number_text(threshold),
        TAG_APPROVAL: approval,
    }
    if min_improvement is not None:
        tags[TAG_MIN_IMPROVEMENT] = number_text(min_improvement)
    return tags


def _finite(text: object) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def gate_problems(tags: Mapping[str, object]) -> list[str]:
    """Why these tags do not describe a usable gate (empty: they do). An `automatic` approval
    without a threshold would approve every model the job produces."""
    problems: list[str] = []
    metric = tags.get(TAG_METRIC)
    if not isinstance(metric, str) or not metric:
        problems.append(f"tag {TAG_METRIC} is missing: the group names no metric to judge")
    direction = tags.get(TAG_DIRECTION)
    if direction not in DIRECTIONS:
        problems.append(f"tag {TAG_DIRECTION} is {direction!r}; allowed: {', '.join(DIRECTIONS)}")
    approval = tags.get(TAG_APPROVAL)
    if approval not in APPROVALS:
        problems.append(f"tag {TAG_APPROVAL} is {approval!r}; allowed: {', '.join(APPROVALS)}")
    if _finite(tags.get(TAG_THRESHOLD)) is None:
        consequence = (
            "automatic approval without a threshold approves every model"
            if approval == AUTOMATIC
            else "without a threshold the gate judges nothing"
        )
        problems.append(
            f"tag {TAG_THRESHOLD} is {tags.get(TAG_THRESHOLD)!r}, not a finite number: "
            f"{consequence}"
        )
    if TAG_MIN_IMPROVEMENT in tags:
        improvement = _finite(tags.get(TAG_MIN_IMPROVEMENT))
        if improvement is None or improvement < 0:
            problems.append(
                f"tag {TAG_MIN_IMPROVEMENT} is {tags.get(TAG_MIN_IMPROVEMENT)!r}; allowed: a "
                "finite number >= 0"
            )
    return problems
