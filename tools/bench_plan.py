"""Benchmark the offline plan: the shipped stacks, and how the cost grows with retraining stacks.

    python tools/bench_plan.py                 # what `nox -s bench` runs
    python tools/bench_plan.py --repeat 7 --sizes 1 10 50 --json bench.json

1. Full plan of the shipped stacks of an environment: the wall time of
   `python -m offline_plan --env dev` as a user runs it (a new process each time), median of
   `--repeat` runs after one discarded run that warms the bytecode cache ("warm": Python's
   compiled modules exist, as on any machine that ran it before; this machine's environment
   sets PYTHONDONTWRITEBYTECODE, so the benchmark keeps compiled modules under a private
   PYTHONPYCACHEPREFIX instead of touching the virtualenv).
2. Scaling: 1, 10 and 50 team/model retraining stacks generated into a temporary copy of
   `stacks/` from the first shipped retraining stack config (same team, distinct models); the
   marginal cost per stack and per resource is the slope between the smallest and largest
   size; the linearity check compares the slope of the lower half with the upper half.
3. Policy analysis per resource over gRPC, uncontended: the shipped stacks' programs are run
   once in this process, then the pack (one process, started as the CLI does) judges every
   stack twice in a row; the second pass (the pack's own lazy imports done) divided by the
   resources analysed is the cost of `Remediate`/`Analyze`/`AnalyzeStack` per resource. The
   same figure inside a plan (overlapped with programs on a 2-core machine) is also reported.

Wall times on a shared machine vary with its load: the median and the minimum are reported,
with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from offline_plan.analysis import PolicyAnalysis, pack_reads_stack_identity
from offline_plan.discovery import StackSelection, discover
from offline_plan.mock_runtime import run_program

REPOSITORY = Path(__file__).resolve().parents[1]
TARGET_SECONDS_FULL_PLAN = 2.0
TARGET_MS_PER_RESOURCE = 1.0


@dataclass(frozen=True)
class Measurement:
    seconds: float
    report: dict[str, Any]
    exit_code: int

    @property
    def resources_to_create(self) -> int:
        return int(self.report["summary"]["resources"])

    @property
    def stacks(self) -> int:
        return int(self.report["summary"]["stacks_planned"])

    def rpc_ms_per_resource(self) -> float | None:
        stacks = self.report["stacks"]
        analysed = sum(s["timings"]["resources_analyzed"] for s in stacks)
        rpc = sum(s["timings"].get("analysis_rpc_seconds", 0.0) for s in stacks)
        return 1000.0 * rpc / analysed if analysed else None


def _environment(pycache: Path) -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(pycache)
    environment["COLUMNS"] = "120"
    return environment


def run_plan(arguments: list[str], pycache: Path, scratch: Path) -> Measurement:
    report_path = scratch / "report.json"
    command = [sys.executable, "-m", "offline_plan", *arguments, "--json", str(report_path)]
    started = time.perf_counter()
    completed = subprocess.run(  # noqa: S603 - fixed argv, no shell
        command,
        cwd=REPOSITORY,
        env=_environment(pycache),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    seconds = time.perf_counter() - started
    if completed.returncode not in (0, 1) or not report_path.is_file():
        sys.stderr.write(completed.stderr.decode(errors="replace"))
        report = json.loads(report_path.read_text()) if report_path.is_file() else {}
        for error in report.get("errors", []):
            sys.stderr.write(f"  {error['file']}: {error['message']}\n")
        raise SystemExit(f"the plan {' '.join(arguments)} failed (exit {completed.returncode})")
    return Measurement(seconds, json.loads(report_path.read_text()), completed.returncode)


def median_run(
    arguments: list[str], repeat: int, pycache: Path, scratch: Path
) -> tuple[Measurement, float]:
    """The median run and the fastest wall time."""
    run_plan(arguments, pycache, scratch)  # warm-up: compiles and caches bytecode
    runs = [run_plan(arguments, pycache, scratch) for _ in range(repeat)]
    runs.sort(key=lambda m: m.seconds)
    return runs[len(runs) // 2], runs[0].seconds


def measure_analysis(
    stacks_dir: Path, pack: Path, environment: str, passes_count: int = 6
) -> dict[str, float | None]:
    """Milliseconds per resource in the pack's gRPC calls, with nothing else running."""
    discovery = discover(stacks_dir, StackSelection(environment=environment))
    if discovery.problems:
        raise SystemExit("; ".join(p.render() for p in discovery.problems))
    outputs: dict[str, Any] = {}
    runs = []
    for target in discovery.targets:
        run = run_program(
            target.project_dir,
            target.stack,
            stack_references=outputs,
            organization=target.organization,
        )
        for alias in target.aliases:
            outputs[alias] = run.outputs
        runs.append((target, run))
    shared = not pack_reads_stack_identity(pack)
    started = time.perf_counter()  # the pack's process start counts: a CI preview pays it
    analysis = PolicyAnalysis(
        pack, policy_config={}, policy_config_source="defaults", shared_process=shared
    )
    passes: list[float] = []
    pack_cpu: list[float] = []
    client_cpu: list[float] = []
    analysed = 0
    start_to_verdict = 0.0
    try:
        for number in range(passes_count):  # passes after the first: the pack's imports done
            rpc, analysed = 0.0, 0
            pack_before, client_before = _pack_cpu_seconds(analysis), time.process_time()
            for target, run in runs:
                result = analysis.analyze(target, run)
                rpc += result.rpc_seconds
                analysed += result.resources_analyzed
            passes.append(1000.0 * rpc / max(analysed, 1))
            pack_after = _pack_cpu_seconds(analysis)
            if number and pack_before is not None and pack_after is not None:
                pack_cpu.append(1000.0 * (pack_after - pack_before) / max(analysed, 1))
            if number:
                client_cpu.append(1000.0 * (time.process_time() - client_before) / max(analysed, 1))
            if not start_to_verdict:
                start_to_verdict = time.perf_counter() - started
    finally:
        analysis.close()
    return {
        "pack_start_to_last_verdict_seconds": round(start_to_verdict, 3),
        "first_pass_ms_per_resource": round(passes[0], 3),
        "warm_ms_per_resource": round(statistics.median(passes[1:]), 3),
        "pack_cpu_ms_per_resource": round(statistics.median(pack_cpu), 3) if pack_cpu else None,
        "client_cpu_ms_per_resource": round(statistics.median(client_cpu), 3),
        "resources": analysed,
    }


