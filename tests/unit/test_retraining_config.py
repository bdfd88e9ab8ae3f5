"""The retraining stack's settings and training spec, without Pulumi: parsing, defaults, limits."""

from __future__ import annotations

import bisect
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

RETRAINING = Path(__file__).parents[2] / "stacks" / "retraining"
sys.path.insert(0, str(RETRAINING))

from retraining_shared.sagemaker_instance_types import has_local_instance_storage  # noqa: E402
from retraining_stack import config, state_machine, training_spec  # noqa: E402
from retraining_stack.config import (  # noqa: E402
    RetrainingSettings,
    TrainingSettings,
    s3_prefix_problem,
)
from retraining_stack.lambda_function import contract, invocation  # noqa: E402
from retraining_stack.training_spec import (  # noqa: E402
    TrainingNetwork,
    TrainingTargets,
    render_training_spec,
)

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-scoring:2026.11.1"
TARGETS = TrainingTargets(
    role_arn="arn:aws:iam::123456789012:role/fraud-dev-sagemaker-execution",
    data_bucket="fraud-dev-123456789012-training-data",
    artifact_bucket="fraud-dev-123456789012-model-artifacts",
)
TAGS = training_spec.training_tags(team="fraud", model="scoring", environment="dev")


def example_values(stack: str, **overrides: Any) -> dict[str, Any]:
    """The `retraining:` settings of an example stack file, with `overrides` on top."""
    document = yaml.safe_load((RETRAINING / f"Pulumi.{stack}.yaml").read_text())
    values = {
        key.removeprefix("retraining:"): value
        for key, value in document["config"].items()
        if key.startswith("retraining:")
    }
    return values | overrides


def example_settings(stack: str) -> RetrainingSettings:
    return RetrainingSettings.model_validate(example_values(stack))


def training(**overrides: Any) -> TrainingSettings:
    return TrainingSettings.model_validate({"image": IMAGE, **overrides})


def errors(**overrides: Any) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        training(**overrides)
    return [(tuple(e["loc"]), str(e["msg"])) for e in caught.value.errors()]


@pytest.mark.parametrize("stack", ["fraud-scoring-dev", "churn-forecast-dev"])
def test_the_example_stacks_are_valid(stack: str) -> None:
    settings = example_settings(stack)
    size = training_spec.lambda_environment_upper_bound(
        settings.training,
        team=settings.team,
        model=settings.model,
        environment=settings.environment,
    )
    assert size <= training_spec.LAMBDA_ENVIRONMENT_LIMIT_BYTES


def test_the_examples_match_the_teams_onboarded_in_network_iam() -> None:
    network = yaml.safe_load((RETRAINING.parent / "network-iam" / "Pulumi.dev.yaml").read_text())
    onboarded = set(network["config"]["network-iam:teams"])
    assert (
        {example_settings(s).team for s in ("fraud-scoring-dev", "churn-forecast-dev")}
        == {
            "fraud",
            "churn",
        }
        <= onboarded
    )


def test_defaults_are_safe() -> None:
    settings = training()
    assert settings.spot.enabled
    assert settings.max_runtime_seconds == 4 * 3600
    assert training_spec.spot_max_wait_seconds(settings) == 8 * 3600
    assert settings.network_isolation
    assert settings.inter_container_encryption
    spec = render_training_spec(settings, model="scoring", targets=TARGETS, resource_tags=TAGS)
    assert spec["CheckpointConfig"] == {
        "S3Uri": "s3://fraud-dev-123456789012-model-artifacts/scoring/checkpoints/"
    }
    assert spec["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == (
        "s3://fraud-dev-123456789012-training-data/scoring/train/"
    )
    assert spec["OutputDataConfig"] == {
        "S3OutputPath": "s3://fraud-dev-123456789012-model-artifacts/scoring/output/"
    }
    assert spec["StoppingCondition"] == {
        "MaxRuntimeInSeconds": 14400,
        "MaxWaitTimeInSeconds": 28800,
    }
    # The provider-computed parts are not in the known-at-preview spec.
    assert "VpcConfig" not in spec
    assert "KmsKeyId" not in spec["OutputDataConfig"]
    assert "VolumeKmsKeyId" not in spec["ResourceConfig"]


