"""The offline plan: every stack of an environment, in dependency order, judged by the pack.

Timeline of one plan (2 cores: the programs run in this process, the pack in its own):

    pack process   |==start==|--analyze A--|   |--analyze B--|  |--analyze C--|
    this process   |--program A--|--program B--|--program C--|......wait.....|

The pack is started before the first program runs, and each stack is analysed on a worker
thread (the gRPC calls wait on the pack's process) while the next program runs here. Likewise
the IAM engine of the authorization proof is sent each retraining stack's requests as soon as
the stack is recorded (`authorization.proof.EarlyProof`), so it works while programs run.

Stacks given by `--upstream-outputs` are deployed: their exports come from the file (every value
known), they are not planned, and StackReferences to them resolve to those exports.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from offline_plan import config_diagnostics, onboarding, program_modules, shards
from offline_plan.analysis import (
    PolicyAnalysis,
    StackAnalysis,
    engine_resources,
    pack_reads_stack_identity,
)
from offline_plan.authorization.proof import EarlyProof, prove
from offline_plan.capacity import attach_capacity
from offline_plan.discovery import InputProblem, StackSelection, StackTarget, discover
from offline_plan.mock_runtime import PlanInputError, StackRun, run_program
from offline_plan.parallel import Deferred, ProgramPool, in_order, job_count
from offline_plan.policy_client import (
    ENFORCEMENT_LEVEL_NAMES,
    PolicyPackError,
    pack_interpreter,
)
from offline_plan.policy_config import (
    PolicyConfigEntry,
    PolicyConfigError,
    load_policy_pack_config,
)
from offline_plan.program_modules import project_modules
from offline_plan.report import (
    SECRET_MASK,
    PlannedResource,
    PlanReport,
    PolicyPackSummary,
    ReadStack,
    StackPlan,
    masked,
)
from offline_plan.upstream_outputs import DeployedStack, load_upstream_outputs

PACK_PROCESS_MODES = ("auto", "shared", "per-stack")


@dataclass(frozen=True)
class PlanRequest:
    stacks_dir: Path
    selection: StackSelection = field(default_factory=StackSelection)
    policy_pack: Path | None = None
    policy_pack_config: Path | None = None
    pack_processes: str = "auto"
    upstream_outputs: tuple[Path | str, ...] = ()
    """`--upstream-outputs` files: exports of deployed stacks, read instead of planned."""
    cli_parity: bool = False
    """Start the pack only as the CLI would (its declared virtualenv), or fail (exit 2)."""
    jobs: str = "1"
    """`--jobs`: worker processes for the stacks' programs, or `auto` (offline_plan/parallel.py)."""
    shard: shards.Shard | None = None
    """`--shard I/N`: judge only this shard's targets (offline_plan/shards.py)."""


class ProgressListener:
    """What the planner tells a progress display; the default says nothing."""

    def planning(self, total: int, judged: int = 0) -> None:
        """The plan will run `total` stacks, and the pack will judge `judged` of them."""

    def stack_started(self, name: str) -> None:
        """A program starts."""

    def stack_finished(self, name: str) -> None:
        """A program finished (or failed)."""

    def stack_analyzed(self, name: str) -> None:
        """The pack judged a stack."""


