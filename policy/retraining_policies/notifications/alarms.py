"""Alarms that can really notify: a failure metric, actions enabled, an SNS action, sane data.

An alarm only notifies on a state *transition* to ALARM, through its alarm actions, when
`actionsEnabled` is not false (CloudWatch User Guide, "Using Amazon CloudWatch alarms"). So an
alarm counts as a failure route when:

- it watches a failure metric of the resource (below), directly or inside metric math
  (`metricQueries[].metric`), with the resource in the metric's dimensions (a namespace or
  metric name unknown at preview is not a route: "cannot verify");
- `actionsEnabled` is not false and an alarm action is an SNS topic;
- `treatMissingData` is not `breaching`: the metrics below are only emitted when something
  happens, so "breaching" keeps a quiet retraining stack in ALARM and a real failure then
  causes no transition, hence no notification ("Configuring how CloudWatch alarms treat missing
  data").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    ReferenceIndex,
    Resource,
    Stack,
    as_list,
    cannot_verify,
    value_names,
)
from retraining_policies.notifications.routes import any_reaches_topic

# (namespace, metric name) that count a failure of each kind of resource.
FAILURE_METRICS: Final[Mapping[str, frozenset[tuple[str, str]]]] = {
    types.LAMBDA_FUNCTION: frozenset({("AWS/Lambda", "Errors")}),
    types.STATE_MACHINE: frozenset(
        {
            ("AWS/States", "ExecutionsFailed"),
            ("AWS/States", "ExecutionsTimedOut"),
            ("AWS/States", "ExecutionsAborted"),
        }
    ),
    types.SQS_QUEUE: frozenset(
        {
            ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
            ("AWS/SQS", "NumberOfMessagesSent"),
        }
    ),
}


def _metrics(alarm: Resource) -> Iterator[tuple[Any, Any, Any, str]]:
    """(namespace, metric name, dimensions, dependency key) of every metric the alarm reads."""
    yield alarm.get("namespace"), alarm.get("metricName"), alarm.get("dimensions"), "dimensions"
    for query in as_list(alarm.get("metricQueries")):
        metric = query.get("metric") if isinstance(query, dict) else None
        if isinstance(metric, dict):
            yield (
                metric.get("namespace"),
                metric.get("metricName"),
                metric.get("dimensions"),
                "metricQueries",
            )


def _watches(alarm: Resource, target: Resource, dimensions: Any, key: str) -> bool:
    if target.urn in alarm.property_dependencies.get(key, ()):
        return True
    return isinstance(dimensions, dict) and any(
        value_names(value, target) for value in dimensions.values()
    )


def alarm_problem(stack: Stack, alarm: Resource) -> str | None:
    """Why an alarm can never notify SNS (None: it can)."""
    if alarm.get("actionsEnabled") is False:
        return f"alarm {alarm.name} has actionsEnabled=false"
    if not any_reaches_topic(stack, alarm, "alarmActions"):
        return f"alarm {alarm.name} has no SNS topic among its alarmActions"
    if alarm.get("treatMissingData") == "breaching":
        return (
            f"alarm {alarm.name} treats missing data as breaching: it stays in ALARM while "
            "nothing runs, so a real failure causes no transition and no notification"
        )
    return None


def _alarms_watching(stack: Stack, target: Resource) -> list[Resource]:
    """A superset of the alarms whose metrics may watch `target` (`_watches` decides)."""

    def references(alarm: Resource) -> tuple[list[str], list[Any]]:
        urns: list[str] = []
        values: list[Any] = []
        for _namespace, _name, dimensions, key in _metrics(alarm):
            urns.extend(alarm.property_dependencies.get(key, ()))
            if isinstance(dimensions, dict):
                values.extend(dimensions.values())
        return urns, values

    index = stack.memo(
        "alarms by what they watch",
        lambda: ReferenceIndex(stack.of_type(types.METRIC_ALARM), references),
    )
    return index.candidates(target)


def failure_alarms(stack: Stack, target: Resource) -> tuple[list[Resource], list[str]]:
    """Live alarms on a failure metric of `target`, and why other alarms on it do not count."""
    expected = FAILURE_METRICS.get(target.type, frozenset())
    live: list[Resource] = []
    notes: list[str] = []
    for alarm in _alarms_watching(stack, target):
        watched = [
            (namespace, name)
            for namespace, name, dimensions, key in _metrics(alarm)
            if _watches(alarm, target, dimensions, key)
        ]
        if not watched:
            continue
        if not any((namespace, name) in expected for namespace, name in watched):
            if any(UNKNOWN in (namespace, name) for namespace, name in watched):
                # Unknown at preview is not a route: a note that fails the check unless another
                # live route exists (as routes.reaches_topic answers None for unknown targets).
                notes.append(
                    cannot_verify(
                        f"that alarm {alarm.name} watches a failure metric", "its namespace/metric"
                    )
                )
                continue
            shown = ", ".join(f"{namespace}/{name}" for namespace, name in watched)
            notes.append(f"alarm {alarm.name} watches {shown}, not a failure metric")
            continue
        problem = alarm_problem(stack, alarm)
        if problem is None:
            live.append(alarm)
        else:
            notes.append(problem)
    return live, notes


def alarms_on_name(stack: Stack, arn: Any) -> list[Resource]:
    """Live alarms whose dimensions name a resource outside the stack (by ARN or last segment)."""
    if not isinstance(arn, str):
        return []
    name = arn.rsplit(":", 1)[-1]
    return [
        alarm
        for alarm in stack.of_type(types.METRIC_ALARM)
        if alarm_problem(stack, alarm) is None
        and any(
            isinstance(dimensions, dict) and any(v in (arn, name) for v in dimensions.values())
            for _ns, _name, dimensions, _key in _metrics(alarm)
        )
    ]
