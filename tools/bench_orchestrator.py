"""Benchmark the Lambda orchestrator: cold-start import cost and warm invocation time.

Cold start (each sample a fresh interpreter, the package `lambda_function/` alone on sys.path,
as in the zip):
- `import handler`: what the Lambda init phase runs (the package, boto3 and botocore);
- `+ first clients`: creating the SageMaker and SNS clients, which the first invocation pays (no
  network: clients are created, not called);
- `-X importtime` top entries for the first case.
Warm invocation (in-process, clients reused like a warm Lambda, against moto in-process):
- `started`: a new occurrence each time: CreateTrainingJob, no message;
- `already started`: a redelivered occurrence: CreateTrainingJob (ResourceInUse) + Describe;
- `rejected`: a malformed event: validation and the one NotStarted message.
moto's in-process HTTP emulation is part of the warm numbers; a real call adds network latency.

Usage: python tools/bench_orchestrator.py [--cold N] [--warm N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HANDLER_DIR = REPO / "stacks" / "retraining" / "retraining_stack" / "lambda_function"
TESTS_DIR = REPO / "tests" / "orchestrator"

HANDLER_MODULE = "lambda_function.handler"
COLD_IMPORT = (
    f"import time; t = time.perf_counter(); import {HANDLER_MODULE}; print(time.perf_counter() - t)"
)
COLD_IMPORT_AND_CLIENTS = (
    f"import time; t = time.perf_counter(); import {HANDLER_MODULE} as handler; "
    "handler.default_clients(); print(time.perf_counter() - t)"
)


def _fresh_interpreter(code: str, *extra_flags: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a new interpreter with only the zipped package on the path, like the Lambda.

    The files are copied to an empty folder each time: /var/task is read-only and the zip holds no
    bytecode, so Lambda compiles the package at every cold start; so does this.
    """
    sys.path.insert(0, str(REPO / "stacks" / "retraining"))
    from retraining_stack.lambda_function import ARCHIVE_FILES  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as task_root:
        for archive_path, source in ARCHIVE_FILES.items():
            target = Path(task_root) / archive_path
            target.parent.mkdir(exist_ok=True)
            shutil.copy(source, target)
        return _run_in(task_root, code, extra_flags)


def _run_in(
    task_root: str, code: str, extra_flags: tuple[str, ...]
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PYTHONPATH": task_root,
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, *extra_flags, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
        cwd=task_root,
    )


def cold_samples(code: str, runs: int) -> list[float]:
    return [float(_fresh_interpreter(code).stdout.strip()) for _ in range(runs)]


def handler_import_breakdown(limit: int = 5) -> list[tuple[str, int, int]]:
    """(module, self us, cumulative us): `handler` and its largest direct imports.

    `-X importtime` prints post-order lines `self | cumulative | <2 spaces per depth><name>`: a
    module's direct imports are the depth-1 lines printed since the previous depth-0 line.
    """
    stderr = _fresh_interpreter(f"import {HANDLER_MODULE}", "-X", "importtime").stderr
    children: list[tuple[str, int, int]] = []
    for line in stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        self_us, cumulative_us = int(fields[0]), int(fields[1])
        name_field = fields[2][1:]  # one separator space, then two spaces per depth
        depth = (len(name_field) - len(name_field.lstrip(" "))) // 2
        name = name_field.strip()
        if depth == 1:
            children.append((name, self_us, cumulative_us))
        elif depth == 0:
            if name == HANDLER_MODULE:
                ranked = sorted(children, key=lambda row: row[2], reverse=True)[:limit]
                return [(name, self_us, cumulative_us), *ranked]
            children = []
    raise RuntimeError("`handler` not found in the -X importtime output")