def _pack_cpu_seconds(analysis: PolicyAnalysis) -> float | None:
    """User + system CPU time of the shared pack process so far (Linux /proc; else None)."""
    pack = analysis._shared
    if pack is None:
        return None
    try:
        fields = Path(f"/proc/{pack.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # Fields 14 and 15 of proc(5) (utime, stime), counted after the ")" of the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def generate_stacks(source: Path, destination: Path, environment: str, count: int) -> None:
    """A copy of `source` whose retraining project holds `count` stacks of `environment`."""
    shutil.copytree(
        source,
        destination,
        ignore=shutil.ignore_patterns("__pycache__", "venv", ".venv", "*.egg-info"),
    )
    retraining = destination / "retraining"
    shipped = sorted(retraining.glob(f"Pulumi.*-{environment}.yaml"))
    if not shipped:
        raise SystemExit(f"no retraining stack config of environment {environment!r} to copy")
    template = yaml.safe_load(shipped[0].read_text())
    for path in shipped:
        path.unlink()
    config = template["config"]
    team = str(config["retraining:team"])
    model = str(config["retraining:model"])
    for index in range(count):
        variant = f"{model[:18]}g{index:03d}"
        config["retraining:model"] = variant
        stack = f"{team}-{variant}-{environment}"
        (retraining / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(template))