def test_without_spot_there_is_no_max_wait_and_no_checkpoint() -> None:
    spec = render_training_spec(
        training(spot={"enabled": False, "maxWaitSeconds": 10}),
        model="scoring",
        targets=TARGETS,
        resource_tags=TAGS,
    )
    assert spec["EnableManagedSpotTraining"] is False
    assert spec["StoppingCondition"] == {"MaxRuntimeInSeconds": 14400}
    assert "CheckpointConfig" not in spec


@pytest.mark.parametrize(
    "settings",
    [
        training(),
        training(spot={"enabled": False}),
        training(
            instanceType="ml.p4d.24xlarge",
            instanceCount=4,
            hyperparameters={"epochs": 10, "lr": 0.001, "amp": True},
            inputChannels={"train": {"prefix": "a/", "inputMode": "Pipe"}},
            environment={"NCCL_DEBUG": "INFO"},
        ),
    ],
)
def test_the_handler_and_the_state_machine_send_the_same_request(
    settings: TrainingSettings,
) -> None:
    spec = render_training_spec(settings, model="scoring", targets=TARGETS, resource_tags=TAGS)
    assert invocation.validate_training_spec(spec) == []
    network = TrainingNetwork(
        subnet_ids=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        security_group_ids=["sg-0123456789abcdef0"],
        kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )
    volume_key = training_spec.sends_volume_kms_key(settings)
    prefix = "fraud-dev-scoring-"
    topic_arn = "arn:aws:sns:us-east-1:123456789012:fraud-dev-retraining-notifications"
    # Lambda: the provider values travel in variables the handler merges.
    variables = training_spec.lambda_environment(
        spec,
        network,
        job_name_prefix=prefix,
        topic_arn=topic_arn,
        volume_kms_key=volume_key,
        team="fraud",
        model="scoring",
        environment="dev",
    )
    event = {
        "source": "aws.events",
        "detail-type": "Scheduled Event",
        "time": "2026-11-27T06:00:00Z",
    }
    configuration = invocation.read_configuration(variables)
    occurrence, problems = invocation.scheduled_occurrence(event)
    assert configuration.problems == problems == []
    assert occurrence is not None
    lambda_request = invocation.create_training_job_request(configuration, occurrence)
    # Step Functions: the same values travel in the execution input the Task's paths read.
    definition = state_machine.build_definition(
        spec,
        topic_arn,
        prefix,
        team="fraud",
        model="scoring",
        environment="dev",
        volume_kms_key=volume_key,
    )
    state = {
        "trainingJobName": "fraud-dev-scoring-202611270600",
        "scheduledOccurrence": "2026-11-27T06:00:00Z",
        "trainingInfrastructure": state_machine.training_infrastructure(
            subnet_ids=network.subnet_ids,
            security_group_ids=network.security_group_ids,
            kms_key_arn=network.kms_key_arn,
        ),
        # The context object: `$$.Execution.Id` (the execution tag) resolves as `$$` + path.
        "$$": {"Execution": {"Id": f"{EXECUTION_ARN_PREFIX}:fraud-dev-scoring-orchestrator:x"}},
    }
    parameters = definition["States"]["StartTrainingJob"]["Parameters"]
    state_machine_request = _resolve_paths(parameters, state)
    assert {k: v for k, v in state_machine_request.items() if k != "Tags"} == {
        k: v for k, v in lambda_request.items() if k != "Tags"
    }
    assert ("VolumeKmsKeyId" in state_machine_request["ResourceConfig"]) is volume_key
    # The same tags, plus the execution that created the job (Step Functions mode only).
    execution_tag = {
        "Key": contract.TAG_ORCHESTRATOR_EXECUTION,
        "Value": state["$$"]["Execution"]["Id"],
    }
    assert state_machine_request["Tags"] == [*lambda_request["Tags"], execution_tag]


