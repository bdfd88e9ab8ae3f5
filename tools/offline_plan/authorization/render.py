"""The plan's authorization section: one verdict line, then what failed and why."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from offline_plan.report import PlanReport


def render_authorization(report: PlanReport, console: Console, *, verbose: bool) -> None:
    proof = report.authorization
    if proof is None:
        if any(stack.status == "planned" for stack in report.stacks):
            console.print(
                Text("authorization: not evaluated (no planned network-iam stack)", style="dim")
            )
        return
    failed = bool(proof.failed or proof.error)
    console.print(Text(proof.summary(), style="bold red" if failed else "bold green"))
    for verdict in proof.failed:
        edge = verdict.edge
        console.print(
            Text.assemble(
                ("  x ", "red"),
                (edge.id, "bold"),
                f": {edge.principal} {edge.action} {edge.resource} should be "
                f"{'allowed' if edge.expected == 'allow' else 'denied'}, is "
                f"{verdict.decision}: {verdict.reason}",
            )
        )
        console.print(Text(f"      AWS: {edge.fact}", style="dim"))
    for verdict in proof.not_proven if verbose or len(proof.not_proven) <= 5 else []:
        console.print(Text(f"  ? {verdict.edge.id}: {verdict.reason}", style="yellow"))
