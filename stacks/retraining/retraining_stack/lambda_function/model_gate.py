"""The quality gate: judge a completed training job's model, register it if it passes.

Two entry points, one decision (`judge_and_register`):
- `run_gate(job_name, environ, sagemaker)`: the Lambda orchestrator's report path calls it for a
  `Completed` job and publishes the ONE outcome message it returns (`None`: no gate configured,
  the occurrence ends `Completed` as before);
- `lambda_handler(event, context)`: the Lambda task the state machine invokes after the `.sync`
  task succeeded; it returns the outcome fields and the ready message the state machine publishes.

The decision, in this order (the first that fails rejects, and nothing is registered):
1. the job is `Completed` (DescribeTrainingJob);
2. a version for this job is already in the group -> registered before (a redelivered event, a
   retried task): register nothing, report the same outcome;
3. the job reported the gate's metric in `FinalMetricDataList` (missing = a clear rejection,
   never a silent pass);
4. the value meets `threshold` (maximize: >=, minimize: <=);
5. with `minImprovement`: it improves on the latest *Approved* version of the group by at least
   that much; no approved version yet = no baseline (the first version passes on the threshold);
   an approved version without a recorded value for this metric cannot be compared: rejected;
6. the job trained a TrainingImage (not an algorithm resource, AlgorithmName: rejected);
7. CreateModelPackage in the group: the training image and `ModelDataUrl` as the inference
   container, the channels' content types, `ModelApprovalStatus` from `approval`, and the
   decision's facts as `CustomerMetadataProperties` (`contract.METADATA_*`).

Standard library and boto3 only: this module is zipped with the function.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import uuid
from collections.abc import Mapping
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from . import contract

LOGGER = logging.getLogger(__name__)

COMPLETED: Final = "Completed"
APPROVED: Final = "Approved"
DESCRIPTION_PREFIX: Final = "Training job "
# The ClientToken of CreateModelPackage: 1-36 characters of [a-zA-Z0-9-] (API reference); a
# UUID derived from the job's ARN is the same for every retry of one job's registration.
CLIENT_TOKEN_NAMESPACE: Final = uuid.UUID("5b0b2f4e-6d55-4c5e-9b1a-2f0e8c1d7a43")


class GateConfigurationError(ValueError):
    """The gate's environment is unusable; the message lists every problem."""


class GateAwsError(RuntimeError):
    """An AWS call of the gate still failed after botocore's retries (a throttle, a 5xx, an
    AccessDenied): the model was not judged. Raised by the Step Functions gate task under the
    name `contract.GATE_AWS_ERROR`, which the task's Retry matches."""


@dataclasses.dataclass(frozen=True)
class QualityGate:
    """The stack config's `qualityGate`, as the function receives it (ENV_QUALITY_GATE)."""

    metric: str
    direction: str
    threshold: float
    min_improvement: float | None
    approval: str

    @property
    def approval_status(self) -> str:
        return contract.GATE_APPROVAL_STATUS[self.approval]

    def meets_threshold(self, value: float) -> bool:
        if self.direction == "maximize":
            return value >= self.threshold
        return value <= self.threshold

    def improvement(self, value: float, baseline: float) -> float:
        """How much better `value` is than `baseline` (negative: worse)."""
        return value - baseline if self.direction == "maximize" else baseline - value

    def rule_text(self) -> str:
        text = f"threshold {number(self.threshold)} ({self.direction})"
        if self.min_improvement is not None:
            text += f", minImprovement {number(self.min_improvement)}"
        return text


def number(value: float) -> str:
    """A metric value in messages: six significant digits."""
    return f"{value:.6g}"


