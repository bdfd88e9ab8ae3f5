"""The quality gate (`lambda_function/model_gate.py`) against moto's SageMaker Model Registry.

moto 5.2 fixes a training job's FinalMetricDataList at `train:progress`; a test sets the metrics
the job "reported" on moto's own job record (what DescribeTrainingJob then returns, through
moto's HTTP serialization and botocore's parser). Everything else is moto's registry:
CreateModelPackage, ListModelPackages with its approval filter and sort, DescribeModelPackage.
A botocore Stubber pins the exact CreateModelPackage request where moto would accept anything.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber
from moto import mock_aws
from orchestrator_fakes import (
    ACCOUNT_ID,
    PARTITION,
    REGION,
    IamRequest,
    allowing_statements,
    model_registry_request,
    report_final_metrics,
    training_job_arn,
)
from orchestrator_support import (
    ARNS,
    ENVIRONMENT,
    GOLDEN_ACTIONS_FILE,
    JOB_NAME_PREFIX,
    MODEL,
    TEAM,
    training_spec,
)
from retraining_shared import iam, naming
from retraining_stack.lambda_function import contract, model_gate

GROUP = naming.model_package_group_name(TEAM, MODEL, ENVIRONMENT)
METRIC = "validation:auc"
OCCURRENCE = dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC)
GOLDEN = json.loads(GOLDEN_ACTIONS_FILE.read_text())


def gate_settings(**overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "metric": METRIC,
        "direction": "maximize",
        "threshold": 0.85,
        "minImprovement": 0.01,
        "approval": "automatic",
    }
    settings.update(overrides)
    return settings


def environ(**overrides: Any) -> dict[str, str]:
    return {
        contract.ENV_QUALITY_GATE: json.dumps(gate_settings(**overrides)),
        contract.ENV_MODEL_PACKAGE_GROUP: GROUP,
        contract.ENV_TEAM: TEAM,
        contract.ENV_MODEL: MODEL,
        contract.ENV_ENVIRONMENT: ENVIRONMENT,
    }


@pytest.fixture
def sagemaker() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("sagemaker", region_name=REGION)
        client.create_model_package_group(ModelPackageGroupName=GROUP)
        yield client


def completed_job(
    client: Any,
    occurrence: dt.datetime,
    metrics: dict[str, float] | None,
    algorithm: dict[str, str] | None = None,
) -> str:
    """A Completed job of this stack that reported `metrics` as its final metrics (`algorithm`:
    another AlgorithmSpecification than the spec's)."""
    name = contract.training_job_name(JOB_NAME_PREFIX, occurrence)
    spec = training_spec()
    spec.pop("Tags")
    if algorithm is not None:
        spec["AlgorithmSpecification"] = algorithm
    client.create_training_job(TrainingJobName=name, **spec)
    report_final_metrics(name, metrics or {})
    return name


def gate(client: Any, job_name: str, **overrides: Any) -> model_gate.GateOutcome:
    outcome = model_gate.run_gate(job_name, environ(**overrides), client)
    assert outcome is not None
    return outcome


def versions(client: Any) -> list[dict[str, Any]]:
    summaries = client.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    return [client.describe_model_package(ModelPackageName=s["ModelPackageArn"]) for s in summaries]


def approve_baseline(client: Any, value: float, occurrence: dt.datetime) -> int:
    """An earlier occurrence that passed with automatic approval: the group's Approved baseline."""
    name = completed_job(client, occurrence, {METRIC: value})
    outcome = gate(client, name, minImprovement=None)
    assert outcome.status == contract.OutcomeStatus.REGISTERED, outcome.reason
    assert outcome.model_package_version is not None
    return outcome.model_package_version


def test_first_version_passes_on_threshold_and_is_approved_automatically(sagemaker: Any) -> None:
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.91, "train:auc": 0.95})

    outcome = gate(sagemaker, name)

    assert outcome.status == contract.OutcomeStatus.REGISTERED
    assert outcome.reason == (
        f"version 1 of {GROUP} registered, approval status Approved: validation:auc 0.91 vs "
        "no approved version to compare with (first version); threshold 0.85 (maximize), "
        "minImprovement 0.01"
    )
    [version] = versions(sagemaker)
    assert version["ModelApprovalStatus"] == "Approved"
    assert version["CustomerMetadataProperties"] == {
        contract.METADATA_METRIC_NAME: METRIC,
        contract.METADATA_METRIC_VALUE: "0.91",
        contract.METADATA_BASELINE_VALUE: contract.NO_BASELINE,
        contract.METADATA_BASELINE_VERSION: contract.NO_BASELINE,
        contract.METADATA_TRAINING_JOB: name,
        contract.METADATA_SCHEDULED_OCCURRENCE: "2026-11-26T06:00:00Z",
    }
    [container] = version["InferenceSpecification"]["Containers"]
    job = sagemaker.describe_training_job(TrainingJobName=name)
    assert container["Image"] == training_spec()["AlgorithmSpecification"]["TrainingImage"]
    assert container["ModelDataUrl"] == job["ModelArtifacts"]["S3ModelArtifacts"]
    assert outcome.scheduled_occurrence == "2026-11-26T06:00:00Z"


