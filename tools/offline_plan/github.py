"""The plan as GitHub Actions shows it: a job summary and annotations on the stack files.

With `--github` (or `GITHUB_ACTIONS=true`, which the runner sets in every job) the plan
- appends a Markdown summary (stacks, resources, schedules, findings, errors, and the report's
  capacity section when it has one) to the file `$GITHUB_STEP_SUMMARY` names; GitHub renders it
  on the run's page ("Adding a job summary", GitHub Actions docs, workflow commands);
- prints `::error file=…,line=…,col=…,title=…::message` workflow commands for config errors
  and `::error` / `::warning` for mandatory / advisory policy findings; GitHub shows them on the
  pull request's diff at that line. Values are escaped as actions/toolkit does
  (packages/core/src/command.ts: escapeData `%` `\\r` `\\n`; escapeProperty also `:` `,`).

A finding names a resource, not a line: it is placed on the stack file at the config key that
shapes that kind of resource (RESOURCE_CONFIG_KEYS), or on the file alone when the key is not
written there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from offline_plan import schedule_words
from offline_plan.stack_file_positions import StackFilePositions

RESOURCE_CONFIG_KEYS = {
    "aws:cloudwatch/eventRule:EventRule": "schedule",
    "aws:cloudwatch/eventTarget:EventTarget": "schedule",
    "aws:scheduler/schedule:Schedule": "schedule",
    "aws:lambda/function:Function": "training",
    "aws:sfn/stateMachine:StateMachine": "training",
    "aws:iam/role:Role": "teams",
    "aws:iam/rolePolicy:RolePolicy": "teams",
    "aws:s3/bucket:Bucket": "teams",
    "aws:s3/bucketV2:BucketV2": "teams",
    "aws:kms/key:Key": "teams",
    "aws:sns/topic:Topic": "teams",
    "aws:sns/topicSubscription:TopicSubscription": "teams",
}
"""Resource type -> the config key of its stack that shapes it: the schedule's resources come
from `schedule`, the orchestrator's TRAINING_SPEC from `training`; network-iam's and
notifications' per-team resources from `teams`."""
LEVEL_COMMANDS = {"mandatory": "error", "advisory": "warning"}


def enabled(flag: bool, environment: Mapping[str, str]) -> bool:
    return flag or environment.get("GITHUB_ACTIONS") == "true"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(
    command: str,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    title: str | None = None,
) -> str:
    properties = {"file": file, "line": line, "col": column, "title": title}
    rendered = ",".join(
        f"{name}={_escape_property(str(value))}"
        for name, value in properties.items()
        if value is not None
    )
    return f"::{command}{' ' + rendered if rendered else ''}::{_escape_data(message)}"


