"""The human-readable plan: per stack a resource tree, its outputs and its policy verdicts.

Quiet by default: a stack without violations says so in one line; checks a preview could not
run (they read a value unknown until apply) are summarised per policy unless `verbose`.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text
from rich.tree import Tree

from offline_plan import schedule_words
from offline_plan.analysis import Diagnostic
from offline_plan.authorization.render import render_authorization
from offline_plan.mock_runtime import UNKNOWN
from offline_plan.planner import ProgressListener
from offline_plan.report import (
    PlannedResource,
    PlanReport,
    StackPlan,
    summary_figures,
    verdict_word,
)

KNOWN_AFTER_APPLY = "(known after apply)"
_UNKNOWN_MARKER = "__offline_plan_known_after_apply__"
LEVEL_ORDER = ("mandatory", "remediate", "advisory", "disabled")
LEVEL_STYLE = {"mandatory": "bold red", "remediate": "magenta", "advisory": "yellow"}


def _marked(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _marked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_marked(item) for item in value]
    if isinstance(value, str) and value == UNKNOWN:
        return _UNKNOWN_MARKER
    return value


def display_value(value: Any, *, indent: int | None = None) -> str:
    """A value as JSON, unknowns shown as (known after apply)."""
    if isinstance(value, str) and value == UNKNOWN:
        return KNOWN_AFTER_APPLY
    text = json.dumps(_marked(value), indent=indent, sort_keys=True)
    return text.replace(f'"{_UNKNOWN_MARKER}"', KNOWN_AFTER_APPLY)


def _resource_label(resource: PlannedResource) -> Text:
    if resource.operation == "read":
        symbol, style = ">-", "cyan"
    else:
        symbol, style = "+ ", "green"
    label = Text()
    label.append(symbol, style=f"bold {style}")
    label.append(f" {resource.type} ", style="dim" if resource.operation == "read" else "")
    label.append(resource.name, style="bold")
    if resource.operation == "read":
        label.append("  read", style="cyan")
    return label


def _resource_tree(stack: StackPlan, details: bool) -> Tree:
    by_urn = {r.urn: r for r in stack.resources}
    children: dict[str | None, list[PlannedResource]] = {}
    root = next((r for r in stack.resources if r.type == "pulumi:pulumi:Stack"), None)
    for resource in stack.resources:
        if resource is root:
            continue
        parent = resource.parent if resource.parent in by_urn else (root.urn if root else None)
        children.setdefault(parent, []).append(resource)

    def add(node: Tree, resource: PlannedResource) -> None:
        branch = node.add(_resource_label(resource))
        if details and resource.inputs:
            for key, value in sorted(resource.inputs.items()):
                branch.add(Text(f"{key}: {display_value(value)}", style="dim"))
        for child in children.get(resource.urn, []):
            add(branch, child)

    if root is None:
        tree = Tree(Text(stack.full_name, style="bold"))
        for resource in children.get(None, []):
            add(tree, resource)
        return tree
    tree = Tree(_resource_label(root))
    for resource in children.get(root.urn, []):
        add(tree, resource)
    return tree


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested maps as dotted paths (`teams.ml.topic_arn`), one leaf per line."""
    if isinstance(value, dict) and value:
        leaves: list[tuple[str, Any]] = []
        for key, item in sorted(value.items()):
            leaves += flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return leaves
    return [(prefix, value)]


def _outputs(stack: StackPlan) -> Group | Text:
    if not stack.outputs:
        return Text("Outputs: none", style="dim")
    lines = [Text("Outputs:", style="bold")]
    leaves = flatten(stack.outputs)
    width = min(max(len(path) for path, _ in leaves), 48)
    for path, value in leaves:
        rendered = display_value(value)
        line = Text(f"  {path.ljust(width)}  ")
        line.append(rendered, style="dim" if rendered == KNOWN_AFTER_APPLY else "")
        lines.append(line)
    return Group(*lines)