class _ProgramLog(logging.Handler):
    """Collects what a program logs through `pulumi.log` (the mock engine logs to root)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.warnings: list[str] = []
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name != "root":
            return
        message = record.getMessage()
        target = self.errors if record.levelno >= logging.ERROR else self.warnings
        if message not in target:
            target.append(message)


@contextmanager
def _captured_program_output() -> Iterator[_ProgramLog]:
    handler = _ProgramLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with warnings.catch_warnings():
            # The SDKs' Python warnings repeat what they also log through pulumi.log, which
            # the plan reports per stack (as the CLI shows them).
            warnings.simplefilter("ignore")
            yield handler
    finally:
        root.removeHandler(handler)


def _reported_keys(error: BaseException) -> list[str]:
    """Config keys a structured error names itself (`retraining_shared.config.ConfigError`
    carries `problems`, each with a `key`)."""
    problems = getattr(error, "problems", None)
    if not isinstance(problems, list | tuple):
        return []
    keys = [str(p.key) for p in problems if isinstance(getattr(p, "key", None), str)]
    return list(dict.fromkeys(keys))


def _program_problem(target: StackTarget, error: BaseException) -> InputProblem:
    """A program's exception as an input problem naming the stack file and, if it can, the key."""
    if isinstance(error, KeyError) and error.args:
        message = str(error.args[0])
    elif isinstance(error, PlanInputError | pulumi.RunError):
        message = str(error)  # the CLI prints a RunError's message alone, without a traceback
    else:
        message = f"{type(error).__name__}: {error}"
    keys = _reported_keys(error)
    if not keys:
        for config_key, upstream in target.upstreams.items():
            short = upstream.split("/", 1)[1]
            if upstream in message or re.search(rf"'{re.escape(short)}'", message):
                keys = [config_key]
                message += f" (the stack named by {config_key})"
                break
    if not keys:
        named = re.search(rf"\b{re.escape(target.project)}:[A-Za-z][A-Za-z0-9_]*", message)
        keys = [named.group(0)] if named else []
    return InputProblem(
        f"stack {target.full_name} could not be planned: {message}",
        file=str(target.config_file),
        key=keys[0] if keys else None,
        stack=target.full_name,
        keys=tuple(keys),
    )


def _every_config_problem(
    target: StackTarget, outputs_by_name: dict[str, dict[str, Any]]
) -> list[InputProblem]:
    """A stack that cannot run (the CLI refuses keys, a team is not onboarded): its program is
    still asked, with the config that did load, for every other config problem, so one run
    reports them all. Anything but a ConfigError from that run is ignored: the stack fails
    for the problems already known."""
    declared = (
        config_diagnostics.declaration_problems(target, target.config_error)
        if target.config_error is not None
        else []
    )
    found: list[InputProblem] = []
    readable = target.config is not None and all(
        u in outputs_by_name for u in target.upstreams.values()
    )
    if readable and target.config is not None:
        try:
            with project_modules(target.project_dir), _captured_program_output():
                run_program(
                    target.project_dir,
                    target.stack,
                    config=target.config.values,
                    stack_references=outputs_by_name,
                    preview=True,
                    organization=target.organization,
                )
        except Exception as error:  # only a ConfigError adds to what is known
            found = config_diagnostics.program_problems(target, error) or []
    return config_diagnostics.merged(target.problems, found, declared)


def _secret_provider_keys(target: StackTarget) -> set[str]:
    return set(target.config.secret_keys) if target.config is not None else set()


def _stack_plan(target: StackTarget, run: StackRun) -> StackPlan:
    config = target.config.values if target.config is not None else {}
    secret_keys = _secret_provider_keys(target)
    wire_inputs = {r.urn: r.inputs for r in [*run.resources, *run.reads]}
    plan = StackPlan(
        project=target.project,
        stack=target.stack,
        organization=target.organization,
        config_file=str(target.config_file),
        role=target.role,
    )
    for resource in engine_resources(run, config):
        if resource.urn in wire_inputs:
            inputs = masked(dict(wire_inputs[resource.urn]))
        elif resource.type.startswith("pulumi:providers:"):
            package = resource.type.rsplit(":", 1)[1]
            inputs = {
                key: SECRET_MASK if f"{package}:{key}" in secret_keys else value
                for key, value in resource.properties.items()
            }
        else:
            inputs = {}
        plan.resources.append(
            PlannedResource(
                urn=resource.urn,
                type=resource.type,
                name=resource.name,
                parent=resource.parent or None,
                operation="create" if resource.analyzed else "read",
                custom=resource.custom,
                inputs=inputs,
                dependencies=list(resource.dependencies),
                provider=resource.provider.urn if resource.provider else None,
            )
        )
    plan.outputs = masked(dict(run.outputs))
    return plan


