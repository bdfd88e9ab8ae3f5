"""The Lambda orchestrator's code, zipped as the package `lambda_function/`, and what the stack
needs to deploy it.

The modules import each other relatively, so the same files run as
`retraining_stack.lambda_function` (the stack, the tests) and as the top-level package
`lambda_function` in the function's zip (`ARCHIVE_FILES`, handler `HANDLER_ENTRYPOINT`).
This module and `contract`/`invocation` are standard library only: the Pulumi program imports
them without boto3; only `handler` imports boto3 (the runtime's).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Final

from .invocation import scheduler_target_input

PACKAGE: Final = "lambda_function"
HANDLER_ENTRYPOINT: Final = f"{PACKAGE}.handler.handler"
# The Step Functions mode's gate function: the same zip, the quality gate's own entry point.
GATE_HANDLER_ENTRYPOINT: Final = f"{PACKAGE}.model_gate.lambda_handler"
SOURCE_DIR: Final = Path(__file__).parent
# Zip path -> source file: the package's modules, nothing else (no tests, no caches).
# `contract.py` is a symlink to the policy pack's `orchestrator_contract.py` (the pack owns the
# contract); the path is resolved so the zip holds that file's content whatever reads the asset.
ARCHIVE_FILES: Final = {
    f"{PACKAGE}/{name}": (SOURCE_DIR / name).resolve()
    for name in ("__init__.py", "contract.py", "handler.py", "invocation.py", "model_gate.py")
}


# The quality gate (model_gate.judge_and_register) makes at most six calls, on the path that
# registers: DescribeTrainingJob, ListModelPackages (this job's version), ListModelPackages (the
# latest Approved), DescribeModelPackage (its metric), CreateModelPackage, DescribeModelPackage.
GATE_CALLS: Final = 6


@dataclasses.dataclass(frozen=True)
class CallBudget:
    """botocore's per-call bounds (standard retry mode) and the function timeout they imply."""

    max_attempts: int = 3
    connect_timeout_seconds: int = 3
    read_timeout_seconds: int = 10
    # Standard mode sleeps U(0, 1) * 2^(attempt - 1) s after a failed attempt, capped at 20 s
    # (botocore/retries/standard.py, ExponentialBackoff.delay_amount, _MAX_BACKOFF = 20).
    max_backoff_seconds: int = 20
    # A start makes at most three calls (Create, Describe, Publish); a report three (ListTags,
    # Publish, AddTags) plus the quality gate's (`GATE_CALLS`).
    calls_per_invocation: int = 3 + GATE_CALLS

    def worst_case_seconds(self) -> int:
        attempts = self.max_attempts * (self.connect_timeout_seconds + self.read_timeout_seconds)
        sleeps = sum(
            min(1 << (attempt - 1), self.max_backoff_seconds)
            for attempt in range(1, self.max_attempts)
        )
        return self.calls_per_invocation * (attempts + sleeps)

    def timeout_seconds(self) -> int:
        """The worst case rounded up to whole minutes: a function with this timeout never
        times out while botocore is still retrying."""
        return 60 * -(-self.worst_case_seconds() // 60)


CALL_BUDGET: Final = CallBudget()
FUNCTION_TIMEOUT_SECONDS: Final = CALL_BUDGET.timeout_seconds()
# The gate function (Step Functions mode) makes only the gate's calls.
GATE_CALL_BUDGET: Final = dataclasses.replace(CALL_BUDGET, calls_per_invocation=GATE_CALLS)
GATE_FUNCTION_TIMEOUT_SECONDS: Final = GATE_CALL_BUDGET.timeout_seconds()

__all__ = [
    "ARCHIVE_FILES",
    "CALL_BUDGET",
    "FUNCTION_TIMEOUT_SECONDS",
    "GATE_CALLS",
    "GATE_CALL_BUDGET",
    "GATE_FUNCTION_TIMEOUT_SECONDS",
    "GATE_HANDLER_ENTRYPOINT",
    "HANDLER_ENTRYPOINT",
    "CallBudget",
    "scheduler_target_input",
]