def warm_samples(runs: int) -> dict[str, list[float]]:
    """Timings of warm invocations against moto (imported here: the cold cases must not pay)."""
    sys.path[:0] = [str(REPO / "stacks" / "retraining"), str(TESTS_DIR)]
    import boto3  # noqa: PLC0415
    import pytest  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415
    from orchestrator_fakes import AwsLikeSageMaker  # noqa: PLC0415 - the tests' AWS-like fake
    from retraining_stack.lambda_function import contract, handler  # noqa: PLC0415

    spec = {
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-xgboost:1",
            "TrainingInputMode": "File",
        },
        "RoleArn": "arn:aws:iam::123456789012:role/fraud-dev-sagemaker-execution",
        "OutputDataConfig": {"S3OutputPath": "s3://fraud-dev-123456789012-model-artifacts/o/"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 30,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "Tags": [{"Key": "team", "Value": "fraud"}],
    }
    samples: dict[str, list[float]] = {"started": [], "already started": [], "rejected": []}
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    logging.disable(logging.ERROR)  # the rejected case logs its problems on every run
    environment = {
        contract.ENV_TRAINING_SPEC: json.dumps(spec),
        contract.ENV_JOB_NAME_PREFIX: "fraud-dev-scoring-",
        contract.ENV_TEAM: "fraud",
        contract.ENV_MODEL: "scoring",
        contract.ENV_ENVIRONMENT: "dev",
        # The network and output key the orchestrator role requires (as the stack sets them).
        contract.ENV_SUBNET_IDS: "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
        contract.ENV_SECURITY_GROUP_IDS: "sg-0123456789abcdef0",
        contract.ENV_OUTPUT_KMS_KEY: (
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ),
    }
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        AwsLikeSageMaker().install(monkeypatch)
        topic = boto3.client("sns").create_topic(Name="fraud-dev-retraining-notifications")
        environment[contract.ENV_TOPIC_ARN] = topic["TopicArn"]
        handler.default_clients.cache_clear()
        clients = handler.default_clients()
        start = dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC)

        def invoke(event: object) -> None:
            handler.run(event, environment, clients)

        def rule_event(minute: int) -> dict[str, object]:
            occurrence = start + dt.timedelta(minutes=minute)
            return {
                "source": "aws.events",
                "detail-type": "Scheduled Event",
                "time": occurrence.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "resources": [],
            }

        def timed(action: Callable[[], None]) -> float:
            began = time.perf_counter()
            action()
            return time.perf_counter() - began

        invoke(rule_event(-1))  # warm-up: models loaded, connections pooled
        for minute in range(runs):
            samples["started"].append(timed(functools.partial(invoke, rule_event(minute))))
        for minute in range(runs):
            samples["already started"].append(timed(functools.partial(invoke, rule_event(minute))))
        for _ in range(runs):

            def rejected() -> None:
                invoke({"source": "aws.events", "time": "soon"})

            samples["rejected"].append(timed(rejected))
        handler.default_clients.cache_clear()
    return samples


def _row(label: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
    return f"  {label:<34} {statistics.median(ms):>9.2f} {min(ms):>9.2f} {p90:>9.2f} {len(ms):>5}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=7, help="fresh interpreters per cold case")
    parser.add_argument("--warm", type=int, default=50, help="invocations per warm case")
    args = parser.parse_args()

    print(f"Lambda orchestrator benchmark (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    print(f"  {'case':<34} {'median ms':>9} {'min ms':>9} {'p90 ms':>9} {'runs':>5}")
    print(_row("cold: import handler", cold_samples(COLD_IMPORT, args.cold)))
    print(_row("cold: import + first clients", cold_samples(COLD_IMPORT_AND_CLIENTS, args.cold)))
    for label, values in warm_samples(args.warm).items():
        print(_row(f"warm: {label} (moto)", values))
    print("  python -X importtime -c 'import handler' (self / cumulative):")
    for index, (name, self_us, cumulative_us) in enumerate(handler_import_breakdown()):
        label = name if index == 0 else f"  {name}"
        print(f"    {label:<30} {self_us / 1000:>7.1f} ms {cumulative_us / 1000:>8.1f} ms")


if __name__ == "__main__":
    main()