def _relative(path: str, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return path


def annotation_commands(report: Mapping[str, Any], root: Path) -> list[str]:
    """Workflow commands for every config error and every mandatory/advisory finding."""
    commands = []
    for error in report.get("errors", []):
        file = error.get("file")
        commands.append(
            workflow_command(
                "error",
                str(error.get("message", "")),
                file=_relative(file, root) if file and Path(file).is_file() else None,
                line=error.get("line"),
                column=error.get("column"),
                title=error.get("key") or "offline plan",
            )
        )
    stacks = {s["full_name"]: s for s in report.get("stacks", [])}
    for finding in report.get("diagnostics", []):
        command = LEVEL_COMMANDS.get(str(finding.get("level")))
        if command is None or finding.get("kind") == "not-evaluated":
            continue
        stack = stacks.get(str(finding.get("stack")))
        file = stack.get("config_file") if stack else None
        line = None
        key = RESOURCE_CONFIG_KEYS.get(str(finding.get("resource_type")))
        if stack and file and key and Path(file).is_file():
            where = StackFilePositions(Path(file), stack["project"]).locate(
                f"{stack['project']}:{key}", at_key=True
            )
            line = where.line if where is not None and where.exact else None
        resource = finding.get("resource_name") or "(stack)"
        commands.append(
            workflow_command(
                command,
                f"{resource}: {finding.get('message', '')}",
                file=_relative(file, root) if file else None,
                line=line,
                title=f"{finding.get('policy')} ({finding.get('level')})",
            )
        )
    return commands


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def summary_markdown(report: Mapping[str, Any], root: Path) -> str:
    """The job summary: verdict, stacks, findings, errors, capacity (when the report has it)."""
    counts = report.get("summary", {})
    verdict = {0: "✅ OK", 1: "⛔ BLOCKED"}.get(int(report.get("exit_code", 2)), "❌ ERROR")
    lines = [
        f"## Offline plan — environment `{report.get('environment')}`: {verdict}",
        "",
        f"{counts.get('stacks_planned', 0)}/{counts.get('stacks', 0)} stacks planned, "
        f"{counts.get('resources', 0)} resources to create, {counts.get('mandatory', 0)} "
        f"mandatory, {counts.get('advisory', 0)} advisory, {counts.get('errors', 0)} errors.",
        "",
        "| Stack | Role | Status | To create | Schedule |",
        "| --- | --- | --- | --- | --- |",
    ]
    for stack in report.get("stacks", []):
        created = sum(1 for r in stack.get("resources", []) if r.get("operation") == "create")
        found = schedule_words.summary(stack.get("outputs") or {})
        schedule = ""
        if found is not None:
            schedule = f"{found.words or found.expression}"
            if found.next_runs:
                schedule += f"; next {found.next_runs[0]}"
        name = f"{stack['project']}/{stack['stack']}"
        lines.append(
            f"| `{_cell(name)}` | {stack.get('role')} | {stack.get('status')} | {created} | "
            f"{_cell(schedule)} |"
        )
    findings = [
        d
        for d in report.get("diagnostics", [])
        if d.get("level") in LEVEL_COMMANDS and d.get("kind") != "not-evaluated"
    ]
    if findings:
        lines += ["", "### Policy findings", "", "| Level | Policy | Stack | Resource | Message |"]
        lines.append("| --- | --- | --- | --- | --- |")
        lines += [
            f"| {d.get('level')} | `{_cell(d.get('policy'))}` | `{_cell(d.get('stack'))}` | "
            f"{_cell(d.get('resource_name') or '(stack)')} | {_cell(d.get('message'))} |"
            for d in findings
        ]
    errors = report.get("errors", [])
    if errors:
        lines += ["", "### Could not be planned", ""]
        for error in errors:
            place = _relative(str(error.get("file")), root) if error.get("file") else ""
            if place and error.get("line"):
                place += f":{error['line']}:{error.get('column') or 1}"
            prefix = f"`{place}`: " if place else ""
            lines.append(f"- {prefix}{_cell(error.get('message'))}")
    capacity = report.get("capacity")
    if isinstance(capacity, Mapping) and capacity:
        lines += ["", "### Capacity", ""]
        by_type = capacity.get("maxInstanceHoursPerMonthByInstanceType")
        if isinstance(by_type, Mapping) and by_type:
            lines += ["| Instance type | Max instance-hours per month |", "| --- | --- |"]
            lines += [f"| `{_cell(kind)}` | {hours} |" for kind, hours in sorted(by_type.items())]
            lines.append(f"| **all** | {capacity.get('maxInstanceHoursPerMonth')} |")
        lines += [
            "",
            "<details><summary>Capacity (report section)</summary>",
            "",
            "```json",
            json.dumps(capacity, indent=2, sort_keys=True),
            "```",
            "",
            "</details>",
        ]
    return "\n".join(lines) + "\n"


def publish(
    report: Mapping[str, Any],
    environment: Mapping[str, str],
    output: TextIO,
    root: Path | None = None,
) -> Sequence[str]:
    """Append the summary to $GITHUB_STEP_SUMMARY (when set) and print the annotations."""
    workspace = root or Path(environment.get("GITHUB_WORKSPACE") or os.getcwd())
    summary_file = environment.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(summary_markdown(report, workspace))
    commands = annotation_commands(report, workspace)
    for command in commands:
        output.write(command + "\n")
    return commands