def _shared_process_allowed(request: PlanRequest, report: PlanReport) -> bool:
    assert request.policy_pack is not None  # noqa: S101 - only called with a pack
    if request.pack_processes == "shared":
        return True
    if request.pack_processes == "per-stack":
        return False
    readers = pack_reads_stack_identity(request.policy_pack)
    if readers:
        report.warnings.append(
            "the policy pack may read the stack's identity or config ("
            + ", ".join(readers[:5])
            + (", ..." if len(readers) > 5 else "")
            + "): one pack process per stack, started with that stack's environment"
        )
    return not readers


class _Analyses:
    """The pack and the worker thread that talks to it."""

    def __init__(self, request: PlanRequest, report: PlanReport) -> None:
        self.analysis: PolicyAnalysis | None = None
        self.futures: list[tuple[StackPlan, Future[StackAnalysis]]] = []
        self.executor: ThreadPoolExecutor | None = None
        if request.policy_pack is None:
            return
        policy_config: dict[str, PolicyConfigEntry] = {}
        source = "policy pack config"
        if request.policy_pack_config is not None:
            source = str(request.policy_pack_config)
            try:
                policy_config = load_policy_pack_config(request.policy_pack_config)
            except PolicyConfigError as error:
                report.errors.append(InputProblem(str(error), key="--policy-pack-config"))
                return
        interpreter = pack_interpreter(request.policy_pack)
        difference = interpreter.difference(request.policy_pack)
        if difference is not None and request.cli_parity:
            report.errors.append(InputProblem(difference, key="--cli-parity"))
            return
        shared = _shared_process_allowed(request, report)
        report.policy_pack = PolicyPackSummary(
            path=str(request.policy_pack),
            processes="shared" if shared else "per-stack",
            policy_config_file=str(request.policy_pack_config)
            if request.policy_pack_config
            else None,
            python=interpreter.python,
            cli_difference=difference,
        )
        self.analysis = PolicyAnalysis(
            request.policy_pack,
            policy_config=policy_config,
            policy_config_source=source,
            shared_process=shared,
            python=interpreter.python,
        )
        # One conversation at a time with a shared pack; per-stack packs can overlap.
        self.executor = ThreadPoolExecutor(max_workers=1 if shared else 2)

    def prepare(self, target: StackTarget) -> None:
        if self.analysis is not None and target.role == "target":
            self.analysis.prepare(target)

    def discard(self, target: StackTarget) -> None:
        if self.analysis is not None:
            self.analysis.discard(target)

    def submit(
        self, target: StackTarget, run: StackRun, plan: StackPlan, done: Callable[[str], None]
    ) -> None:
        if self.analysis is None or self.executor is None or target.role != "target":
            return
        analysis = self.analysis

        def job() -> StackAnalysis:
            try:
                return analysis.analyze(target, run)
            finally:
                done(target.full_name)

        self.futures.append((plan, self.executor.submit(job)))

    def finish(self, report: PlanReport) -> None:
        if self.analysis is None:
            return
        seen: set[str] = set()
        try:
            for plan, future in self.futures:
                try:
                    result = future.result()
                except (PolicyConfigError, PolicyPackError) as error:
                    if str(error) not in seen:
                        seen.add(str(error))
                        key = (
                            "--policy-pack-config" if isinstance(error, PolicyConfigError) else None
                        )
                        report.errors.append(InputProblem(str(error), key=key))
                    continue
                plan.analysis_seconds = result.seconds
                plan.analysis_rpc_seconds = result.rpc_seconds
                plan.resources_analyzed = result.resources_analyzed
                report.diagnostics.extend(result.diagnostics)
        finally:
            if self.executor is not None:
                self.executor.shutdown(wait=True)
            self.analysis.close()
        info = self.analysis.info
        if report.policy_pack is not None:
            report.policy_pack.processes_started = self.analysis.processes_started
            if info is not None:
                report.policy_pack.name = info.name
                report.policy_pack.version = info.version
                report.policy_pack.enforcement = {
                    policy.name: ENFORCEMENT_LEVEL_NAMES[
                        info.settings[policy.name].enforcement_level
                    ]
                    for policy in info.policies
                    if policy.name in info.settings
                }
                report.warnings.extend(info.warnings)


