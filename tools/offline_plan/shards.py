"""CI shards: `--shard I/N` plans a slice of the selected stacks, `merge` joins the reports.

A shard owns every N-th *target* stack of discovery's order (round robin by index, from I-1), so
the slice is deterministic and balanced whatever the stacks are called. A shard also plans the
stacks its own targets read (transitively), as upstream stacks: planned for their exports, not
judged, not counted. Each target is therefore judged, costed and counted in exactly one shard,
and `merge` takes each stack from the shard that owns it.

Each sharded report carries `shard` = {index, count, order, owned}: `order` is the unsharded
plan's stack order (every shard computes the same discovery), which lets `merge` rebuild the
unsharded report without planning anything.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline_plan.analysis import Diagnostic
from offline_plan.authorization.proof import prove
from offline_plan.discovery import InputProblem, StackTarget
from offline_plan.report import (
    EXIT_INPUT,
    EXIT_OK,
    PlannedResource,
    PlanReport,
    PolicyPackSummary,
    ReadStack,
    StackPlan,
    summary_figures,
    verdict_word,
)

_SHARD = re.compile(r"(\d+)/(\d+)")


@dataclass(frozen=True)
class Shard:
    index: int
    """1-based."""
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`I/N` with 1 <= I <= N, or ValueError naming what is wrong."""
        match = _SHARD.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"--shard takes I/N (e.g. 1/3), not {text!r}")
        index, count = int(match.group(1)), int(match.group(2))
        if not 1 <= index <= count:
            raise ValueError(f"--shard {text}: I must be between 1 and N (1 <= I <= {count})")
        return cls(index, count)

    def owns(self, position: int) -> bool:
        """Whether the target at this 0-based position among the targets is this shard's."""
        return position % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def select(targets: Sequence[StackTarget], shard: Shard) -> tuple[list[StackTarget], list[str]]:
    """The stacks this shard plans, in discovery's order, and the full names of those it owns.

    A target owned by another shard that an owned target reads becomes an upstream here."""
    owned = [
        t.full_name
        for position, t in enumerate(t for t in targets if t.role == "target")
        if shard.owns(position)
    ]
    by_alias = {alias: t for t in targets for alias in t.aliases}
    needed = set(owned)
    pending = list(owned)
    by_name = {t.full_name: t for t in targets}
    while pending:
        for upstream in by_name[pending.pop()].upstreams.values():
            found = by_alias.get(upstream)
            if found is not None and found.full_name not in needed:
                needed.add(found.full_name)
                pending.append(found.full_name)
    kept = [t for t in targets if t.full_name in needed]
    for target in kept:
        if target.full_name not in owned:
            target.role = "upstream"
    return kept, owned


def describe(shard: Shard, order: Iterable[str], owned: list[str]) -> dict[str, Any]:
    """The report's `shard` object."""
    return {"index": shard.index, "count": shard.count, "order": list(order), "owned": owned}


class MergeError(ValueError):
    """The reports cannot be merged (different plans, missing or repeated shards)."""


def _first_of_each(items: Iterable[Any], key: Any = None) -> list[Any]:
    seen: set[str] = set()
    kept = []
    for item in items:
        identity = json.dumps(item if key is None else key(item), sort_keys=True)
        if identity not in seen:
            seen.add(identity)
            kept.append(item)
    return kept


def _check_same_plan(reports: Sequence[dict[str, Any]]) -> None:
    first = reports[0]
    for number, report in enumerate(reports, 1):
        if not isinstance(report, dict) or report.get("shard") is None:
            raise MergeError(f"report {number} is not a shard's: plan it with --shard I/N")
    for field, what in (("environment", "environments"), ("version", "report versions")):
        values = sorted({str(r.get(field)) for r in reports})
        if len(values) > 1:
            raise MergeError(f"the reports are of different {what}: {', '.join(values)}")
    packs = sorted(
        {
            f"{(r.get('policy_pack') or {}).get('name', '')}@"
            f"{(r.get('policy_pack') or {}).get('version', '')}"
            if r.get("policy_pack")
            else "no policy pack"
            for r in reports
        }
    )
    if len(packs) > 1:
        raise MergeError(f"the reports are of different policy packs: {', '.join(packs)}")
    count = first["shard"]["count"]
    if any(
        r["shard"]["count"] != count or r["shard"]["order"] != first["shard"]["order"]
        for r in reports
    ):
        raise MergeError("the reports are shards of different plans (their N or stacks differ)")
    indexes = sorted(r["shard"]["index"] for r in reports)
    if indexes != list(range(1, count + 1)):
        missing = sorted(set(range(1, count + 1)) - set(indexes))
        repeated = sorted({i for i in indexes if indexes.count(i) > 1})
        raise MergeError(
            f"the reports must be shards 1..{count} once each"
            + (f"; missing {', '.join(f'{i}/{count}' for i in missing)}" if missing else "")
            + (f"; repeated {', '.join(f'{i}/{count}' for i in repeated)}" if repeated else "")
        )