EXECUTION_ARN_PREFIX = "arn:aws:states:us-east-1:123456789012:execution"


def _resolve_paths(template: Any, state: dict[str, Any]) -> Any:
    """ASL Parameters with `"Key.$": "$.a.b"` paths, resolved against `state`."""
    if isinstance(template, list):
        return [_resolve_paths(item, state) for item in template]
    if not isinstance(template, dict):
        return template
    resolved: dict[str, Any] = {}
    for key, value in template.items():
        if key.endswith(".$"):
            found: Any = state
            for part in value.removeprefix("$.").split("."):
                found = found[part]
            resolved[key.removesuffix(".$")] = found
        else:
            resolved[key] = _resolve_paths(value, state)
    return resolved


def test_hyperparameters_become_strings() -> None:
    spec = render_training_spec(
        training(hyperparameters={"eta": 0.1, "depth": 6, "early_stop": True, "name": "x"}),
        model="scoring",
        targets=TARGETS,
        resource_tags=TAGS,
    )
    assert spec["HyperParameters"] == {
        "eta": "0.1",
        "depth": "6",
        "early_stop": "true",
        "name": "x",
    }


@pytest.mark.parametrize(
    ("instance_type", "local"),
    [
        ("ml.m5.xlarge", False),
        ("ml.c5n.18xlarge", False),
        ("ml.p3.16xlarge", False),
        ("ml.c7i-flex.xlarge", False),
        ("ml.g5.2xlarge", True),
        ("ml.g4dn.xlarge", True),
        ("ml.p3dn.24xlarge", True),
        ("ml.p4d.24xlarge", True),
        ("ml.p5.48xlarge", True),
        ("ml.r5d.large", True),
        ("ml.trn1.32xlarge", True),
    ],
)
def test_local_instance_storage(instance_type: str, local: bool) -> None:
    assert has_local_instance_storage(instance_type) is local
    assert training_spec.sends_volume_kms_key(training(instanceType=instance_type)) is not local


def test_an_instance_type_sagemaker_does_not_have_is_refused_with_the_closest_real_ones() -> None:
    [(location, message)] = errors(instanceType="ml.m5.3xlarge")
    assert location == ("instanceType",)
    assert "'ml.m5.3xlarge' is not a SageMaker training instance type" in message
    assert "did you mean 'ml.m5.xlarge', 'ml.m5.4xlarge', 'ml.m5.2xlarge'?" in message


def test_a_plausible_family_that_sagemaker_cannot_train_on_is_refused() -> None:
    # m5d exists on EC2 but not in SageMaker's TrainingInstanceType.
    [(location, message)] = errors(instanceType="ml.m5d.large")
    assert location == ("instanceType",)
    assert "not a SageMaker training instance type" in message


@pytest.mark.parametrize(
    ("instance_type", "volume", "valid"),
    [
        ("ml.g5.2xlarge", 450, True),  # 1 x 450 GB NVMe SSD
        ("ml.g5.2xlarge", 451, False),
        ("ml.g4dn.xlarge", 126, False),  # 1 x 125 GB
        ("ml.p4d.24xlarge", 8000, True),  # 8 x 1000 GB
        ("ml.m5.xlarge", 2000, True),  # EBS: up to SageMaker's 16384
    ],
)
def test_the_volume_may_not_exceed_the_local_storage(
    instance_type: str, volume: int, valid: bool
) -> None:
    if valid:
        assert training(instanceType=instance_type, volumeSizeGb=volume).volume_size_gb == volume
        return
    [(location, message)] = errors(instanceType=instance_type, volumeSizeGb=volume)
    assert location == ("volumeSizeGb",)
    assert f"more than the {volume - 1} GB of local NVMe storage of {instance_type}" in message