@dataclass
class ProgramOutcome:
    """What running one stack's program gave (plain data: it may come from a worker process)."""

    run: StackRun | None = None
    problems: list[InputProblem] = field(default_factory=list)
    """The program raised: each problem names the stack file and, if it can, the key."""
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """What the program logged at error level (the engine fails such a preview)."""
    seconds: float = 0.0


def run_stack_program(
    target: StackTarget, outputs_by_name: dict[str, dict[str, Any]]
) -> ProgramOutcome:
    """Run one stack's program under the mock runtime (in this process or a worker's)."""
    outcome = ProgramOutcome()
    program_started = time.perf_counter()
    try:
        with project_modules(target.project_dir), _captured_program_output() as program_log:
            outcome.run = run_program(
                target.project_dir,
                target.stack,
                config_overrides=target.overrides,
                extra_config_file=target.extra_config_file,
                stack_references=outputs_by_name,
                preview=True,
                organization=target.organization,
            )
        outcome.warnings, outcome.errors = program_log.warnings, program_log.errors
    except Exception as error:  # any failure of the program is a problem of the stack's input
        outcome.problems = config_diagnostics.program_problems(target, error) or [
            _program_problem(target, error)
        ]
    outcome.seconds = time.perf_counter() - program_started
    return outcome


def _missing_upstreams(
    target: StackTarget, outputs_by_name: dict[str, dict[str, Any]]
) -> list[str]:
    return [u for u in target.upstreams.values() if u not in outputs_by_name]


def _plan_stack(
    target: StackTarget,
    outputs_by_name: dict[str, dict[str, Any]],
    analyses: _Analyses,
    listener: ProgressListener,
    report: PlanReport,
    *,
    program: Future[ProgramOutcome] | Deferred | None,
) -> StackPlan:
    """Record one stack's program run (its upstream stacks' exports already known) and queue
    its analysis; problems go to the report and leave the stack `failed` or `skipped`."""
    entry = StackPlan(
        project=target.project,
        stack=target.stack,
        organization=target.organization,
        config_file=str(target.config_file),
        role=target.role,
    )
    if target.problems or target.config_error is not None:
        entry.status = "failed"
        report.errors.extend(_every_config_problem(target, outputs_by_name))
        return entry
    missing = _missing_upstreams(target, outputs_by_name)
    if missing:
        entry.status = "skipped"
        report.errors.append(
            InputProblem(
                f"stack {target.full_name} was not planned: its upstream stack "
                f"{', '.join(missing)} could not be planned",
                file=str(target.config_file),
                key=next(k for k, u in target.upstreams.items() if u in missing),
                stack=target.full_name,
            )
        )
        return entry
    assert program is not None  # noqa: S101 - started whenever its upstreams are planned
    analyses.prepare(target)
    listener.stack_started(target.full_name)
    try:
        outcome = program.result()
    finally:
        listener.stack_finished(target.full_name)
    entry.program_seconds = outcome.seconds
    if outcome.problems or outcome.run is None:
        entry.status = "failed"
        report.errors.extend(outcome.problems)
        analyses.discard(target)
        return entry
    if outcome.errors:
        # The engine fails a preview whose program logged an error.
        entry.status = "failed"
        analyses.discard(target)
        report.errors.extend(
            InputProblem(
                f"stack {target.full_name} logged an error: {message}",
                file=str(target.config_file),
                stack=target.full_name,
            )
            for message in outcome.errors
        )
        return entry
    run = outcome.run
    completed = _stack_plan(target, run)
    entry.resources = completed.resources
    entry.outputs = completed.outputs
    entry.warnings = outcome.warnings
    for alias in target.aliases:
        outputs_by_name[alias] = run.outputs
    analyses.submit(target, run, entry, listener.stack_analyzed)
    return entry