def _schedule(stack: StackPlan) -> Text | None:
    """`Schedule: At 05:30, only on Monday (Europe/Berlin)  cron(...)` and its next runs."""
    found = schedule_words.summary(stack.outputs)
    if found is None:
        return None
    line = Text("Schedule: ", style="bold")
    line.append(found.words or found.expression)
    if found.words:
        line.append(f"  {found.expression}", style="dim")
    if found.next_runs:
        line.append("\n  next: " + ", ".join(found.next_runs), style="dim")
    return line


def _diagnostic_message(diagnostic: Diagnostic) -> str:
    """The pack's own message without the description pulumi-policy prefixes to it."""
    message = diagnostic.message
    if diagnostic.description and message.startswith(diagnostic.description):
        message = message[len(diagnostic.description) :].lstrip("\n") or message
    return message


def _diagnostics(diagnostics: list[Diagnostic], verbose: bool) -> Group | Text:
    violations = [d for d in diagnostics if d.kind == "violation"]
    not_evaluated = [d for d in diagnostics if d.kind == "not-evaluated"]
    parts: list[Any] = []
    if not violations:
        parts.append(Text("Policies: no violations", style="green"))
    for level in LEVEL_ORDER:
        group = [d for d in violations if d.level == level]
        if not group:
            continue
        parts.append(Text(f"Policies {level} ({len(group)}):", style=LEVEL_STYLE.get(level, "")))
        for diagnostic in group:
            line = Text("  x ", style=LEVEL_STYLE.get(level, ""))
            line.append(diagnostic.policy, style="bold")
            if diagnostic.resource_type:
                line.append(f"  {diagnostic.resource_type} ")
                line.append(diagnostic.resource_name or "", style="bold")
            else:
                line.append("  (stack)")
            parts.append(line)
            for message_line in _diagnostic_message(diagnostic).splitlines():
                parts.append(Text(f"      {message_line}"))
            if diagnostic.remediation:
                parts.append(Text(f"      remediation: {diagnostic.remediation}", style="cyan"))
    if not_evaluated:
        counts = Counter(d.policy for d in not_evaluated)
        summary = ", ".join(f"{policy} x{count}" for policy, count in sorted(counts.items()))
        parts.append(
            Text(
                f"Not evaluated during preview (values known only after apply): {summary}",
                style="dim",
            )
        )
        if verbose:
            for diagnostic in not_evaluated:
                parts.append(
                    Text(f"      {diagnostic.resource_name or '(stack)'}: {diagnostic.message}")
                )
    return Group(*parts)


def _title(stack: StackPlan, created: int, width: int) -> tuple[Text, list[Text]]:
    """The panel title, and the body's first lines. A panel cuts a title wider than itself, so
    a long one keeps the stack name and the full name opens the body instead."""
    title = Text(f"{stack.project} / {stack.stack}", style="bold")
    title.append(f"  {stack.full_name}", style="dim")
    if title.cell_len + len(f"  {created} to create") + 6 <= width:
        return title, []
    return Text(stack.stack, style="bold"), [Text(stack.full_name, style="dim")]


def _capacity_lines(line: str) -> list[Text]:
    """The capacity figure (offline_plan.capacity), when there is one."""
    return [Text(line, style="cyan")] if line else []


def _environment_sections(report: PlanReport, console: Console, *, verbose: bool) -> None:
    """What the plan says about the environment as a whole: capacity, authorization."""
    for line in _capacity_lines(report.capacity_line):
        console.print(line)
    render_authorization(report, console, verbose=verbose)


def _print_heading(report: PlanReport, console: Console) -> None:
    """The environment and the pack, and loudly where the pack ran otherwise than the CLI would."""
    pack = report.policy_pack
    heading = Text(f"Offline plan - environment {report.environment}", style="bold")
    if pack is not None and pack.name:
        heading.append(
            f"  - policy pack {pack.name}@{pack.version} ({pack.processes} process"
            f"{'es' if pack.processes_started != 1 else ''}: {pack.processes_started})",
            style="dim",
        )
    console.print(heading)
    if pack is not None and pack.cli_difference:
        console.print(Text(f"policy pack interpreter: {pack.cli_difference}", style="bold yellow"))