@pytest.mark.parametrize(
    ("prefix", "valid"),
    [
        ("scoring/train/", True),
        ("a/", True),
        ("scoring/train", False),
        ("/scoring/train/", False),
        ("scoring//train/", False),
        ("scoring/../train/", False),
        ("scoring/train data/", False),
        ("s3://bucket/scoring/", False),
    ],
)
def test_s3_prefixes(prefix: str, valid: bool) -> None:
    assert (s3_prefix_problem(prefix) is None) is valid


@pytest.mark.parametrize(
    ("image", "valid"),
    [
        (IMAGE, True),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model@sha256:" + "a" * 64, True),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-scoring", False),  # implicit latest
        ("fraud-scoring:1.0", False),
        ("docker.io/library/python:3.12", False),
    ],
)
def test_images(image: str, valid: bool) -> None:
    if valid:
        assert training(image=image).image == image
    else:
        assert [loc for loc, _ in errors(image=image)] == [("image",)]


def test_max_wait_must_exceed_max_runtime_only_with_spot() -> None:
    problems = errors(maxRuntimeSeconds=3600, spot={"maxWaitSeconds": 3600})
    assert [loc for loc, _ in problems] == [("spot",)]
    assert "must be greater than maxRuntimeSeconds (3600)" in problems[0][1]
    assert training(maxRuntimeSeconds=3600, spot={"enabled": False, "maxWaitSeconds": 60})


def test_the_environment_bound_covers_the_largest_network() -> None:
    settings = training(hyperparameters={f"h{i}": "x" * 20 for i in range(20)})
    bound = training_spec.lambda_environment_upper_bound(
        settings, team="fraud", model="scoring", environment="dev"
    )
    spec = render_training_spec(settings, model="scoring", targets=TARGETS, resource_tags=TAGS)
    largest = TrainingNetwork(
        subnet_ids=[f"subnet-{i:017x}" for i in range(16)],
        security_group_ids=[f"sg-{i:017x}" for i in range(5)],
        kms_key_arn="arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-" + "a" * 32,
    )
    actual = training_spec.environment_size(
        training_spec.lambda_environment(
            spec,
            largest,
            job_name_prefix="fraud-dev-scoring-",
            topic_arn="arn:aws:sns:us-east-1:123456789012:fraud-dev-retraining-notifications",
            volume_kms_key=True,
            team="fraud",
            model="scoring",
            environment="dev",
        )
    )
    assert actual <= bound
    assert bound - actual < 200  # a bound, not a guess: close to the real thing


# --------------------------------------------------------------------------------------------
# lambdaReservedConcurrency
# --------------------------------------------------------------------------------------------


def concurrency_problems(**overrides: Any) -> list[tuple[tuple[str | int, ...], str, Any]]:
    with pytest.raises(ValidationError) as caught:
        RetrainingSettings.model_validate(example_values("fraud-scoring-dev", **overrides))
    return [(tuple(e["loc"]), str(e["msg"]), e.get("ctx")) for e in caught.value.errors()]


def test_the_reserved_concurrency_defaults_to_no_reservation() -> None:
    # Any reservation fails `pulumi up` on a new account whose concurrency quota is 10.
    settings = RetrainingSettings.model_validate(example_values("fraud-scoring-dev"))
    assert "lambdaReservedConcurrency" not in example_values("fraud-scoring-dev")
    assert settings.lambda_reserved_concurrency == -1
    declared = yaml.safe_load((RETRAINING / "Pulumi.yaml").read_text())["config"]
    assert declared["lambdaReservedConcurrency"]["default"] == -1


