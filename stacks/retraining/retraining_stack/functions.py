"""The Lambda functions that run the package `lambda_function/`, and the Step Functions mode's
quality-gate function.

Every such function is built the same way (`package_function`): the package zipped from this
repository (`ARCHIVE_FILES`), a pinned runtime (`LAMBDA_RUNTIME`), arm64, Lambda's JSON log
format, the team's Lambda orchestrator role from network-iam, and its own log group created first
with a retention (so the role needs no logs:CreateLogGroup and logs do not pile up forever;
otherwise Lambda creates the group on the first invocation, without a retention, and the next
`pulumi up` collides with it).

- The Lambda orchestrator `<base>-orchestrator` (`orchestrators.lambda_orchestrator`).
- The gate function `<base>-model-gate` (`model_gate_function`), only for a Step Functions stack
  with a `qualityGate`: the state machine invokes it synchronously as a Lambda task after the
  `.sync` training task succeeded (`gate_states`); handler `model_gate.lambda_handler`, timeout
  from the gate's own call budget. It runs with the Lambda orchestrator role, which holds the
  team's registry permissions (retraining_shared.iam `RunQualityGateInTeamModelRegistry`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from retraining_stack import gate_states, health, model_registry, state_machine
from retraining_stack.context import StackContext
from retraining_stack.health import AlarmSpec
from retraining_stack.lambda_function import (
    ARCHIVE_FILES,
    GATE_FUNCTION_TIMEOUT_SECONDS,
    GATE_HANDLER_ENTRYPOINT,
    contract,
)

LOG_RETENTION_DAYS = 90
FUNCTION_MEMORY_MB = 256
# Lambda log-level filtering (LoggingConfig: ApplicationLogLevel TRACE..FATAL, SystemLogLevel
# DEBUG | INFO | WARN); see `package_function`.
APPLICATION_LOG_LEVEL = "INFO"
SYSTEM_LOG_LEVEL = "INFO"

LAMBDA_RUNTIME = aws.lambda_.Runtime.PYTHON3D13
"""Pinned: a provider upgrade must never change the runtime the handler runs on. python3.13 is
supported until 30 Jun 2029 (AWS Lambda developer guide, "Lambda runtimes"); the handler uses
the standard library and the runtime's boto3 only. Change it deliberately, with the tests."""


def package_function(
    context: StackContext,
    *,
    name: str,
    log_group_name: str,
    handler: str,
    timeout_seconds: int,
    description: str,
    variables: Mapping[str, pulumi.Input[str]],
    reserved_concurrency: int | None = None,
) -> aws.lambda_.Function:
    """A function running the package with `handler`, its log group created first."""
    log_group = aws.cloudwatch.LogGroup(
        log_group_name,
        name=log_group_name,
        retention_in_days=LOG_RETENTION_DAYS,
        tags=context.tags(),
    )
    return aws.lambda_.Function(
        name,
        name=name,
        description=description,
        role=context.upstream.lambda_orchestrator_role_arn,
        runtime=LAMBDA_RUNTIME,
        architectures=["arm64"],
        handler=handler,
        code=pulumi.AssetArchive(
            {path: pulumi.FileAsset(str(source)) for path, source in ARCHIVE_FILES.items()}
        ),
        timeout=timeout_seconds,
        memory_size=FUNCTION_MEMORY_MB,
        reserved_concurrent_executions=reserved_concurrency,
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(variables)),
        # JSON: the runtime renders each `logging` record as one JSON object, `extra` keys
        # included ("Working with Lambda function logs in Python", JSON log format). The levels
        # are explicit ("Configuring advanced logging controls for Lambda functions", log-level
        # filtering; LoggingConfig API reference): with an application level Lambda sets
        # AWS_LAMBDA_LOG_LEVEL and the Python runtime sets the root logger to it (awslambdaric
        # bootstrap.py `_setup_logging`: `if log_level in logging._nameToLevel:
        # logger.setLevel(log_level)`); without one the root logger stays at WARNING and every
        # `LOGGER.info` ("training job started", "outcome published") would be dropped. System
        # INFO keeps START/END/REPORT, whose request id ties a record to its invocation; a
        # handful of invocations a day.
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(
            log_format="JSON",
            log_group=log_group_name,
            application_log_level=APPLICATION_LOG_LEVEL,
            system_log_level=SYSTEM_LOG_LEVEL,
        ),
        tags=context.tags(),
        opts=pulumi.ResourceOptions(depends_on=[log_group]),
    )


@dataclass(frozen=True)
class GateFunction:
    """The Step Functions mode's gate: its function, the states that invoke it, its alarm."""

    function: aws.lambda_.Function
    quality_gate: state_machine.QualityGate
    health_alarms: tuple[AlarmSpec, ...]


def model_gate_function(context: StackContext, topic_arn: str) -> GateFunction | None:
    """The gate function and the states to insert after `.sync` success, or None without a
    `qualityGate`. The states publish the gate's one message (Registered / Rejected) and end in
    the machine's `Reported` state."""
    variables = model_registry.gate_environment(context)
    if not variables:
        return None
    names, arns = context.names, context.arns
    function = package_function(
        context,
        name=names.model_gate_function,
        log_group_name=names.model_gate_log_group,
        handler=GATE_HANDLER_ENTRYPOINT,
        timeout_seconds=GATE_FUNCTION_TIMEOUT_SECONDS,
        description=(
            f"Quality gate of {names.training_job_name_prefix}YYYYMMDDHHMM: judges a completed "
            f"job's model and registers it in {names.model_package_group}"
        ),
        variables={
            **variables,
            contract.ENV_TEAM: names.team,
            contract.ENV_MODEL: names.model,
            contract.ENV_ENVIRONMENT: names.environment,
        },
    )
    quality_gate = gate_states.state_machine_gate(
        arns,
        names.model_gate_function,
        topic_arn,
        team=names.team,
        model=names.model,
        environment=names.environment,
    )
    alarm = AlarmSpec(
        "model-gate-errors",
        health.describe(
            f"the quality-gate function {names.model_gate_function} raised errors (an AWS "
            "call failing after botocore's retries, or a crash); the state machine retries it, "
            "and an occurrence whose gate still cannot run is reported Rejected (the gate could "
            f"not run): read its log group {names.model_gate_log_group}"
        ),
        "AWS/Lambda",
        "Errors",
        {"FunctionName": names.model_gate_function},
    )
    return GateFunction(function, quality_gate, (alarm,))
