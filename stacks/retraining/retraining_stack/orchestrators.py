"""The orchestrator kinds: what a scheduled occurrence invokes to start the training job.

An orchestrator kind is one builder in `ORCHESTRATOR_KINDS` (keyed by the `orchestrator` setting)
that returns an `Orchestrator`: its resource, how a schedule rule or a Scheduler schedule invokes
it (`ScheduleTarget`), its platform-health alarms, and how the job's outcome reaches the team
topic (`job_state`: a job-state rule, or None when the orchestrator reports the outcome itself).
`schedule.py`, `notifications.py` and `stack.py` read these and never branch on the kind, so a
third kind is one builder here plus its config value.

- Lambda (`orchestrator: lambda`): the function `<base>-orchestrator` runs the package
  `lambda_function/` (`functions.package_function`: zipped from this repository, pinned
  runtime, JSON logs, its log group first). With a `qualityGate` its report path runs the
  gate on a completed job (`model_registry.gate_environment`). Job-state reports reach it
  through the FIFO queue of `job_state_queue`. Reserved concurrency `lambdaReservedConcurrency`
  (default -1, none: see `config.DEFAULT_LAMBDA_RESERVED_CONCURRENCY`). Lambda does not retry
  a failed asynchronous invocation (the handler reports every outcome itself and returns; a
  retry would repeat its message): a crash goes to `<base>-orchestrator-dlq`.
- Step Functions (`orchestrator: stepfunctions`): the state machine `<base>-orchestrator` from
  `state_machine.build_definition`, logging at level ALL with execution data into its own log
  group, X-Ray tracing on. Its definition holds only values known at preview; network-iam's
  subnet, security group and KMS key ids come with each execution's input
  (`training_infrastructure`, passed by the schedule target). The state machine publishes the
  one outcome message of its occurrence itself: no job-state rule. With a `qualityGate`, the
  gate function `<base>-model-gate` (`functions.model_gate_function`) judges a completed job
  and the state machine publishes the gate's message (Registered / Rejected) instead of
  Completed.

Both run with the roles network-iam created for the team; this stack creates no IAM.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from retraining_stack import (
    functions,
    health,
    job_state_queue,
    model_registry,
    queues,
    state_machine,
    training_spec,
)
from retraining_stack import lambda_function as lambda_handler
from retraining_stack.context import StackContext
from retraining_stack.health import AlarmSpec
from retraining_stack.lambda_function import (
    FUNCTION_TIMEOUT_SECONDS,
    HANDLER_ENTRYPOINT,
    contract,
)
from retraining_stack.names import StackNames
from retraining_stack.upstream import Upstream

LOG_RETENTION_DAYS = functions.LOG_RETENTION_DAYS
# No Lambda retries of a failed asynchronous invocation: the handler publishes the one NotStarted
# message and returns; it raises only when it cannot report at all, and a retry cannot fix that.
ASYNC_RETRY_ATTEMPTS = 0
ASYNC_MAX_EVENT_AGE_SECONDS = 3600
LAMBDA_RUNTIME = functions.LAMBDA_RUNTIME


@dataclass(frozen=True)
class ScheduleTarget:
    """How a schedule invokes the orchestrator (schedule.py builds the rule or schedule)."""

    rule_input_transformer: aws.cloudwatch.EventTargetInputTransformerArgs | None
    """What an EventBridge rule target sends; None: the raw "Scheduled Event"."""
    rule_uses_role: bool
    """The rule target invokes with the schedule-invoker role (Step Functions: StartExecution
    needs an identity); otherwise the orchestrator's resource policy admits the rule."""
    scheduler_input: pulumi.Input[str]
    """The Scheduler target's `Input` (Scheduler always invokes with its execution role)."""


@dataclass(frozen=True)
class Orchestrator:
    """What the schedule targets, what the alarms watch, how job outcomes are reported."""

    kind: str
    name: str
    arn: str
    """Deterministic (names + account), known at preview."""
    resource: pulumi.CustomResource
    schedule_target: ScheduleTarget
    health_alarms: tuple[AlarmSpec, ...]
    """Its platform-health signals (descriptions start with contract.PLATFORM_HEALTH_PREFIX)."""
    job_state: job_state_queue.JobStateRoute | None
    """None: the orchestrator publishes each occurrence's outcome itself."""