def test_passes_with_improvement_over_the_approved_baseline(sagemaker: Any) -> None:
    baseline_version = approve_baseline(sagemaker, 0.90, OCCURRENCE - dt.timedelta(days=1))
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.93})

    outcome = gate(sagemaker, name)

    assert outcome.status == contract.OutcomeStatus.REGISTERED
    assert outcome.model_package_version == baseline_version + 1
    assert "validation:auc 0.93 vs baseline 0.9 (approved version 1)" in outcome.reason


def test_manual_approval_registers_pending_manual_approval(sagemaker: Any) -> None:
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.91})

    outcome = gate(sagemaker, name, approval="manual")

    assert outcome.status == contract.OutcomeStatus.REGISTERED
    assert outcome.approval_status == "PendingManualApproval"
    assert "approval status PendingManualApproval" in outcome.reason
    assert [v["ModelApprovalStatus"] for v in versions(sagemaker)] == ["PendingManualApproval"]


def test_a_pending_version_is_no_baseline(sagemaker: Any) -> None:
    # Only Approved versions count: a version waiting for approval (manual) is not the baseline.
    earlier = completed_job(sagemaker, OCCURRENCE - dt.timedelta(days=1), {METRIC: 0.99})
    assert gate(sagemaker, earlier, approval="manual").status == "Registered"
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.90})

    outcome = gate(sagemaker, name, approval="manual")

    assert outcome.status == contract.OutcomeStatus.REGISTERED
    assert "no approved version to compare with (first version)" in outcome.reason


def test_fails_on_threshold(sagemaker: Any) -> None:
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.8})

    outcome = gate(sagemaker, name)

    assert outcome.status == contract.OutcomeStatus.REJECTED
    assert outcome.reason == (
        "validation:auc 0.8 is below the threshold 0.85 (maximize); nothing registered"
    )
    assert versions(sagemaker) == []


def test_minimize_fails_above_the_threshold(sagemaker: Any) -> None:
    name = completed_job(sagemaker, OCCURRENCE, {"validation:rmse": 4.2})

    outcome = gate(sagemaker, name, metric="validation:rmse", direction="minimize", threshold=3.5)

    assert outcome.status == contract.OutcomeStatus.REJECTED
    assert outcome.reason.startswith("validation:rmse 4.2 is above the threshold 3.5 (minimize)")


def test_fails_on_no_improvement(sagemaker: Any) -> None:
    approve_baseline(sagemaker, 0.90, OCCURRENCE - dt.timedelta(days=1))
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.905})

    outcome = gate(sagemaker, name)

    assert outcome.status == contract.OutcomeStatus.REJECTED
    assert outcome.reason == (
        "validation:auc 0.905 vs baseline 0.9 (approved version 1): improvement 0.005 is less "
        "than minImprovement 0.01 (maximize); nothing registered"
    )
    assert len(versions(sagemaker)) == 1


def test_missing_metric_is_a_clear_rejection(sagemaker: Any) -> None:
    name = completed_job(sagemaker, OCCURRENCE, {"train:auc": 0.97})

    outcome = gate(sagemaker, name)

    assert outcome.status == contract.OutcomeStatus.REJECTED
    assert outcome.reason == (
        "the job reported no finite validation:auc (its final metrics: train:auc); check "
        "qualityGate.metric and, for a custom image, training.metricDefinitions; nothing "
        "registered"
    )
    assert versions(sagemaker) == []


def test_a_job_trained_with_an_algorithm_resource_is_a_clear_rejection(sagemaker: Any) -> None:
    # A spec may name AlgorithmName instead of TrainingImage (invocation.REQUIRED_SPEC_KEYS):
    # the gate has no inference image to register, so it rejects, saying why (no KeyError that
    # would dead-letter the report without a message).
    algorithm = {"AlgorithmName": "fraud-dev-xgboost-algorithm", "TrainingInputMode": "File"}
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.91}, algorithm)
    described = sagemaker.describe_training_job(TrainingJobName=name)
    assert "TrainingImage" not in described["AlgorithmSpecification"]

    outcome = gate(sagemaker, name)

    assert outcome.status == contract.OutcomeStatus.REJECTED
    assert outcome.reason == (
        "the job trained with the algorithm resource fraud-dev-xgboost-algorithm "
        "(AlgorithmName), not a TrainingImage; the quality gate registers the training image as "
        "the inference container, so use training.image (TrainingImage) with qualityGate; "
        "nothing registered"
    )
    assert versions(sagemaker) == []