@pytest.mark.parametrize(("given", "expected"), [(-1, -1), ("-1", -1), (1000, 1000), ("5", 5)])
def test_the_reserved_concurrency_accepts_no_reservation_and_1_to_1000(
    given: object, expected: int
) -> None:
    settings = RetrainingSettings.model_validate(
        example_values("fraud-scoring-dev", lambdaReservedConcurrency=given)
    )
    assert settings.lambda_reserved_concurrency == expected


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (0, "0 disables the function"),
        ("0", "0 disables the function"),
        (1001, "is not a reserved concurrency Lambda accepts"),
        (-2, "is not a reserved concurrency Lambda accepts"),
    ],
)
def test_the_reserved_concurrency_refuses_values_lambda_would_refuse_or_that_stop_the_function(
    given: object, reason: str
) -> None:
    problems = concurrency_problems(lambdaReservedConcurrency=given)
    assert [loc for loc, _, _ in problems] == [("lambdaReservedConcurrency",)]
    _, message, context = problems[0]
    assert reason in message
    assert context["allowed"] == config.LAMBDA_RESERVED_CONCURRENCY_RULE
    assert context["allowed"].startswith("-1 for no reservation (the default), or 1-1000")


@pytest.mark.parametrize("given", [1, 2])
def test_a_reserved_concurrency_with_step_functions_is_a_problem(given: int) -> None:
    problems = concurrency_problems(orchestrator="stepfunctions", lambdaReservedConcurrency=given)
    assert [loc for loc, _, _ in problems] == [("lambdaReservedConcurrency",)]
    assert "applies to the Lambda orchestrator only" in problems[0][1]
    # The default (set explicitly or not) is no problem: there is nothing to reserve.
    for values in (
        example_values("churn-forecast-dev"),
        example_values("churn-forecast-dev", lambdaReservedConcurrency=-1),
    ):
        assert values["orchestrator"] == "stepfunctions"
        assert RetrainingSettings.model_validate(values).lambda_reserved_concurrency == -1


# --------------------------------------------------------------------------------------------
# qualityGate and training.metricDefinitions
# --------------------------------------------------------------------------------------------


def gate_problems(**overrides: Any) -> list[tuple[tuple[str | int, ...], str, Any]]:
    with pytest.raises(ValidationError) as caught:
        RetrainingSettings.model_validate(example_values("fraud-scoring-dev", **overrides))
    return [(tuple(e["loc"]), str(e["msg"]), e.get("ctx")) for e in caught.value.errors()]


def test_the_shipped_stacks_are_gated_fraud_automatically_churn_manually() -> None:
    fraud = example_settings("fraud-scoring-dev").quality_gate
    churn = example_settings("churn-forecast-dev").quality_gate
    assert fraud is not None
    assert churn is not None
    assert (fraud.metric, fraud.direction, fraud.approval) == (
        "validation:auc",
        "maximize",
        "automatic",
    )
    assert (churn.metric, churn.direction, churn.approval) == (
        "validation:rmse",
        "minimize",
        "manual",
    )


def test_without_a_gate_nothing_is_gated() -> None:
    values = example_values("fraud-scoring-dev")
    del values["qualityGate"]
    assert RetrainingSettings.model_validate(values).quality_gate is None


def test_every_gate_problem_is_reported_at_once_with_its_key_and_allowed_values() -> None:
    problems = gate_problems(
        qualityGate={
            "metric": "validation:auc",
            "direction": "up",
            "threshold": "inf",
            "minImprovement": -1,
            "approval": "sometimes",
        }
    )
    by_key = {loc: (message, context) for loc, message, context in problems}
    assert set(by_key) == {
        ("qualityGate", "direction"),
        ("qualityGate", "threshold"),
        ("qualityGate", "minImprovement"),
        ("qualityGate", "approval"),
    }
    assert "'maximize' or 'minimize'" in by_key[("qualityGate", "direction")][0]
    assert by_key[("qualityGate", "threshold")][1]["allowed"] == config.FINITE_NUMBER_RULE
    assert "'manual' or 'automatic'" in by_key[("qualityGate", "approval")][0]


def test_the_gate_metric_must_be_one_the_job_reports() -> None:
    problems = gate_problems(
        qualityGate={
            "metric": "validation:f1",
            "direction": "maximize",
            "threshold": 0.8,
            "approval": "manual",
        }
    )
    [(loc, message, context)] = problems
    assert loc == ("qualityGate",)
    assert "metric 'validation:f1' is not defined in training.metricDefinitions" in message
    assert "(defined: validation:auc)" in message
    assert context["allowed"] == "a name from training.metricDefinitions"


