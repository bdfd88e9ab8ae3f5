"""Where the policy pack's time goes, per resource: the planner's own analysis path, in process.

    python tools/profile_pack.py                      # CPU ms per resource, median of 5 passes
    python tools/profile_pack.py --profile 25         # plus the top 25 functions by own time
    python tools/profile_pack.py --copies 20          # the shipped stacks 20 times (bigger N)

The shipped stacks of an environment are planned once (their programs run under the mock
runtime), then the exact requests the planner sends (`ConfigureStack`, `Analyze` per resource,
`AnalyzeStack`; see offline_plan/analysis.py) go to the SDK's own Analyzer servicer
(`pulumi_policy.policy._PolicyAnalyzerServicer`, what `python -m pulumi.policy` serves) built
from the pack's policies in this process. No gRPC, no process boundary: what is left is the
pack's cost and the SDK's per-policy dispatch. CPU time (`time.process_time`) is reported, so
the figure holds on a loaded machine; `nox -s bench` measures the same over gRPC, wall time.
To see the real pack process instead: `py-spy record --pid <pack pid>` while `nox -s bench` runs
(py-spy is on PyPI; it is not a project dependency).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]


class InProcessPack:
    """The Analyzer protocol methods the planner calls, served by the SDK servicer in process."""

    def __init__(self, servicer: Any) -> None:
        self.servicer = servicer

    def handshake(self) -> bool:
        return False

    def get_plugin_info(self) -> Any:
        return self.servicer.GetPluginInfo(None, None)

    def get_analyzer_info(self) -> Any:
        return self.servicer.GetAnalyzerInfo(None, None)

    def __getattr__(self, method: str) -> Any:
        from offline_plan.policy_client import LaunchedPolicyPack  # noqa: PLC0415

        protocol = getattr(LaunchedPolicyPack, method)

        def call(*args: Any, **kwargs: Any) -> Any:
            # The client's own request building, its `_call` answered by the servicer.
            return protocol(self, *args, **kwargs)

        return call

    def _call(self, method: str, request: Any, timeout: float) -> Any:
        return getattr(self.servicer, method)(request, None)

    def close(self) -> None:
        return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="dev")
    parser.add_argument("--stacks-dir", type=Path, default=REPOSITORY / "stacks")
    parser.add_argument("--policy-pack", type=Path, default=REPOSITORY / "policy")
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--copies", type=int, default=1, help="judge every stack this often")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="top N functions")
    parser.add_argument(
        "--stock-servicer",
        action="store_true",
        help="the SDK's own servicer (one deserialization per policy) instead of the pack's",
    )
    return parser


def main() -> int:
    arguments = _parser().parse_args()

    sys.path.insert(0, str(arguments.policy_pack.resolve()))
    from bench_plan import run_programs  # noqa: PLC0415 - tools/ is this script's folder
    from offline_plan.analysis import PolicyAnalysis  # noqa: PLC0415
    from pulumi_policy import EnforcementLevel  # noqa: PLC0415
    from pulumi_policy.policy import _PolicyAnalyzerServicer  # noqa: PLC0415
    from retraining_policies.catalogue import PACK_NAME, POLICIES  # noqa: PLC0415

    runs = run_programs(arguments.stacks_dir.resolve(), arguments.env)

    servicer_class: Any = _PolicyAnalyzerServicer
    if not arguments.stock_servicer:  # an older checkout's pack may not have it: --stock-servicer
        from retraining_policies.analyzer_servicer import (  # noqa: PLC0415
            SharedDeserializationServicer,
        )

        servicer_class = SharedDeserializationServicer
    servicer = servicer_class(PACK_NAME, "0.0.1", list(POLICIES), EnforcementLevel.MANDATORY)
    pack = InProcessPack(servicer)

    class InProcessAnalysis(PolicyAnalysis):
        def _launch(self, target: Any) -> Any:
            return pack

    analysis = InProcessAnalysis(
        arguments.policy_pack.resolve(),
        policy_config={},
        policy_config_source="defaults",
        shared_process=True,
    )

    def judge_all() -> int:
        analysed = 0
        for _ in range(arguments.copies):
            for target, run in runs:
                analysed += analysis.analyze(target, run).resources_analyzed
        return analysed

    judge_all()  # the pack's lazy imports and caches of its first stack
    cpu_ms, wall_ms = [], []
    resources = 0
    for _ in range(arguments.passes):
        cpu, wall = time.process_time(), time.perf_counter()
        resources = judge_all()
        cpu_ms.append(1000 * (time.process_time() - cpu) / resources)
        wall_ms.append(1000 * (time.perf_counter() - wall) / resources)
    print(
        f"{servicer_class.__name__}: {len(POLICIES)} policies, {resources} resources per pass, "
        "load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    print(
        f"pack in process: {statistics.median(cpu_ms):.3f} ms CPU per resource (median of "
        f"{arguments.passes}; min {min(cpu_ms):.3f}), wall {statistics.median(wall_ms):.3f} ms"
    )
    if arguments.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        judge_all()
        profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(arguments.profile)
        stats.sort_stats("cumulative").print_stats(arguments.profile)
        print(text.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