def training_infrastructure(upstream: Upstream) -> pulumi.Output[dict[str, Any]]:
    """The state machine's execution input `trainingInfrastructure`, for the schedule target.

    Provider-computed (unknown while a new network-iam is only previewed): it belongs in the
    target's input, never in the definition, which must stay known for the policy pack."""
    return pulumi.Output.all(
        upstream.subnet_ids, upstream.security_group_id, upstream.kms_key_arn
    ).apply(
        lambda values: state_machine.training_infrastructure(
            subnet_ids=list(values[0]),
            security_group_ids=[str(values[1])],
            kms_key_arn=str(values[2]),
        )
    )


def lambda_environment_variables(
    spec: Mapping[str, Any],
    upstream: Upstream,
    names: StackNames,
    *,
    volume_kms_key: bool,
) -> dict[str, pulumi.Input[str]]:
    """One Input per variable, so a value unknown at preview (a subnet id) leaves TRAINING_SPEC
    and the others known: a single Output for the whole map would be entirely unknown."""
    variables: dict[str, pulumi.Input[str]] = {
        contract.ENV_TRAINING_SPEC: training_spec.spec_json(spec),
        contract.ENV_JOB_NAME_PREFIX: names.training_job_name_prefix,
        contract.ENV_TOPIC_ARN: upstream.topic_arn,
        contract.ENV_TEAM: names.team,
        contract.ENV_MODEL: names.model,
        contract.ENV_ENVIRONMENT: names.environment,
        contract.ENV_SUBNET_IDS: upstream.subnet_ids.apply(",".join),
        contract.ENV_SECURITY_GROUP_IDS: upstream.security_group_id,
        contract.ENV_OUTPUT_KMS_KEY: upstream.kms_key_arn,
    }
    if volume_kms_key:
        variables[contract.ENV_VOLUME_KMS_KEY] = upstream.kms_key_arn
    return variables


def lambda_orchestrator(
    context: StackContext, spec: Mapping[str, Any], schedule_dead_letter_queue: aws.sqs.Queue
) -> Orchestrator:
    settings, names, arns, upstream = (
        context.settings,
        context.names,
        context.arns,
        context.upstream,
    )
    failure_queue = queues.dead_letter_queue(
        names.orchestrator_dead_letter_queue, context.resource_tags
    )
    failure_queue_arn = arns.sqs_queue(names.orchestrator_dead_letter_queue)
    queues.attach_policy(
        names.orchestrator_dead_letter_queue,
        failure_queue,
        queues.orchestrator_dead_letter_queue_policy(
            failure_queue_arn, lambda_role_arn=upstream.lambda_orchestrator_role_arn
        ),
    )
    function = functions.package_function(
        context,
        name=names.function,
        log_group_name=names.function_log_group,
        handler=HANDLER_ENTRYPOINT,
        timeout_seconds=FUNCTION_TIMEOUT_SECONDS,
        description=(
            f"Starts the {settings.model} training job ({names.training_job_name_prefix}"
            "YYYYMMDDHHMM) for each scheduled occurrence and reports its outcome"
        ),
        variables={
            **lambda_environment_variables(
                spec,
                upstream,
                names,
                volume_kms_key=training_spec.sends_volume_kms_key(settings.training),
            ),
            # With a quality gate the report path judges a completed job (model_gate.run_gate).
            **model_registry.gate_environment(context),
        },
        reserved_concurrency=settings.lambda_reserved_concurrency,
    )
    aws.lambda_.FunctionEventInvokeConfig(
        f"{names.function}-async",
        function_name=function.name,
        maximum_retry_attempts=ASYNC_RETRY_ATTEMPTS,
        maximum_event_age_in_seconds=ASYNC_MAX_EVENT_AGE_SECONDS,
        destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
            on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                destination=failure_queue_arn
            )
        ),
        opts=pulumi.ResourceOptions(parent=function, depends_on=[failure_queue]),
    )
    job_state = job_state_queue.job_state_reports(context, function, schedule_dead_letter_queue)
    return Orchestrator(
        kind="lambda",
        name=names.function,
        arn=arns.lambda_function(names.function),
        resource=function,
        schedule_target=ScheduleTarget(
            rule_input_transformer=None,
            rule_uses_role=False,
            scheduler_input=lambda_handler.scheduler_target_input(),
        ),
        health_alarms=(
            AlarmSpec(
                "orchestrator-errors",
                health.describe(
                    f"the orchestrator function {names.function} raised errors; an occurrence "
                    "may have gone unstarted or unreported: read its log group "
                    f"{names.function_log_group}"
                ),
                "AWS/Lambda",
                "Errors",
                {"FunctionName": names.function},
            ),
            health.dead_letter_queue_alarm(
                "orchestrator-dlq-messages",
                names.orchestrator_dead_letter_queue,
                "orchestrator invocations that crashed",
            ),
            health.dead_letter_queue_alarm(
                "job-state-dlq-messages",
                names.job_state_dead_letter_queue,
                "job-state reports the orchestrator could not process (their outcome was not sent)",
            ),
        ),
        job_state=job_state,
    )