def _capacity(reports: Sequence[dict[str, Any]], stacks: list[StackPlan]) -> Any:
    """The earliest window, the shards' prices, and totals summed over the owned stacks as
    `capacity.attach_capacity` sums them (runs x count x runtime, in stack order)."""
    shards = [r["capacity"] for r in reports if r.get("capacity") is not None]
    if not shards:
        return None
    merged = dict(shards[0])
    merged["windowStart"] = min(c["windowStart"] for c in shards)
    total = 0.0
    by_type: dict[str, float] = {}
    for stack in stacks:
        job = stack.capacity
        if job is None:
            continue
        hours = job["runsPerMonth"] * job["instanceCount"] * job["maxRuntimeSeconds"] / 3600
        total += hours
        by_type[job["instanceType"]] = by_type.get(job["instanceType"], 0.0) + hours
    merged["maxInstanceHoursPerMonth"] = round(total, 2)
    merged["maxInstanceHoursPerMonthByInstanceType"] = {
        name: round(hours, 2) for name, hours in sorted(by_type.items())
    }
    return merged


def _stack(document: dict[str, Any]) -> StackPlan:
    """A report's stack back as the planner's StackPlan (its values are already masked)."""
    timings = document["timings"]
    return StackPlan(
        project=document["project"],
        stack=document["stack"],
        organization=document["full_name"].split("/", 1)[0],
        config_file=document["config_file"],
        role=document["role"],
        status=document["status"],
        resources=[PlannedResource(**r) for r in document["resources"]],
        outputs=document["outputs"],
        warnings=document["warnings"],
        program_seconds=timings["program_seconds"],
        analysis_seconds=timings["analysis_seconds"],
        analysis_rpc_seconds=timings["analysis_rpc_seconds"],
        resources_analyzed=timings["resources_analyzed"],
        capacity=document["capacity"],
    )


def _problem(document: dict[str, Any]) -> InputProblem:
    return InputProblem(**{**document, "keys": tuple(document["keys"])})


def merge(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One report from the shards' reports, as the unsharded plan writes it (resources within
    a stack keep each shard's registration order).

    The authorization proof is proven again here, over every shard's stacks: it is a property
    of the environment (a team without a planned stack of some kind gets edges "for a future
    stack of the team"), so a shard's own proof covers only its slice."""
    if not reports:
        raise MergeError("no report to merge")
    _check_same_plan(reports)
    order = list(reports[0]["shard"]["order"])
    position = {name: index for index, name in enumerate(order)}
    owner = {name: r for r in reports for name in r["shard"]["owned"]}
    report = PlanReport(environment=reports[0]["environment"])
    for name in order:
        candidates = [owner[name]] if name in owner else reports
        found = next((s for r in candidates for s in r["stacks"] if s["full_name"] == name), None)
        if found is not None:
            report.stacks.append(_stack(found))
    report.upstream = [
        ReadStack(**u) for u in _first_of_each(u for r in reports for u in r["upstream"])
    ]
    report.diagnostics = [
        Diagnostic(**d)
        for d in sorted(
            (d for r in reports for d in r["diagnostics"] if owner.get(d["stack"]) is r),
            key=lambda d: position.get(d["stack"], -1),
        )
    ]
    # Plan-wide errors (discovery, the pack) first, then each stack's in plan order; an
    # upstream stack's error appears in every shard that planned it: once here.
    report.errors = [
        _problem(e)
        for e in sorted(
            _first_of_each(e for r in reports for e in r["errors"]),
            key=lambda e: position.get(e.get("stack") or "", -1),
        )
    ]
    report.warnings = _first_of_each(w for r in reports for w in r["warnings"])
    pack = reports[0]["policy_pack"]
    if pack is not None:
        report.policy_pack = PolicyPackSummary(
            **{
                **pack,
                # Each shard started its own pack processes.
                "processes_started": sum(r["policy_pack"]["processes_started"] for r in reports),
            }
        )
    report.authorization = prove(report)
    report.capacity = _capacity(reports, report.stacks)
    report.seconds = max(r["seconds"] for r in reports)  # the slowest shard, run side by side
    merged = report.to_json()
    # A shard's own proof may also fail edges of its slice: the worst verdict stands.
    merged["exit_code"] = max(merged["exit_code"], *(r["exit_code"] for r in reports))
    merged["ok"] = merged["exit_code"] == EXIT_OK
    return merged


def summary_line(report: dict[str, Any]) -> str:
    """The plan's last line (offline_plan.render), from a JSON report."""
    exit_code = int(report["exit_code"])
    figures = summary_figures(
        report["summary"],
        upstream_read=len(report["upstream"]),
        seconds=report["seconds"],
        exit_code=exit_code,
    )
    return f"{verdict_word(exit_code)} {figures}"


def merge_files(paths: Sequence[Path], output: Path | None) -> int:
    """`python -m offline_plan merge REPORT.json... [--json OUT]`: the merged exit code."""
    try:
        reports = [json.loads(path.read_text(encoding="utf-8")) for path in paths]
    except (OSError, ValueError) as error:
        print(f"offline plan merge: {error}", file=sys.stderr)
        return EXIT_INPUT
    try:
        merged = merge(reports)
    except MergeError as error:
        print(f"offline plan merge: {error}", file=sys.stderr)
        return EXIT_INPUT
    if output is not None:
        output.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    print(summary_line(merged))
    return int(merged["exit_code"])
