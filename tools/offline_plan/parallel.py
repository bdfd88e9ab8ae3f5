"""Stack programs in worker processes, results taken back in the plan's order.

Once its upstream stacks are planned, a stack's program depends on nothing else: the programs of
the retraining stacks of an environment can run at the same time. Pulumi's mock runtime is
process-wide state (one program at a time per process), so the concurrency is processes: a pool
of workers, started fresh (`spawn`: this process holds gRPC channels and threads, which a fork
would copy in an unusable state) and importing the planner and pulumi_aws once each, when they
start. They are children of this process, so their CPU time counts in its children's usage
(`nox -s bench` reports it). The policy pack is not involved: the plan's process sends every
stack to the pack as before, in the plan's order.

Determinism: results are consumed strictly in the order of `discovery.targets`, and everything
the planner records (stacks, errors, diagnostics, outputs) is recorded while consuming, so the
report and the output are the same whatever the number of workers (tests/plan/test_plan_modes.py).
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any, Self, TypeVar

from offline_plan.discovery import StackTarget

_T = TypeVar("_T")
AUTO_MIN_STACKS = 8
"""`--jobs auto` plans in one process below this many stacks: a worker costs ~0.5-1 s of CPU to
start (a Python process importing the SDKs), more than it saves on a few stacks."""
PRELOADED = ["offline_plan.mock_runtime", "offline_plan.planner", "pulumi", "pulumi_aws"]


class Deferred:
    """A job run in this process when its result is asked for (one worker: the plan as before,
    each program just before its stack is recorded)."""

    def __init__(self, function: Callable[..., Any], *arguments: Any) -> None:
        self._call = (function, arguments)

    def result(self) -> Any:
        function, arguments = self._call
        return function(*arguments)


def job_count(requested: str, targets: Sequence[StackTarget]) -> int:
    """Worker processes for `--jobs`: a number, or `auto` (the CPUs, given enough stacks)."""
    if requested != "auto":
        return max(1, int(requested))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    runnable = sum(1 for target in targets if not target.problems)
    return max(1, cpus or 1) if runnable >= AUTO_MIN_STACKS else 1


def _worker_started() -> None:
    # As offline_plan/__main__.py: the SDK allocates many short-lived objects per resource.
    gc.set_threshold(50_000, 50, 100)
    for module in PRELOADED:  # once per worker, not in its first stack's program time
        importlib.import_module(module)


class ProgramPool:
    """`workers` processes (none for one worker: jobs then run in this process)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        if workers > 1:
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(
                max_workers=workers, mp_context=context, initializer=_worker_started
            )

    def submit(self, function: Callable[..., _T], *arguments: Any) -> Future[_T] | Deferred:
        if self._executor is None:
            return Deferred(function, *arguments)
        return self._executor.submit(function, *arguments)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=exc is not None)


def in_order(
    targets: Sequence[StackTarget],
    start: Callable[[int], Future[Any] | Deferred | None],
    finish: Callable[[int, Future[Any] | Deferred | None], None],
) -> None:
    """Start each target's job as soon as every stack it reads has been finished, and finish
    targets strictly in order.

    `start(i)` returns the job of target i (None: nothing to run); `finish(i, job)` records it.
    A target is started once every target that produces one of its upstream stacks (by alias)
    has been finished, so `start` sees their exports; targets are in dependency order, so the
    one to finish next is always startable.
    """
    producers: dict[str, int] = {}
    for index, target in enumerate(targets):
        for alias in target.aliases:
            producers.setdefault(alias, index)
    waiting = list(range(len(targets)))
    jobs: dict[int, Future[Any] | Deferred | None] = {}
    for finished in range(len(targets)):
        still_waiting = []
        for index in waiting:
            upstream_done = all(
                producers.get(name, -1) < finished or producers[name] == index
                for name in targets[index].upstreams.values()
            )
            if upstream_done or index == finished:
                jobs[index] = start(index)
            else:
                still_waiting.append(index)
        waiting = still_waiting
        finish(finished, jobs.pop(finished))