@pytest.mark.parametrize(
    ("regex", "problem"),
    [
        ("validation-auc:[0-9.]+", "has no capture group around the value"),
        ("validation-auc:([0-9.]+", "is not a regular expression"),
    ],
)
def test_metric_definitions_need_a_regular_expression_with_a_capture_group(
    regex: str, problem: str
) -> None:
    found = errors(metricDefinitions=[{"name": "validation:auc", "regex": regex}])
    assert [loc for loc, _ in found] == [("metricDefinitions", 0, "regex")]
    assert problem in found[0][1]


def test_metric_names_are_defined_once() -> None:
    definition = {"name": "validation:auc", "regex": "auc=([0-9.]+)"}
    found = errors(metricDefinitions=[definition, definition])
    assert found == [
        (("metricDefinitions",), "defines validation:auc more than once"),
    ]


def test_metric_definitions_reach_the_training_job() -> None:
    settings = training(metricDefinitions=[{"name": "validation:auc", "regex": "auc=([0-9.]+)"}])
    spec = render_training_spec(settings, model="scoring", targets=TARGETS, resource_tags=TAGS)
    assert spec["AlgorithmSpecification"]["MetricDefinitions"] == [
        {"Name": "validation:auc", "Regex": "auc=([0-9.]+)"}
    ]
    assert (
        "MetricDefinitions"
        not in render_training_spec(
            training(), model="scoring", targets=TARGETS, resource_tags=TAGS
        )["AlgorithmSpecification"]
    )


GATE = {
    "metric": "validation:auc",
    "direction": "maximize",
    "threshold": 0.85,
    "minImprovement": 0.005,
    "approval": "automatic",
}


def _fraud_with_padding(length: int) -> dict[str, Any]:
    values = example_values("fraud-scoring-dev", qualityGate=GATE)
    chunks = {f"PAD{i}": "x" * min(500, length - i * 500) for i in range(-(-length // 500))}
    values["training"] = {**values["training"], "environment": chunks}
    return values


def test_the_gate_variables_count_against_the_lambda_environment() -> None:
    def too_large_without_gate(length: int) -> bool:
        return (
            training_spec.lambda_environment_upper_bound(
                TrainingSettings.model_validate(_fraud_with_padding(length)["training"]),
                team="fraud",
                model="scoring",
                environment="dev",
            )
            > training_spec.LAMBDA_ENVIRONMENT_LIMIT_BYTES
        )

    # The largest padding that fits without the gate (the size grows with the padding, so
    # bisection finds it): then the gate's variables overflow 4 KB.
    lengths = range(1, 4097)
    first_too_large = bisect.bisect_left(lengths, True, key=too_large_without_gate)
    assert 0 < first_too_large < len(lengths), "the fraud example leaves no room to test the limit"
    largest_fitting = lengths[first_too_large - 1]
    with pytest.raises(ValidationError) as caught:
        RetrainingSettings.model_validate(_fraud_with_padding(largest_fitting))
    [error] = caught.value.errors()
    assert error["loc"] == ("qualityGate",)
    assert "with the gate's variables the Lambda orchestrator's environment" in error["msg"]
    # The same settings with Step Functions (no orchestrator function) are fine.
    values = _fraud_with_padding(largest_fitting) | {"orchestrator": "stepfunctions"}
    assert RetrainingSettings.model_validate(values).quality_gate is not None


def test_merging_variables_costs_their_size_less_the_braces_plus_a_comma() -> None:
    base = {"A": "1", "BB": "22"}
    extra = {"C": "3", "DD": '{"k":1}'}
    merged = training_spec.environment_size({**base, **extra})
    assert merged == (
        training_spec.environment_size(base) + training_spec.environment_size(extra) - 1
    )