def render(
    report: PlanReport, console: Console, *, details: bool = False, verbose: bool = False
) -> None:
    pack = report.policy_pack
    _print_heading(report, console)
    by_stack: dict[str, list[Diagnostic]] = {}
    for diagnostic in report.diagnostics:
        by_stack.setdefault(diagnostic.stack, []).append(diagnostic)

    for deployed in report.upstream:
        secrets = len(deployed.secret_output_names)
        console.print(
            Text.assemble(
                ("  read from ", "dim"),
                (deployed.source, "cyan"),
                "  ",
                (deployed.stack, "bold"),
                (
                    f"  deployed: {len(deployed.output_names)} outputs"
                    + (f" ({secrets} secret)" if secrets else "")
                    + ", read by "
                    + (", ".join(deployed.read_by) or "no planned stack"),
                    "dim",
                ),
            )
        )

    for stack in report.stacks:
        created = sum(1 for r in stack.resources if r.operation == "create")
        title, full_name_line = _title(stack, created, console.width)
        if stack.status != "planned":
            console.print(
                Panel(
                    Group(*full_name_line, Text(f"{stack.status}: see errors below", style="red")),
                    title=title,
                    title_align="left",
                    border_style="red",
                )
            )
            continue
        if stack.role == "upstream" and not verbose:
            console.print(
                Text.assemble(
                    ("  upstream ", "dim"),
                    title,
                    (f"  planned for its exports ({created} resources)", "dim"),
                )
            )
            continue
        schedule = _schedule(stack)
        body: list[Any] = [
            *full_name_line,
            _resource_tree(stack, details),
            *([schedule] if schedule else []),
            _outputs(stack),
        ]
        body.extend(_capacity_lines(stack.capacity_line))
        for warning in stack.warnings:
            body.append(Text(f"warning: {warning}", style="yellow"))
        if stack.role == "target" and pack is not None:
            body.append(_diagnostics(by_stack.get(stack.full_name, []), verbose))
        has_mandatory = any(d.level == "mandatory" for d in by_stack.get(stack.full_name, []))
        console.print(
            Panel(
                Group(*body),
                title=Text.assemble(title, (f"  {created} to create", "green")),
                title_align="left",
                border_style="red" if has_mandatory else "blue",
            )
        )

    if report.errors:
        console.print(Text("Could not be planned:", style="bold red"))
        for problem in report.errors:
            console.print(Text("  x ", style="red") + Text(problem.render()))
    for warning in report.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))

    _environment_sections(report, console, verbose=verbose)

    counts = report.counts()
    summary = Text()
    summary.append(
        f"{verdict_word(report.exit_code)} ",
        style="bold green" if report.exit_code == 0 else "bold red",
    )
    summary.append(
        summary_figures(
            counts,
            upstream_read=len(report.upstream),
            seconds=report.seconds,
            exit_code=report.exit_code,
        )
    )
    console.print(summary)


class RichProgress(ProgressListener):
    """A transient progress display on stderr (only used when stderr is a terminal)."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.programs: TaskID | None = None
        self.analyses: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def planning(self, total: int, judged: int = 0) -> None:
        self.programs = self.progress.add_task("programs", total=total)
        if judged:
            self.analyses = self.progress.add_task("policy analysis", total=judged)

    def stack_started(self, name: str) -> None:
        if self.programs is not None:
            self.progress.update(self.programs, description=f"program {escape(name)}")

    def stack_finished(self, name: str) -> None:
        if self.programs is not None:
            self.progress.advance(self.programs)

    def stack_analyzed(self, name: str) -> None:
        if self.analyses is not None:
            self.progress.update(self.analyses, description=f"analysed {escape(name)}")
            self.progress.advance(self.analyses)