def test_baseline_without_the_metric_cannot_be_judged(sagemaker: Any) -> None:
    approve_baseline(sagemaker, 0.90, OCCURRENCE - dt.timedelta(days=1))
    name = completed_job(sagemaker, OCCURRENCE, {"validation:f1": 0.99})

    outcome = gate(sagemaker, name, metric="validation:f1", threshold=0.5)

    assert outcome.status == contract.OutcomeStatus.REJECTED
    assert "approved version 1 of" in outcome.reason
    assert "records no validation:f1" in outcome.reason


def test_redelivery_registers_nothing_twice_and_reports_the_same_outcome(sagemaker: Any) -> None:
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.91})
    first = gate(sagemaker, name)

    again = gate(sagemaker, name)

    assert again == first
    assert len(versions(sagemaker)) == 1


def test_redelivery_after_a_newer_version_still_finds_its_own(sagemaker: Any) -> None:
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.91})
    first = gate(sagemaker, name, minImprovement=None)
    later = completed_job(sagemaker, OCCURRENCE + dt.timedelta(days=1), {METRIC: 0.95})
    assert gate(sagemaker, later).status == contract.OutcomeStatus.REGISTERED

    again = gate(sagemaker, name, minImprovement=None)

    assert again == first
    assert len(versions(sagemaker)) == 2


def test_no_gate_configured_registers_nothing(sagemaker: Any) -> None:
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.91})

    assert model_gate.run_gate(name, {contract.ENV_TEAM: TEAM}, sagemaker) is None
    assert versions(sagemaker) == []


def test_misconfigured_gate_is_a_rejection_naming_every_problem(sagemaker: Any) -> None:
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.91})
    bad = {
        contract.ENV_QUALITY_GATE: json.dumps(
            {"metric": METRIC, "direction": "up", "threshold": "high", "approval": "yes"}
        )
    }

    outcome = model_gate.run_gate(name, bad, sagemaker)

    assert outcome is not None
    assert outcome.status == contract.OutcomeStatus.REJECTED
    for fragment in (
        "direction 'up' is not one of maximize, minimize",
        "threshold 'high' must be a finite number",
        "approval 'yes' is not one of manual, automatic",
        f"{contract.ENV_MODEL_PACKAGE_GROUP} is not set",
    ):
        assert fragment in outcome.reason
    assert versions(sagemaker) == []


def test_an_aws_error_propagates_to_be_retried_not_a_final_rejection(sagemaker: Any) -> None:
    # An AWS error may pass (a throttle, a 5xx): the report path's record is redelivered, and a
    # permanent one ends in the dead-letter queue (alarmed); never a tagged, final Rejected.
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.91})
    environment = environ()
    environment[contract.ENV_MODEL_PACKAGE_GROUP] = "no-such-group"

    with pytest.raises(ClientError):
        model_gate.run_gate(name, environment, sagemaker)
    assert versions(sagemaker) == []


def test_step_functions_task_raises_the_error_name_its_retry_matches(
    sagemaker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.91})
    for key, value in environ().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(contract.ENV_MODEL_PACKAGE_GROUP, "no-such-group")

    with pytest.raises(model_gate.GateAwsError, match=f"quality gate of {name} could not run"):
        model_gate.lambda_handler({"TrainingJobName": name}, object(), sagemaker)
    # Lambda reports the exception's class name as the error; the JudgeModel Retry names it.
    assert model_gate.GateAwsError.__name__ == contract.GATE_AWS_ERROR