def _finite_number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def parse_quality_gate(text: str) -> QualityGate:
    """The gate from its JSON; raises GateConfigurationError naming every bad key."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise GateConfigurationError(f"{contract.ENV_QUALITY_GATE} is not JSON: {error}") from None
    if not isinstance(raw, dict):
        raise GateConfigurationError(f"{contract.ENV_QUALITY_GATE} must be a JSON object")
    problems: list[str] = []
    unknown = sorted(set(raw) - set(contract.QUALITY_GATE_KEYS))
    if unknown:
        problems.append(
            f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(contract.QUALITY_GATE_KEYS)}"
        )
    metric = raw.get("metric")
    if not isinstance(metric, str) or not metric:
        problems.append("metric must be a non-empty string (a FinalMetricDataList MetricName)")
    direction = raw.get("direction")
    if direction not in contract.GATE_DIRECTIONS:
        problems.append(
            f"direction {direction!r} is not one of {', '.join(contract.GATE_DIRECTIONS)}"
        )
    threshold = _finite_number(raw.get("threshold"))
    if threshold is None:
        problems.append(f"threshold {raw.get('threshold')!r} must be a finite number")
    min_improvement = None
    if raw.get("minImprovement") is not None:
        min_improvement = _finite_number(raw["minImprovement"])
        if min_improvement is None or min_improvement < 0:
            problems.append(
                f"minImprovement {raw['minImprovement']!r} must be a finite number >= 0"
            )
    approval = raw.get("approval")
    if approval not in contract.GATE_APPROVAL_STATUS:
        problems.append(
            f"approval {approval!r} is not one of {', '.join(contract.GATE_APPROVAL_STATUS)}"
        )
    if problems:
        raise GateConfigurationError(f"{contract.ENV_QUALITY_GATE}: " + "; ".join(problems))
    return QualityGate(
        metric=str(metric),
        direction=str(direction),
        threshold=float(threshold or 0.0),
        min_improvement=min_improvement,
        approval=str(approval),
    )


@dataclasses.dataclass(frozen=True)
class GateOutcome:
    """How the gate ended one occurrence: `Registered` or `Rejected`, with the reason text."""

    status: contract.OutcomeStatus
    reason: str
    training_job_name: str
    scheduled_occurrence: str
    model_package_arn: str = ""
    model_package_version: int | None = None
    approval_status: str = ""

    def fields(self) -> dict[str, Any]:
        """The outcome as the state machine's task output (JSON)."""
        return {
            "status": self.status.value,
            "reason": self.reason,
            "trainingJobName": self.training_job_name,
            "scheduledOccurrence": self.scheduled_occurrence,
            "modelPackageArn": self.model_package_arn,
            "modelPackageVersion": self.model_package_version,
            "approvalStatus": self.approval_status,
        }


def _rejected(job_name: str, reason: str) -> GateOutcome:
    return GateOutcome(
        status=contract.OutcomeStatus.REJECTED,
        reason=f"{reason}; nothing registered",
        training_job_name=job_name,
        scheduled_occurrence=contract.occurrence_text_of_job_name(job_name),
    )


@dataclasses.dataclass(frozen=True)
class Baseline:
    """The latest Approved version of the group and its recorded value of the gate's metric."""

    version: int
    value: float | None


def final_metric(job: Mapping[str, Any], metric: str) -> float | None:
    """The job's final value of `metric` (DescribeTrainingJob FinalMetricDataList), if finite."""
    for entry in job.get("FinalMetricDataList") or ():
        if entry.get("MetricName") == metric:
            return _finite_number(entry.get("Value"))
    return None


def _version_of(package_arn: str) -> int | None:
    # A versioned package's ARN is `model-package/<group>/<version>` (ListModelPackages returns the
    # version too; CreateModelPackage returns only the ARN).
    tail = package_arn.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _description(job_name: str) -> str:
    return f"{DESCRIPTION_PREFIX}{job_name}"


