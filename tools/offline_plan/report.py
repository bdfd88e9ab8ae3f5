"""The plan's result: what each stack would create and export, and the pack's verdicts.

`PlanReport.to_json()` is the machine-readable report (`--json`), described by
`report.schema.json` beside this file. Values keep Pulumi's own conventions, as in
`pulumi preview --json`: a value unknown until the resource exists is the UNKNOWN sentinel
string (also given at the top of the report as `unknown_value`), a secret is `"[secret]"`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from offline_plan.analysis import Diagnostic
from offline_plan.discovery import InputProblem
from offline_plan.mock_runtime import RESOURCE_SIG, SECRET_SIG, SECRET_SIG_KEY, UNKNOWN

if TYPE_CHECKING:
    from offline_plan.authorization.proof import AuthorizationProof

SECRET_MASK = "[secret]"  # noqa: S105 - the display mask, not a credential
REPORT_VERSION = 1
EXIT_OK = 0
EXIT_MANDATORY = 1
EXIT_INPUT = 2


def masked(value: Any) -> Any:
    """Wire-form value -> report value: secrets masked, resource references as their URN."""
    if isinstance(value, dict):
        signature = value.get(SECRET_SIG_KEY)
        if signature == SECRET_SIG:
            return SECRET_MASK
        if signature == RESOURCE_SIG:
            resource_id = value.get("id")
            return resource_id if resource_id not in (None, "", UNKNOWN) else value.get("urn")
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def verdict_word(exit_code: int) -> str:
    """The first word of the plan's last line: OK (0), BLOCKED (1), ERROR (anything else)."""
    return {0: "OK", 1: "BLOCKED"}.get(exit_code, "ERROR")


def summary_figures(
    counts: Mapping[str, int], *, upstream_read: int, seconds: float, exit_code: int
) -> str:
    """The rest of the plan's last line, printed by the plan and by `merge` alike."""
    return (
        f"{counts['stacks_planned']}/{counts['stacks']} stacks planned, "
        + (f"{upstream_read} read from files, " if upstream_read else "")
        + f"{counts['resources']} resources to create, "
        f"{counts['mandatory']} mandatory, {counts['advisory']} advisory, "
        f"{counts['not_evaluated']} not evaluated, {counts['errors']} errors "
        f"in {seconds:.2f} s (exit {exit_code})"
    )


@dataclass(frozen=True)
class PlannedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    operation: str
    """`create` for a registered resource (everything is new in an offline plan), `read` for
    a StackReference or another read."""
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str] = field(default_factory=list)
    provider: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "operation": self.operation,
            "custom": self.custom,
            "provider": self.provider,
            "dependencies": self.dependencies,
            "inputs": self.inputs,
        }


@dataclass
class StackPlan:
    project: str
    stack: str
    organization: str
    config_file: str
    role: str
    """`target` (planned and judged) or `upstream` (planned for the exports a target reads)."""
    status: str = "planned"
    """`planned`, `failed` (its input could not be planned) or `skipped` (an upstream failed)."""
    resources: list[PlannedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    program_seconds: float = 0.0
    analysis_seconds: float = 0.0
    analysis_rpc_seconds: float = 0.0
    resources_analyzed: int = 0
    capacity: dict[str, Any] | None = None
    """Maximum instance-hours a month of its scheduled training job (offline_plan.capacity)."""
    capacity_line: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.organization}/{self.project}/{self.stack}"

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "full_name": self.full_name,
            "config_file": self.config_file,
            "role": self.role,
            "status": self.status,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
            "warnings": self.warnings,
            "capacity": self.capacity,
            "timings": {
                "program_seconds": round(self.program_seconds, 4),
                "analysis_seconds": round(self.analysis_seconds, 4),
                "analysis_rpc_seconds": round(self.analysis_rpc_seconds, 4),
                "resources_analyzed": self.resources_analyzed,
            },
        }


@dataclass
class PolicyPackSummary:
    path: str
    name: str = ""
    version: str = ""
    processes: str = ""
    """`shared` (one process judged every stack) or `per-stack`."""
    processes_started: int = 0
    policy_config_file: str | None = None
    enforcement: dict[str, str] = field(default_factory=dict)
    """Policy name -> the enforcement level it ran with after reconciling the config."""
    python: str = ""
    """The interpreter the pack ran with."""
    cli_difference: str | None = None
    """Why `pulumi preview --policy-pack` would not start the pack that way (None: it would)."""