def test_create_request_is_a_versioned_package_with_a_stable_client_token() -> None:
    # The exact request AWS receives, pinned with a Stubber: a versioned package (group name, no
    # ModelPackageName, no Tags), the channel content types, a ClientToken derived from the job.
    client = boto3.client(
        "sagemaker", region_name=REGION, aws_access_key_id="stub", aws_secret_access_key="stub"
    )
    job_name = contract.training_job_name(JOB_NAME_PREFIX, OCCURRENCE)
    job_arn = f"arn:{PARTITION}:sagemaker:{REGION}:{ACCOUNT_ID}:training-job/{job_name}"
    job = {
        "TrainingJobName": job_name,
        "TrainingJobArn": job_arn,
        "TrainingJobStatus": "Completed",
        "AlgorithmSpecification": training_spec()["AlgorithmSpecification"],
        "ModelArtifacts": {"S3ModelArtifacts": "s3://bucket/scoring/output/model.tar.gz"},
        "InputDataConfig": training_spec()["InputDataConfig"],
    }
    package_arn = f"arn:{PARTITION}:sagemaker:{REGION}:{ACCOUNT_ID}:model-package/{GROUP}/3"
    settings = model_gate.parse_quality_gate(json.dumps(gate_settings(approval="manual")))
    sent: dict[str, Any] = {}
    client.meta.events.register(
        "provide-client-params.sagemaker.CreateModelPackage",
        lambda params, **_: sent.update(params),
    )
    with Stubber(client) as stub:
        expected = {
            "ModelPackageGroupName": GROUP,
            "ModelPackageDescription": f"Training job {job_name}",
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": job["AlgorithmSpecification"]["TrainingImage"],
                        "ModelDataUrl": "s3://bucket/scoring/output/model.tar.gz",
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
            },
            "ModelApprovalStatus": "PendingManualApproval",
            "CustomerMetadataProperties": ANY,
            "MetadataProperties": {"GeneratedBy": job_arn},
            "ClientToken": ANY,
        }
        stub.add_response("create_model_package", {"ModelPackageArn": package_arn}, expected)
        stub.add_response(
            "describe_model_package",
            {
                "ModelPackageName": GROUP,
                "ModelPackageArn": package_arn,
                "CreationTime": dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC),
                "ModelPackageStatus": "Completed",
                "ModelPackageStatusDetails": {"ValidationStatuses": []},
            },
            {"ModelPackageName": package_arn},
        )
        model_gate.register(
            client, gate=settings, group_name=GROUP, job=job, value=0.9, baseline=None
        )
        stub.assert_no_pending_responses()
    # The same job always sends the same token (a retried create is the same create).
    assert sent["ClientToken"] == str(
        model_gate.uuid.uuid5(model_gate.CLIENT_TOKEN_NAMESPACE, job_arn)
    )
    assert sent["CustomerMetadataProperties"][contract.METADATA_METRIC_VALUE] == "0.9"


def test_step_functions_task_returns_the_one_message_to_publish(
    sagemaker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.8})
    for key, value in environ().items():
        monkeypatch.setenv(key, value)
    sync_output = sagemaker.describe_training_job(TrainingJobName=name)

    class Context:
        invoked_function_arn = (
            f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT_ID}:function:"
            f"{naming.model_gate_function_name(TEAM, MODEL, ENVIRONMENT)}"
        )

    output = model_gate.lambda_handler(
        json.loads(json.dumps(sync_output, default=str)), Context(), sagemaker
    )

    assert output["status"] == "Rejected"
    assert list(output["message"]) == list(contract.MESSAGE_KEYS)
    assert output["message"]["reason"] == output["reason"]
    assert output["message"]["consoleUrl"].endswith(f"#/jobs/{name}")
    assert output["subject"] == "Retraining fraud/scoring (dev): model rejected by the quality gate"
    assert output["messageAttributes"]["status"] == {
        "DataType": "String",
        "StringValue": "Rejected",
    }
    json.dumps(output)  # the state machine receives JSON


def test_step_functions_task_without_a_job_name_is_a_rejection() -> None:
    output = model_gate.lambda_handler({"unexpected": True}, object(), sagemaker=object())

    assert output["status"] == "Rejected"
    assert "no TrainingJobName" in output["reason"]


# --- Least privilege: every call the gate makes is granted to the role it runs with ---------------


def gate_iam_request(operation: str, params: dict[str, Any]) -> IamRequest:
    """The authorization one gate call needs: DescribeTrainingJob on the job, the registry calls
    as `orchestrator_fakes.model_registry_request` models them."""
    if operation == "DescribeTrainingJob":
        return IamRequest(
            "sagemaker:DescribeTrainingJob", training_job_arn(params["TrainingJobName"])
        )
    request = model_registry_request(operation, params)
    if request is None:
        raise AssertionError(f"the gate called {operation}, which this test does not map to IAM")
    return request


def test_every_gate_call_is_granted_to_its_role_and_the_golden_list_is_exact(
    sagemaker: Any,
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    sagemaker.meta.events.register(
        "provide-client-params.sagemaker.*",
        lambda params, model, **_: calls.append((model.name, dict(params))),
    )
    approve_baseline(sagemaker, 0.90, OCCURRENCE - dt.timedelta(days=1))
    name = completed_job(sagemaker, OCCURRENCE, {METRIC: 0.93})
    gate(sagemaker, name)
    gate(sagemaker, name)  # the redelivery path
    gate_calls = [(op, params) for op, params in calls if op != "CreateTrainingJob"]

    requests = [gate_iam_request(op, params) for op, params in gate_calls]
    policy = iam.lambda_orchestrator_role_policy(iam.TeamScope(TEAM, ENVIRONMENT, ARNS))
    for request in requests:
        assert allowing_statements(policy, request), f"denied: {request}"
    assert {r.action for r in requests} == set(GOLDEN["model_gate"])
    other_team = ARNS.sagemaker_model_package("risk-dev-scoring/1")
    assert not allowing_statements(policy, IamRequest("sagemaker:DescribeModelPackage", other_team))