def _slope(xs: list[float], ys: list[float]) -> float:
    return (ys[-1] - ys[0]) / (xs[-1] - xs[0]) if xs[-1] != xs[0] else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="dev")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--scaling-repeat", type=int, default=3)
    parser.add_argument("--stacks-dir", type=Path, default=REPOSITORY / "stacks")
    parser.add_argument("--policy-pack", type=Path, default=REPOSITORY / "policy")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers as JSON")
    arguments = parser.parse_args()

    results: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_before": [round(v, 2) for v in os.getloadavg()],
    }
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as temporary:
        scratch = Path(temporary)
        pycache = Path(tempfile.gettempdir()) / "offline-plan-bench-pycache"
        common = ["--policy-pack", str(arguments.policy_pack.resolve())]

        full, fastest = median_run(
            ["--env", arguments.env, "--stacks-dir", str(arguments.stacks_dir.resolve()), *common],
            arguments.repeat,
            pycache,
            scratch,
        )
        rpc = full.rpc_ms_per_resource()
        results["full_plan"] = {
            "median_seconds": round(full.seconds, 3),
            "min_seconds": round(fastest, 3),
            "plan_seconds_inside": full.report["seconds"],
            "stacks": full.stacks,
            "resources": full.resources_to_create,
            "exit_code": full.exit_code,
            "rpc_ms_per_resource": None if rpc is None else round(rpc, 3),
            "target_seconds": TARGET_SECONDS_FULL_PLAN,
        }
        print(
            f"full plan of the shipped {arguments.env} stacks: median {full.seconds:.2f} s wall "
            f"(min {fastest:.2f} s) over {arguments.repeat} runs ({full.stacks} stacks, "
            f"{full.resources_to_create} "
            f"resources, exit {full.exit_code}; target <= {TARGET_SECONDS_FULL_PLAN:.0f} s)"
        )
        if rpc is not None:
            print(
                f"  gRPC analysis inside that plan (overlapped with programs): {rpc:.3f} ms "
                "per resource"
            )
        uncontended = measure_analysis(
            arguments.stacks_dir.resolve(), arguments.policy_pack.resolve(), arguments.env
        )
        results["policy_analysis"] = {**uncontended, "target_ms": TARGET_MS_PER_RESOURCE}
        print(
            f"policy analysis over gRPC, uncontended: {uncontended['warm_ms_per_resource']:.3f} "
            f"ms per resource over {uncontended['resources']:.0f} resources (first pass "
            f"{uncontended['first_pass_ms_per_resource']:.3f} ms; target <= "
            f"{TARGET_MS_PER_RESOURCE:.0f} ms)"
        )
        print(
            "  pack start to the last verdict on every shipped stack (all gRPC, programs "
            f"already run): {uncontended['pack_start_to_last_verdict_seconds']:.2f} s"
        )

        sizes, seconds, resources, rpcs = [], [], [], []
        for count in arguments.sizes:
            stacks_dir = scratch / f"stacks-{count}"
            generate_stacks(arguments.stacks_dir.resolve(), stacks_dir, arguments.env, count)
            measurement, _ = median_run(
                ["--env", arguments.env, "--stacks-dir", str(stacks_dir), *common],
                arguments.scaling_repeat,
                pycache,
                scratch,
            )
            sizes.append(count)
            seconds.append(measurement.seconds)
            resources.append(measurement.resources_to_create)
            rpcs.append(measurement.rpc_ms_per_resource())
            print(
                f"  {count:>3} retraining stacks: {measurement.seconds:6.2f} s, "
                f"{measurement.resources_to_create:5d} resources"
                + (f", {rpcs[-1]:.3f} ms/resource in gRPC analysis" if rpcs[-1] else "")
            )
        per_stack = _slope([float(s) for s in sizes], seconds)
        per_resource = _slope([float(r) for r in resources], seconds)
        middle = len(sizes) // 2
        lower = _slope([float(s) for s in sizes[: middle + 1]], seconds[: middle + 1])
        upper = _slope([float(s) for s in sizes[middle:]], seconds[middle:])
        results["scaling"] = {
            "sizes": sizes,
            "seconds": [round(s, 3) for s in seconds],
            "resources": resources,
            "rpc_ms_per_resource": [None if r is None else round(r, 3) for r in rpcs],
            "marginal_seconds_per_stack": round(per_stack, 4),
            "marginal_ms_per_resource": round(per_resource * 1000, 3),
            "slope_lower_half_seconds_per_stack": round(lower, 4),
            "slope_upper_half_seconds_per_stack": round(upper, 4),
        }
        print(
            f"marginal cost: {per_stack * 1000:.0f} ms per retraining stack, "
            f"{per_resource * 1000:.2f} ms per resource "
            f"(slope {lower * 1000:.0f} ms/stack for sizes {sizes[0]}-{sizes[middle]}, "
            f"{upper * 1000:.0f} ms/stack for {sizes[middle]}-{sizes[-1]}: "
            f"{'linear' if upper <= 1.5 * lower else 'super-linear'})"
        )
    results["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if arguments.json is not None:
        arguments.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