def _package_of_job(
    sagemaker: Any, group_name: str, job: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The version this job registered before, if any (searched among versions created after the
    job ended: the registration always follows the end of its job)."""
    request: dict[str, Any] = {
        "ModelPackageGroupName": group_name,
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
    }
    if job.get("TrainingEndTime") is not None:
        request["CreationTimeAfter"] = job["TrainingEndTime"]
    description = _description(job["TrainingJobName"])
    for page in sagemaker.get_paginator("list_model_packages").paginate(**request):
        for summary in page.get("ModelPackageSummaryList", ()):
            if summary.get("ModelPackageDescription") == description:
                package: Mapping[str, Any] = sagemaker.describe_model_package(
                    ModelPackageName=summary["ModelPackageArn"]
                )
                return package
    return None


def latest_approved(sagemaker: Any, group_name: str, metric: str) -> Baseline | None:
    """The group's latest Approved version (ListModelPackages, CreationTime descending) and its
    recorded value of `metric` (None when it was registered without one, or for another metric)."""
    page = sagemaker.list_model_packages(
        ModelPackageGroupName=group_name,
        ModelApprovalStatus=APPROVED,
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )
    summaries = page.get("ModelPackageSummaryList") or []
    if not summaries:
        return None
    summary = summaries[0]
    package = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
    metadata = package.get("CustomerMetadataProperties") or {}
    value = None
    if metadata.get(contract.METADATA_METRIC_NAME) == metric:
        value = _parse_number(metadata.get(contract.METADATA_METRIC_VALUE))
    version = summary.get("ModelPackageVersion") or _version_of(summary["ModelPackageArn"]) or 0
    return Baseline(version=int(version), value=value)


def _parse_number(text: object) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return _finite_number(float(text))
    except ValueError:
        return None


def _baseline_text(value: str, version: str, metric: str) -> str:
    if version == contract.NO_BASELINE:
        return "no approved version to compare with (first version)"
    baseline = _parse_number(value)
    if baseline is None:
        return f"approved version {version}, which records no {metric}"
    return f"baseline {number(baseline)} (approved version {version})"


def _registered(
    gate: QualityGate,
    group_name: str,
    job_name: str,
    package: Mapping[str, Any],
) -> GateOutcome:
    """The outcome of a registered version, told from what the version records, so that a
    redelivery reports exactly what the first delivery reported."""
    arn = str(package.get("ModelPackageArn", ""))
    version = package.get("ModelPackageVersion") or _version_of(arn)
    metadata = package.get("CustomerMetadataProperties") or {}
    approval = str(package.get("ModelApprovalStatus", gate.approval_status))
    value = metadata.get(contract.METADATA_METRIC_VALUE, "")
    baseline = _baseline_text(
        metadata.get(contract.METADATA_BASELINE_VALUE, contract.NO_BASELINE),
        metadata.get(contract.METADATA_BASELINE_VERSION, contract.NO_BASELINE),
        gate.metric,
    )
    value_text = number(float(value)) if _parse_number(value) is not None else "unknown"
    return GateOutcome(
        status=contract.OutcomeStatus.REGISTERED,
        reason=(
            f"version {version} of {group_name} registered, approval status {approval}: "
            f"{gate.metric} {value_text} vs {baseline}; {gate.rule_text()}"
        ),
        training_job_name=job_name,
        scheduled_occurrence=contract.occurrence_text_of_job_name(job_name),
        model_package_arn=arn,
        model_package_version=int(version) if version is not None else None,
        approval_status=approval,
    )


def _content_types(job: Mapping[str, Any]) -> list[str]:
    types = {c["ContentType"] for c in job.get("InputDataConfig") or () if c.get("ContentType")}
    return sorted(types)


def register(
    sagemaker: Any,
    *,
    gate: QualityGate,
    group_name: str,
    job: Mapping[str, Any],
    value: float,
    baseline: Baseline | None,
) -> Mapping[str, Any]:
    """CreateModelPackage (a versioned package: ModelPackageGroupName, no ModelPackageName, no
    Tags, which a version takes from its group — CreateModelPackage API reference), then the new
    version as DescribeModelPackage tells it."""
    job_name = job["TrainingJobName"]
    container: dict[str, Any] = {
        "Image": job["AlgorithmSpecification"]["TrainingImage"],
        "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"],
    }
    inference: dict[str, Any] = {"Containers": [container]}
    content_types = _content_types(job)
    if content_types:
        inference["SupportedContentTypes"] = content_types
    baseline_value, baseline_version = contract.NO_BASELINE, contract.NO_BASELINE
    if baseline is not None:
        baseline_version = str(baseline.version)
        if baseline.value is not None:
            baseline_value = repr(baseline.value)
    metadata = {
        contract.METADATA_METRIC_NAME: gate.metric,
        contract.METADATA_METRIC_VALUE: repr(value),
        contract.METADATA_BASELINE_VALUE: baseline_value,
        contract.METADATA_BASELINE_VERSION: baseline_version,
        contract.METADATA_TRAINING_JOB: job_name,
    }
    occurrence = contract.occurrence_text_of_job_name(job_name)
    if occurrence:
        metadata[contract.METADATA_SCHEDULED_OCCURRENCE] = occurrence
    created = sagemaker.create_model_package(
        ModelPackageGroupName=group_name,
        ModelPackageDescription=_description(job_name),
        InferenceSpecification=inference,
        ModelApprovalStatus=gate.approval_status,
        CustomerMetadataProperties=metadata,
        MetadataProperties={"GeneratedBy": job["TrainingJobArn"]},
        ClientToken=str(uuid.uuid5(CLIENT_TOKEN_NAMESPACE, job["TrainingJobArn"])),
    )
    package: Mapping[str, Any] = sagemaker.describe_model_package(
        ModelPackageName=created["ModelPackageArn"]
    )
    return package


def _metric_rejection(gate: QualityGate, job: Mapping[str, Any], value: float | None) -> str | None:
    """Why the job's own metric rejects the model (missing, or on the wrong side of the
    threshold), or None."""
    if value is None:
        reported = ", ".join(f"{m.get('MetricName')}" for m in job.get("FinalMetricDataList") or ())
        return (
            f"the job reported no finite {gate.metric} (its final metrics: {reported or 'none'}); "
            "check qualityGate.metric and, for a custom image, training.metricDefinitions"
        )
    if not gate.meets_threshold(value):
        side = "below" if gate.direction == "maximize" else "above"
        return (
            f"{gate.metric} {number(value)} is {side} the threshold {number(gate.threshold)} "
            f"({gate.direction})"
        )
    return None


def _registration_rejection(job: Mapping[str, Any]) -> str | None:
    """Why a model that passed cannot be registered by the gate, or None. The gate registers the
    job's TrainingImage as the inference container (`register`). A spec may name an algorithm
    resource instead (AlgorithmSpecification.AlgorithmName, `invocation.REQUIRED_SPEC_KEYS`):
    CreateModelPackage would then take SourceAlgorithmSpecification (API reference, "To create
    a model from an algorithm resource ... provide a value for SourceAlgorithmSpecification"),
    which needs access to that algorithm resource the team roles are not given: a clear
    rejection, never a crash of the report path."""
    algorithm = job.get("AlgorithmSpecification") or {}
    if algorithm.get("TrainingImage"):
        return None
    name = algorithm.get("AlgorithmName") or "none"
    return (
        f"the job trained with the algorithm resource {name} (AlgorithmName), not a "
        "TrainingImage; the quality gate registers the training image as the inference "
        "container, so use training.image (TrainingImage) with qualityGate"
    )


def _improvement_rejection(
    gate: QualityGate, group_name: str, value: float, baseline: Baseline | None
) -> str | None:
    """Why the model does not improve enough on the approved baseline, or None."""
    if gate.min_improvement is None or baseline is None:
        return None
    if baseline.value is None:
        return (
            f"the latest approved version {baseline.version} of {group_name} records no "
            f"{gate.metric}, so minImprovement cannot be judged"
        )
    gain = gate.improvement(value, baseline.value)
    if gain < gate.min_improvement:
        return (
            f"{gate.metric} {number(value)} vs baseline {number(baseline.value)} (approved "
            f"version {baseline.version}): improvement {number(gain)} is less than "
            f"minImprovement {number(gate.min_improvement)} ({gate.direction})"
        )
    return None


def judge_and_register(
    job_name: str, gate: QualityGate, group_name: str, sagemaker: Any
) -> GateOutcome:
    """The decision (module docstring). AWS errors propagate (botocore has retried them)."""
    job = sagemaker.describe_training_job(TrainingJobName=job_name)
    status = job.get("TrainingJobStatus")
    if status != COMPLETED:
        return _rejected(job_name, f"the training job is {status}, not {COMPLETED}")
    existing = _package_of_job(sagemaker, group_name, job)
    if existing is not None:
        LOGGER.info("version already registered for %s: %s", job_name, existing["ModelPackageArn"])
        return _registered(gate, group_name, job_name, existing)
    value = final_metric(job, gate.metric)
    rejection = _metric_rejection(gate, job, value)
    baseline = None
    if rejection is None and value is not None:
        baseline = latest_approved(sagemaker, group_name, gate.metric)
        rejection = _improvement_rejection(gate, group_name, value, baseline)
    if rejection is None:
        rejection = _registration_rejection(job)
    if rejection is not None or value is None:
        return _rejected(job_name, rejection or "no metric")
    package = register(
        sagemaker, gate=gate, group_name=group_name, job=job, value=value, baseline=baseline
    )
    return _registered(gate, group_name, job_name, package)


def gate_from_environment(environ: Mapping[str, str]) -> tuple[QualityGate, str] | None:
    """The gate and the group name from the function's environment; None: no gate configured."""
    text = environ.get(contract.ENV_QUALITY_GATE, "")
    if not text:
        return None
    group_name = environ.get(contract.ENV_MODEL_PACKAGE_GROUP, "")
    try:
        gate = parse_quality_gate(text)
    except GateConfigurationError as error:
        if not group_name:
            raise GateConfigurationError(
                f"{error}; {contract.ENV_MODEL_PACKAGE_GROUP} is not set"
            ) from None
        raise
    if not group_name:
        raise GateConfigurationError(
            f"{contract.ENV_MODEL_PACKAGE_GROUP} is not set: the gate has no group to register in"
        )
    return gate, group_name


def run_gate(job_name: str, environ: Mapping[str, str], sagemaker: Any) -> GateOutcome | None:
    """THE entry of the Lambda report path, for a `Completed` job: the outcome to publish (one
    message), or None when no gate is configured (publish `Completed`).

    A bad environment is a decision: `Rejected`, saying why (it stays wrong on a retry). An AWS
    error (ClientError / BotoCoreError, still failing after botocore's retries) propagates: it
    may pass, and a transient error must not become a permanent, tagged `Rejected`. On the
    report path the record is then redelivered by the queue (nothing was published or tagged;
    the registration is idempotent: `_package_of_job`, and the ClientToken derived from the job)
    and, after the queue's maxReceiveCount, dead-lettered (its alarm is platform health); the
    Step Functions task retries it (`GateAwsError`)."""
    try:
        configured = gate_from_environment(environ)
    except GateConfigurationError as error:
        return _rejected(job_name, f"the quality gate is misconfigured: {error}")
    if configured is None:
        return None
    gate, group_name = configured
    return judge_and_register(job_name, gate, group_name, sagemaker)


# --- The Step Functions Lambda task -------------------------------------------------------------


def job_name_of(event: object) -> str:
    """The training job name from the task input: the `.sync` task's output (DescribeTrainingJob,
    `TrainingJobName`) or `{"TrainingJobName": ...}`."""
    if isinstance(event, Mapping):
        name = event.get("TrainingJobName")
        if isinstance(name, str) and name:
            return name
    raise GateConfigurationError(
        "the gate's input has no TrainingJobName (expected the createTrainingJob.sync output "
        "or {'TrainingJobName': ...})"
    )


def _partition_and_region(context: object) -> tuple[str, str]:
    arn = getattr(context, "invoked_function_arn", "") or ""
    parts = arn.split(":")
    if len(parts) > 3:
        return parts[1], parts[3]
    return "aws", os.environ.get("AWS_REGION", "")


def task_output(
    outcome: GateOutcome, environ: Mapping[str, str], partition: str, region: str
) -> dict[str, Any]:
    """The outcome fields plus the ONE message ready to publish: `message` (contract keys),
    `subject` and `messageAttributes`, so the state machine's Publish state copies them."""
    team = environ.get(contract.ENV_TEAM, "")
    model = environ.get(contract.ENV_MODEL, "")
    environment = environ.get(contract.ENV_ENVIRONMENT, "")
    message = contract.job_outcome_message(
        status=outcome.status,
        team=team,
        model=model,
        environment=environment,
        training_job_name=outcome.training_job_name,
        reason=outcome.reason,
        partition=partition,
        region=region,
    )
    return {
        **outcome.fields(),
        "message": message,
        "subject": message["subject"],
        "messageAttributes": contract.message_attributes(outcome.status, team, model, environment),
    }


def default_sagemaker_client() -> Any:
    """The gate function's client: the package's botocore retry and timeout bounds
    (`handler.CLIENT_CONFIG`, `CALL_BUDGET`), which the function's timeout is derived from."""
    import boto3  # noqa: PLC0415 - the runtime's boto3, only when the function really runs

    from .handler import CLIENT_CONFIG  # noqa: PLC0415 - handler imports this module

    return boto3.client("sagemaker", config=CLIENT_CONFIG)


def lambda_handler(event: object, context: object, sagemaker: Any = None) -> dict[str, Any]:
    """The state machine's gate task: input the `.sync` output, output `task_output(...)`.

    One outcome: `Registered`, or `Rejected` with the reason (also when the input or the
    environment is unusable). Without a configured gate (the state machine then does not invoke
    it) the outcome is `Completed`. An AWS call still failing after botocore's retries raises
    `GateAwsError`: the task's Retry invokes the function again, and when the retries are
    exhausted the state machine's Catch sends the one "could not run" `Rejected` message
    (`gate_states`); the function's Errors alarm counts each raise.
    """
    environ = os.environ
    partition, region = _partition_and_region(context)
    try:
        job_name = job_name_of(event)
    except GateConfigurationError as error:
        outcome = _rejected("", str(error))
    else:
        client = sagemaker if sagemaker is not None else default_sagemaker_client()
        try:
            gated = run_gate(job_name, environ, client)
        except (ClientError, BotoCoreError) as error:
            LOGGER.exception("quality gate of %s could not run", job_name)
            raise GateAwsError(f"the quality gate of {job_name} could not run: {error}") from error
        outcome = gated or GateOutcome(
            status=contract.OutcomeStatus.COMPLETED,
            reason="no quality gate configured",
            training_job_name=job_name,
            scheduled_occurrence=contract.occurrence_text_of_job_name(job_name),
        )
    LOGGER.info("quality gate outcome: %s", json.dumps(outcome.fields()))
    return task_output(outcome, environ, partition, region)