def _deployed_references(
    deployed: dict[str, DeployedStack], organization: str
) -> dict[str, dict[str, Any]]:
    """StackReference name -> exports, for every name the CLI would resolve to a deployed
    stack: `org/project/stack`, and `project/stack` within the run's organization."""
    references: dict[str, dict[str, Any]] = {}
    for name, stack in deployed.items():
        references[name] = stack.wire_outputs()
        if stack.organization == organization:
            references[stack.project_and_stack] = references[name]
    return references


def _record_deployed(
    report: PlanReport,
    deployed: dict[str, DeployedStack],
    readers: dict[str, list[str]],
    organization: str,
) -> None:
    for name, stack in deployed.items():
        read_by = readers.get(name, [])
        report.upstream.append(
            ReadStack(
                stack=name,
                source=stack.source,
                read_by=list(read_by),
                output_names=sorted(stack.outputs),
                secret_output_names=sorted(stack.secret_output_names),
            )
        )
        if not read_by:
            report.warnings.append(
                f"{stack.source}: no planned stack reads {name} (a stack reads it when a config "
                f"key ending in Stack names it as {name}"
                + (f" or {stack.project_and_stack}" if stack.organization == organization else "")
                + ")"
            )


def plan(request: PlanRequest, listener: ProgressListener | None = None) -> PlanReport:
    """Plan and judge the selected stacks; never raises for bad input (see `report.errors`)."""
    started = time.perf_counter()
    listener = listener or ProgressListener()
    report = PlanReport(environment=request.selection.environment)
    deployed, file_problems = load_upstream_outputs(request.upstream_outputs)
    if file_problems:
        # Planning without the exports the reviewer meant would judge the wrong thing.
        report.errors.extend(file_problems)
        report.seconds = time.perf_counter() - started
        return report
    discovery = discover(
        request.stacks_dir.resolve(),
        request.selection,
        {name: stack.source for name, stack in deployed.items()},
    )
    report.errors.extend(discovery.problems)
    planned = {t.full_name: t for t in discovery.targets}
    for target in discovery.targets:
        target.problems += onboarding.onboarding_problems(target, planned)
    _record_deployed(report, deployed, discovery.readers, request.selection.organization)
    targets = discovery.targets
    if request.shard is not None:
        targets, owned = shards.select(discovery.targets, request.shard)
        report.shard = shards.describe(request.shard, planned, owned)
    judged = sum(1 for t in targets if t.role == "target" and not t.problems)
    listener.planning(len(targets), judged if request.policy_pack is not None else 0)

    analyses = _Analyses(request, report)
    first_judged = next((t for t in targets if t.role == "target" and not t.problems), None)
    if first_judged is not None:
        analyses.prepare(first_judged)  # the pack boots while the first programs run

    outputs_by_name = _deployed_references(deployed, request.selection.organization)
    workers = job_count(request.jobs, targets)
    early_proof = EarlyProof()  # the IAM engine works while the next programs run
    try:
        try:
            with ProgramPool(workers) as pool:

                def start(index: int) -> Future[ProgramOutcome] | Deferred | None:
                    target = targets[index]
                    if (
                        target.problems
                        or target.config_error is not None
                        or _missing_upstreams(target, outputs_by_name)
                    ):
                        return None  # recorded as failed or skipped, without running the program
                    return pool.submit(run_stack_program, target, dict(outputs_by_name))

                def finish(index: int, program: Future[ProgramOutcome] | Deferred | None) -> None:
                    report.stacks.append(
                        _plan_stack(
                            targets[index],
                            outputs_by_name,
                            analyses,
                            listener,
                            report,
                            program=program,
                        )
                    )
                    early_proof.stack_planned(report, report.stacks[-1])

                in_order(targets, start, finish)
        finally:
            program_modules.forget()
            analyses.finish(report)
    except BaseException:
        early_proof.requests.close()  # the plan ended early: stop the engine
        raise
    report.authorization = prove(report, early_proof)
    attach_capacity(report, request.policy_pack_config)
    report.seconds = time.perf_counter() - started
    return report