@dataclass(frozen=True)
class ReadStack:
    """A deployed stack whose exports were read from an --upstream-outputs file, not planned."""

    stack: str
    """`org/project/stack`."""
    source: str
    """The file."""
    read_by: list[str]
    """Full names of the planned stacks that reference it."""
    output_names: list[str]
    secret_output_names: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "source": self.source,
            "read_by": self.read_by,
            "output_names": self.output_names,
            "secret_output_names": self.secret_output_names,
        }


@dataclass
class PlanReport:
    environment: str
    stacks: list[StackPlan] = field(default_factory=list)
    upstream: list[ReadStack] = field(default_factory=list)
    """Deployed stacks read from --upstream-outputs files instead of planned."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[InputProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    policy_pack: PolicyPackSummary | None = None
    authorization: AuthorizationProof | None = None
    """The authorization proof (offline_plan.authorization); None when nothing to prove."""
    seconds: float = 0.0
    capacity: dict[str, Any] | None = None
    """The capacity window, the prices used and the total (offline_plan.capacity)."""
    capacity_line: str = ""
    shard: dict[str, Any] | None = None
    """`--shard I/N`: which stacks this shard owns, in the unsharded order (offline_plan.shards)."""

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "mandatory"]

    @property
    def exit_code(self) -> int:
        proof = self.authorization
        if self.errors or (proof is not None and proof.error):
            return EXIT_INPUT
        if self.mandatory or (proof is not None and proof.failed):
            return EXIT_MANDATORY
        return EXIT_OK

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK

    def counts(self) -> dict[str, int]:
        planned = [s for s in self.stacks if s.status == "planned"]
        return {
            "stacks": len(self.stacks),
            "stacks_planned": len(planned),
            # What the judged stacks would create; upstream stacks planned only for their
            # exports (a single-stack review) are not part of the verdict.
            "resources": sum(
                1
                for s in planned
                if s.role == "target"
                for r in s.resources
                if r.operation == "create"
            ),
            "mandatory": len(self.mandatory),
            "advisory": sum(
                1 for d in self.diagnostics if d.level == "advisory" and d.kind == "violation"
            ),
            "not_evaluated": sum(1 for d in self.diagnostics if d.kind == "not-evaluated"),
            "errors": len(self.errors),
        }

    def to_json(self) -> dict[str, Any]:
        pack = self.policy_pack
        document = self._to_json(pack)
        if self.shard is not None:
            document["shard"] = self.shard
        return document

    def _to_json(self, pack: PolicyPackSummary | None) -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "environment": self.environment,
            "unknown_value": UNKNOWN,
            "secret_value": SECRET_MASK,
            "summary": self.counts(),
            "policy_pack": None
            if pack is None
            else {
                "path": pack.path,
                "name": pack.name,
                "version": pack.version,
                "processes": pack.processes,
                "processes_started": pack.processes_started,
                "policy_config_file": pack.policy_config_file,
                "enforcement": pack.enforcement,
                "python": pack.python,
                "cli_difference": pack.cli_difference,
            },
            "stacks": [s.to_json() for s in self.stacks],
            "upstream": [u.to_json() for u in self.upstream],
            "diagnostics": [
                {
                    "policy": d.policy,
                    "policy_pack": d.policy_pack,
                    "policy_pack_version": d.policy_pack_version,
                    "level": d.level,
                    "kind": d.kind,
                    "project": d.project,
                    "stack": d.stack,
                    "urn": d.urn,
                    "resource_type": d.resource_type,
                    "resource_name": d.resource_name,
                    "message": d.message,
                    "description": d.description,
                    "remediation": d.remediation,
                    "severity": d.severity,
                }
                for d in self.diagnostics
            ],
            "errors": [
                {
                    "message": e.message,
                    "file": e.file,
                    "key": e.key,
                    "keys": list(e.keys or ((e.key,) if e.key else ())),
                    "stack": e.stack,
                    "line": e.line,
                    "column": e.column,
                }
                for e in self.errors
            ],
            "warnings": self.warnings,
            "capacity": self.capacity,
            "authorization": None if self.authorization is None else self.authorization.to_json(),
            "seconds": round(self.seconds, 4),
        }