def step_functions_orchestrator(
    context: StackContext, spec: Mapping[str, Any], schedule_dead_letter_queue: aws.sqs.Queue
) -> Orchestrator:
    """The state machine; it reports its occurrences' outcomes itself (no job-state rule), so
    the dead-letter queue is not needed here (schedule.py dead-letters the schedule into it)."""
    settings, names, arns, upstream = (
        context.settings,
        context.names,
        context.arns,
        context.upstream,
    )
    log_group = aws.cloudwatch.LogGroup(
        names.state_machine_log_group,
        name=names.state_machine_log_group,
        retention_in_days=LOG_RETENTION_DAYS,
        tags=context.tags(),
    )
    # With a quality gate, its function, and its states after `.sync` success (its message
    # replaces Completed).
    gate = functions.model_gate_function(context, upstream.topic_arn)
    # A plain string, known at preview: the VPC and KMS ids are JSONPath parameters read from the
    # execution input (see `training_infrastructure`), so the policy pack can judge the spec.
    definition = json.dumps(
        state_machine.build_definition(
            dict(spec),
            upstream.topic_arn,
            names.training_job_name_prefix,
            team=names.team,
            model=names.model,
            environment=names.environment,
            volume_kms_key=training_spec.sends_volume_kms_key(settings.training),
            quality_gate=gate.quality_gate if gate else None,
        ),
        indent=2,
        sort_keys=True,
    )
    machine = aws.sfn.StateMachine(
        names.state_machine,
        name=names.state_machine,
        type="STANDARD",  # a training job runs for hours; EXPRESS stops at five minutes
        role_arn=upstream.step_functions_orchestrator_role_arn,
        definition=definition,
        logging_configuration=aws.sfn.StateMachineLoggingConfigurationArgs(
            level="ALL",
            include_execution_data=True,
            log_destination=f"{arns.log_group(names.state_machine_log_group)}:*",
        ),
        tracing_configuration=aws.sfn.StateMachineTracingConfigurationArgs(enabled=True),
        tags=context.tags(),
        opts=pulumi.ResourceOptions(depends_on=[log_group, *([gate.function] if gate else [])]),
    )
    machine_arn = arns.state_machine(names.state_machine)
    infrastructure = training_infrastructure(upstream)
    return Orchestrator(
        kind="stepfunctions",
        name=names.state_machine,
        arn=machine_arn,
        resource=machine,
        schedule_target=ScheduleTarget(
            # The paths stay known at preview; the template embeds provider-computed ids.
            rule_input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                input_paths=dict(state_machine.RULE_TARGET_INPUT_PATHS),
                input_template=infrastructure.apply(state_machine.rule_target_input_template),
            ),
            rule_uses_role=True,
            scheduler_input=infrastructure.apply(state_machine.scheduler_target_input),
        ),
        # Every outcome ends Succeed after its one message (state_machine docstring): a failed,
        # timed-out or aborted execution is the orchestrator itself breaking.
        health_alarms=(gate.health_alarms if gate else ())
        + tuple(
            AlarmSpec(
                "orchestrator-" + metric.removeprefix("Executions").lower(),
                health.describe(
                    f"an execution of the orchestrator state machine {names.state_machine} "
                    f"{what}; its occurrence may have gone unstarted or unreported: read the "
                    f"execution history and the log group {names.state_machine_log_group}"
                ),
                "AWS/States",
                metric,
                {"StateMachineArn": machine_arn},
            )
            for metric, what in (
                ("ExecutionsFailed", "failed"),
                ("ExecutionsTimedOut", "timed out"),
                ("ExecutionsAborted", "was aborted"),
            )
        ),
        job_state=None,
    )


OrchestratorBuilder = Callable[[StackContext, Mapping[str, Any], aws.sqs.Queue], Orchestrator]

ORCHESTRATOR_KINDS: Final[Mapping[str, OrchestratorBuilder]] = {
    "lambda": lambda_orchestrator,
    "stepfunctions": step_functions_orchestrator,
}
"""The `orchestrator` setting's values (config.Orchestrator) and their builders."""


def create_orchestrator(
    context: StackContext, spec: Mapping[str, Any], schedule_dead_letter_queue: aws.sqs.Queue
) -> Orchestrator:
    return ORCHESTRATOR_KINDS[context.settings.orchestrator](
        context, spec, schedule_dead_letter_queue
    )
