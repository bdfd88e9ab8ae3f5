"""The Lambda orchestrator against moto: what it starts, what it says, how it retries and fails."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from orchestrator_fakes import (
    AwsLikeSageMaker,
    SnsInternalError,
    SnsThrottled,
    internal_failure,
    lose_next_response,
    refuse_next_connection,
    resource_limit_exceeded,
    service_unavailable,
    throttling,
    training_job_arn,
    validation_error,
)
from orchestrator_support import (
    JOB_NAME_PREFIX,
    KMS_KEY_ARN,
    SAGEMAKER_ROLE_ARN,
    SECURITY_GROUP_IDS,
    SUBNET_IDS,
    TOPIC_ARN,
    AwsAccount,
    FakeLambdaContext,
    HandlerClients,
    scheduled_event,
    scheduler_invocation,
    training_spec,
)
from retraining_stack.lambda_function import handler as orchestrator

JOB_NAME = f"{JOB_NAME_PREFIX}202611260600"
ORCHESTRATOR_TAGS = [
    {"Key": "training-job-name-prefix", "Value": JOB_NAME_PREFIX},
    {"Key": "scheduled-occurrence", "Value": "2026-11-26T06:00:00Z"},
]


def expected_request(**overrides: Any) -> dict[str, Any]:
    """The request for the `orchestrator_environment` fixture: the spec, the network and output key
    merged from their variables, the derived name and the orchestrator's two tags."""
    request = training_spec()
    request["TrainingJobName"] = JOB_NAME
    request["VpcConfig"] = {"Subnets": SUBNET_IDS, "SecurityGroupIds": SECURITY_GROUP_IDS}
    request["OutputDataConfig"] = {**request["OutputDataConfig"], "KmsKeyId": KMS_KEY_ARN}
    request["Tags"] = [*request["Tags"], *ORCHESTRATOR_TAGS]
    request.update(overrides)
    return request


def invoke(
    event: Any,
    clients: HandlerClients,
    *,
    sleeps: list[float] | None = None,
    remaining_seconds: float | None = None,
    log: io.StringIO | None = None,
) -> dict[str, object]:
    """Run the handler's core with an injectable sleep, as the Lambda entry point wires it."""
    return orchestrator.run(
        event,
        environ=os.environ,
        clients=clients.clients,
        request_id="req-test",
        sleep=(sleeps.append if sleeps is not None else _no_sleep),
        rng=random.Random(20261126),  # noqa: S311 - seeded jitter, not cryptography
        remaining_seconds=lambda: remaining_seconds,
        log_stream=log,
    )


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"unexpected retry sleep of {seconds}s")


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.strip()]


# --- The happy path ------------------------------------------------------------------------------


@pytest.mark.usefixtures("orchestrator_environment")
def test_scheduled_event_starts_exactly_the_configured_job(
    aws: AwsAccount, handler_clients: HandlerClients
) -> None:
    result = orchestrator.handler(scheduled_event(), FakeLambdaContext())

    assert result == {
        "outcome": "started",
        "trainingJobName": JOB_NAME,
        "trainingJobArn": training_job_arn(JOB_NAME),
        "trainingJobStatus": "InProgress",
        "scheduledOccurrence": "2026-11-26T06:00:00Z",
        "notified": True,
        "confirmation": "create-training-job-response",
    }
    create = [c for c in handler_clients.recorder.calls if c.operation == "CreateTrainingJob"]
    assert len(create) == 1
    # The spec, the network and key, the name, two tags: nothing else.
    assert create[0].params == expected_request()
    described = aws.sagemaker.describe_training_job(TrainingJobName=JOB_NAME)
    spec = training_spec()
    sent = expected_request()
    # moto fills in defaults (e.g. MetricDefinitions); everything we sent must be there as sent.
    assert spec["AlgorithmSpecification"].items() <= described["AlgorithmSpecification"].items()
    for key in ("RoleArn", "InputDataConfig", "OutputDataConfig", "StoppingCondition"):
        assert described[key] == sent[key]
    tags = aws.sagemaker.list_tags(ResourceArn=training_job_arn(JOB_NAME))["Tags"]
    assert tags == [*spec["Tags"], *ORCHESTRATOR_TAGS]


@pytest.mark.usefixtures("orchestrator_environment")
def test_started_message_reaches_an_sqs_subscriber_of_the_topic(
    aws: AwsAccount, handler_clients: HandlerClients
) -> None:
    orchestrator.handler(scheduled_event(), FakeLambdaContext())

    [notice] = aws.notifications()
    assert notice.subject == f"Retraining started: {JOB_NAME}"
    assert notice.attributes == {
        "event": "RetrainingStarted",
        "trainingJobNamePrefix": JOB_NAME_PREFIX,
    }
    assert notice.body == {
        "event": "RetrainingStarted",
        "trainingJobName": JOB_NAME,
        "trainingJobNamePrefix": JOB_NAME_PREFIX,
        "trainingJobArn": training_job_arn(JOB_NAME),
        "scheduledOccurrence": "2026-11-26T06:00:00Z",
        "trigger": {
            "source": "aws.events",
            "arn": scheduled_event()["resources"][0],
            "eventId": "7bf73129",
        },
        "consoleUrl": (
            f"https://console.aws.amazon.com/sagemaker/home?region=us-east-1#/jobs/{JOB_NAME}"
        ),
        "lambdaRequestId": FakeLambdaContext().aws_request_id,
        "confirmation": "create-training-job-response",
    }


@pytest.mark.usefixtures("orchestrator_environment")
def test_scheduler_invocation_names_the_job_after_the_scheduled_minute(
    aws: AwsAccount, handler_clients: HandlerClients
) -> None:
    # Scheduler's scheduled-time can carry seconds; the occurrence is the minute.
    result = orchestrator.handler(scheduler_invocation("2026-11-26T06:00:43Z"), FakeLambdaContext())

    assert result["trainingJobName"] == JOB_NAME
    [notice] = aws.notifications()
    assert notice.body["trigger"] == {
        "source": "aws.scheduler",
        "arn": scheduler_invocation()["scheduleArn"],
        "executionId": "d32c5kddcf5bb8c3",
        "attemptNumber": "1",
    }


@pytest.mark.usefixtures("orchestrator_environment")
def test_log_lines_are_json_objects_carrying_request_id_and_job_name(
    aws: AwsAccount, handler_clients: HandlerClients, capsys: pytest.CaptureFixture[str]
) -> None:
    orchestrator.handler(scheduled_event(), FakeLambdaContext())

    lines = log_lines(capsys)
    assert [line["message"] for line in lines] == [
        "starting training job",
        "training job started",
        "started notification published",
    ]
    for line in lines:
        assert line["requestId"] == FakeLambdaContext().aws_request_id
        assert line["trainingJobName"] == JOB_NAME
        assert line["level"] == "INFO"
        dt.datetime.fromisoformat(line["timestamp"])


# --- Idempotency ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("orchestrator_environment")
def test_redelivered_event_starts_one_job_and_announces_it_once(
    aws: AwsAccount, handler_clients: HandlerClients, aws_like_sagemaker: AwsLikeSageMaker
) -> None:
    first = orchestrator.handler(scheduled_event(), FakeLambdaContext())
    second = orchestrator.handler(scheduled_event(), FakeLambdaContext())

    assert first["outcome"] == "started"
    assert second == {
        "outcome": "already_started",
        "trainingJobName": JOB_NAME,
        "trainingJobArn": training_job_arn(JOB_NAME),
        "trainingJobStatus": "Completed",  # moto completes jobs at once
        "scheduledOccurrence": "2026-11-26T06:00:00Z",
        "notified": False,
    }
    assert aws.training_job_names() == [JOB_NAME]
    assert [n.body["event"] for n in aws.notifications()] == ["RetrainingStarted"]
    # The second attempt was answered ResourceInUse and confirmed, as AWS would.
    assert aws_like_sagemaker.backend_calls == [
        "CreateTrainingJob",
        "Publish",
        "CreateTrainingJob",
        "DescribeTrainingJob",
    ]


@pytest.mark.usefixtures("orchestrator_environment")
def test_rule_and_scheduler_deliveries_of_one_occurrence_share_the_job(
    aws: AwsAccount, handler_clients: HandlerClients
) -> None:
    orchestrator.handler(scheduled_event("2026-11-26T06:00:00Z"), FakeLambdaContext())
    duplicate = orchestrator.handler(
        scheduler_invocation("2026-11-26T07:00:12+01:00"), FakeLambdaContext()
    )

    assert duplicate["outcome"] == "already_started"
    assert aws.training_job_names() == [JOB_NAME]


@pytest.mark.usefixtures("orchestrator_environment")
def test_next_occurrence_starts_a_new_job(aws: AwsAccount, handler_clients: HandlerClients) -> None:
    orchestrator.handler(scheduled_event("2026-11-26T06:00:00Z"), FakeLambdaContext())
    orchestrator.handler(scheduled_event("2026-11-27T06:00:00Z", "second"), FakeLambdaContext())

    assert aws.training_job_names() == [JOB_NAME, f"{JOB_NAME_PREFIX}202611270600"]
    assert len(aws.notifications()) == 2


@pytest.mark.usefixtures("orchestrator_environment")
def test_lost_create_response_then_resource_in_use_is_announced_as_started(
    aws: AwsAccount, handler_clients: HandlerClients, capsys: pytest.CaptureFixture[str]
) -> None:
    # The first CreateTrainingJob is processed but its answer never arrives; the retry meets
    # ResourceInUse for a job this very invocation most likely created: announce it, labelled.
    lose_next_response(handler_clients.clients.sagemaker, "CreateTrainingJob")
    sleeps: list[float] = []

    result = invoke(scheduled_event(), handler_clients, sleeps=sleeps)

    assert result["outcome"] == "started"
    assert result["confirmation"] == "describe-after-ambiguous-response"
    assert len(sleeps) == 1
    [notice] = aws.notifications()
    assert notice.body["confirmation"] == "describe-after-ambiguous-response"
    assert aws.training_job_names() == [JOB_NAME]
    retry = [line for line in log_lines(capsys) if line["level"] == "WARNING"]
    assert retry[0]["errorCode"] == "ReadTimeoutError"


# --- Retries -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("orchestrator_environment")
def test_throttling_is_retried_with_jittered_exponential_backoff(
    aws: AwsAccount,
    handler_clients: HandlerClients,
    aws_like_sagemaker: AwsLikeSageMaker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws_like_sagemaker.fail_next("CreateTrainingJob", throttling(), throttling(), throttling())
    sleeps: list[float] = []

    result = invoke(scheduled_event(), handler_clients, sleeps=sleeps)

    assert result["outcome"] == "started"
    policy = orchestrator.DEFAULT_RETRY_POLICY
    assert len(sleeps) == 3
    for failed_attempt, slept in enumerate(sleeps, start=1):
        assert 0 <= slept <= policy.delay_cap(failed_attempt)
    assert [policy.delay_cap(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    warnings = [line for line in log_lines(capsys) if line["level"] == "WARNING"]
    assert [(w["attempt"], w["errorCode"]) for w in warnings] == [
        (1, "ThrottlingException"),
        (2, "ThrottlingException"),
        (3, "ThrottlingException"),
    ]
    assert [n.body["event"] for n in aws.notifications()] == ["RetrainingStarted"]


@pytest.mark.parametrize(
    "fault",
    [resource_limit_exceeded, internal_failure, service_unavailable],
    ids=["ResourceLimitExceeded", "InternalFailure-500", "ServiceUnavailable-503"],
)
@pytest.mark.usefixtures("orchestrator_environment")
def test_quota_and_server_errors_are_retried(
    fault: Any,
    aws: AwsAccount,
    handler_clients: HandlerClients,
    aws_like_sagemaker: AwsLikeSageMaker,
) -> None:
    aws_like_sagemaker.fail_next("CreateTrainingJob", fault())
    sleeps: list[float] = []

    result = invoke(scheduled_event(), handler_clients, sleeps=sleeps)

    assert result["outcome"] == "started"
    assert len(sleeps) == 1
    assert aws.training_job_names() == [JOB_NAME]


@pytest.mark.usefixtures("orchestrator_environment")
def test_connection_refused_is_retried_and_not_ambiguous(
    aws: AwsAccount, handler_clients: HandlerClients
) -> None:
    refuse_next_connection(handler_clients.clients.sagemaker, "CreateTrainingJob")
    sleeps: list[float] = []

    result = invoke(scheduled_event(), handler_clients, sleeps=sleeps)

    assert result["confirmation"] == "create-training-job-response"
    assert len(sleeps) == 1


@pytest.mark.usefixtures("orchestrator_environment")
def test_exhausted_retries_publish_the_failure_then_raise(
    aws: AwsAccount,
    handler_clients: HandlerClients,
    aws_like_sagemaker: AwsLikeSageMaker,
) -> None:
    attempts = orchestrator.DEFAULT_RETRY_POLICY.max_attempts
    aws_like_sagemaker.fail_next("CreateTrainingJob", *(throttling() for _ in range(attempts)))
    sleeps: list[float] = []

    with pytest.raises(orchestrator.TrainingJobStartError) as raised:
        invoke(scheduled_event(), handler_clients, sleeps=sleeps)

    assert raised.value.attempts == attempts
    assert raised.value.error_code == "ThrottlingException"
    assert JOB_NAME in str(raised.value)
    assert len(sleeps) == attempts - 1
    assert aws.training_job_names() == []
    [notice] = aws.notifications()
    assert notice.subject == f"Retraining failed to start: {JOB_NAME}"
    assert notice.attributes["event"] == "RetrainingStartFailed"
    assert notice.body["failedAction"] == "CreateTrainingJob"
    assert notice.body["errorCode"] == "ThrottlingException"
    assert notice.body["errorMessage"] == "Rate exceeded"
    assert notice.body["attempts"] == attempts
    assert notice.body["trainingJobName"] == JOB_NAME


@pytest.mark.usefixtures("orchestrator_environment")
def test_non_retryable_error_fails_at_once_with_a_failure_message(
    aws: AwsAccount,
    handler_clients: HandlerClients,
    aws_like_sagemaker: AwsLikeSageMaker,
) -> None:
    message = f"Could not assume role {SAGEMAKER_ROLE_ARN}. Please ensure that the role exists."
    aws_like_sagemaker.fail_next("CreateTrainingJob", validation_error(message))

    with pytest.raises(orchestrator.TrainingJobStartError, match="ValidationException"):
        orchestrator.handler(scheduled_event(), FakeLambdaContext())

    [notice] = aws.notifications()
    assert notice.body["errorCode"] == "ValidationException"
    assert notice.body["errorMessage"] == message
    assert notice.body["attempts"] == 1


@pytest.mark.usefixtures("orchestrator_environment")
def test_retries_stop_when_the_invocation_is_about_to_time_out(
    aws: AwsAccount,
    handler_clients: HandlerClients,
    aws_like_sagemaker: AwsLikeSageMaker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws_like_sagemaker.fail_next("CreateTrainingJob", throttling())
    remaining = orchestrator.FINAL_REPORT_RESERVE_SECONDS - 1  # no time left for a retry

    with pytest.raises(orchestrator.TrainingJobStartError):
        invoke(scheduled_event(), handler_clients, sleeps=[], remaining_seconds=remaining)

    assert aws_like_sagemaker.backend_calls[0] == "CreateTrainingJob"
    assert aws_like_sagemaker.backend_calls.count("CreateTrainingJob") == 1
    assert [n.body["event"] for n in aws.notifications()] == ["RetrainingStartFailed"]
    assert any("about to time out" in line["message"] for line in log_lines(capsys))


@pytest.mark.usefixtures("orchestrator_environment")
def test_start_error_is_raised_even_when_the_failure_message_cannot_be_published(
    aws: AwsAccount,
    handler_clients: HandlerClients,
    aws_like_sagemaker: AwsLikeSageMaker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    attempts = orchestrator.DEFAULT_RETRY_POLICY.max_attempts
    aws_like_sagemaker.fail_next("CreateTrainingJob", validation_error("bad image"))
    aws_like_sagemaker.fail_next("Publish", *(SnsInternalError("boom") for _ in range(attempts)))

    with pytest.raises(orchestrator.TrainingJobStartError, match="bad image"):
        invoke(scheduled_event(), handler_clients, sleeps=[])

    assert aws.notifications() == []
    errors = [line for line in log_lines(capsys) if line["level"] == "ERROR"]
    assert [e["message"] for e in errors] == [
        "training job not started",
        "failure notification not published",
    ]
    assert errors[1]["errorCode"] == "InternalError"


@pytest.mark.usefixtures("orchestrator_environment")
def test_unpublishable_started_message_raises_after_the_job_started(
    aws: AwsAccount,
    handler_clients: HandlerClients,
    aws_like_sagemaker: AwsLikeSageMaker,
) -> None:
    attempts = orchestrator.DEFAULT_RETRY_POLICY.max_attempts
    aws_like_sagemaker.fail_next(
        "Publish", *(SnsThrottled("Rate exceeded") for _ in range(attempts))
    )

    with pytest.raises(orchestrator.NotificationPublishError, match="Throttled") as raised:
        invoke(scheduled_event(), handler_clients, sleeps=[])

    assert raised.value.attempts == attempts
    assert aws.training_job_names() == [JOB_NAME]
    # A Lambda retry of the same event finds the job and stays quiet.
    again = invoke(scheduled_event(), handler_clients)
    assert again["outcome"] == "already_started"


def test_retry_budget_fits_the_recommended_timeout() -> None:
    policy = orchestrator.DEFAULT_RETRY_POLICY
    per_call = orchestrator.CONNECT_TIMEOUT_SECONDS + orchestrator.READ_TIMEOUT_SECONDS
    assert policy.worst_case_seconds() == (1 + 2 + 4 + 8) + policy.max_attempts * per_call
    assert 3 * policy.worst_case_seconds() <= orchestrator.RECOMMENDED_TIMEOUT_SECONDS
    assert orchestrator.RECOMMENDED_TIMEOUT_SECONDS <= 900  # Lambda's maximum
    with pytest.raises(ValueError, match="invalid retry policy"):
        orchestrator.RetryPolicy(max_attempts=0)


# --- Rejected invocations: clear errors, no AWS call --------------------------------------------

MALFORMED_EVENTS = [
    pytest.param(["not", "an", "object"], ["event"], id="not-an-object"),
    pytest.param({"source": "aws.s3"}, ["event.source"], id="unknown-source"),
    pytest.param({"detail-type": "Scheduled Event", "time": "x"}, ["event.source"], id="no-source"),
    pytest.param(
        {**scheduled_event(), "detail-type": "Object Created"},
        ["event.detail-type"],
        id="rule-event-not-scheduled",
    ),
    pytest.param(
        {k: v for k, v in scheduled_event().items() if k != "time"}, ["event.time"], id="no-time"
    ),
    pytest.param(scheduled_event("2026-11-26T06:00:00"), ["event.time"], id="time-without-offset"),
    pytest.param(scheduled_event("yesterday"), ["event.time"], id="time-not-iso"),
    pytest.param(
        json.loads(orchestrator.scheduler_target_input()),
        ["event.scheduledTime"],
        id="scheduler-keywords-unreplaced",
    ),
    pytest.param(
        {**scheduler_invocation(), "scheduleArn": 42, "scheduledTime": 1764136800},
        ["event.scheduledTime", "event.scheduleArn"],
        id="scheduler-wrong-types",
    ),
]


@pytest.fixture
def no_aws_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the handler so much as creates an AWS client."""

    def refuse() -> orchestrator.AwsClients:
        raise AssertionError("the handler created AWS clients for an invocation it must reject")

    monkeypatch.setattr(orchestrator, "default_aws_clients", refuse)


@pytest.mark.parametrize(("event", "fields"), MALFORMED_EVENTS)
@pytest.mark.usefixtures("orchestrator_environment", "no_aws_clients")
def test_malformed_events_are_rejected_naming_the_field_without_calling_aws(
    event: Any, fields: list[str]
) -> None:
    with pytest.raises(orchestrator.InvalidInvocationError) as raised:
        orchestrator.handler(event, FakeLambdaContext())

    assert [problem.field for problem in raised.value.problems] == fields
    message = str(raised.value)
    assert "nothing was called on AWS" in message
    for problem in raised.value.problems:
        assert f"{problem.field}: expected " in message


def _spec_without(key: str) -> str:
    return json.dumps({k: v for k, v in training_spec().items() if k != key})


MALFORMED_CONFIGURATIONS = [
    pytest.param({"TRAINING_SPEC": None}, ["TRAINING_SPEC"], "a JSON object", id="spec-missing"),
    pytest.param(
        {"TRAINING_SPEC": "{not json"}, ["TRAINING_SPEC"], "valid JSON", id="spec-not-json"
    ),
    pytest.param({"TRAINING_SPEC": "[]"}, ["TRAINING_SPEC"], "a JSON object", id="spec-a-list"),
    pytest.param(
        {"TRAINING_SPEC": json.dumps({**training_spec(), "TrainingJobName": "mine"})},
        ["TRAINING_SPEC.TrainingJobName"],
        "derives it from the scheduled occurrence",
        id="spec-names-the-job",
    ),
    pytest.param(
        {"TRAINING_SPEC": _spec_without("RoleArn")},
        ["TRAINING_SPEC.RoleArn"],
        "execution role ARN",
        id="spec-without-role",
    ),
    pytest.param(
        {"TRAINING_SPEC": json.dumps({**training_spec(), "RoleArn": "sagemaker-role"})},
        ["TRAINING_SPEC.RoleArn"],
        "arn:<partition>:iam::<account>:role/<name>",
        id="spec-role-not-an-arn",
    ),
    pytest.param(
        {
            "TRAINING_SPEC": json.dumps(
                {**training_spec(), "Tags": [{"Key": "scheduled-occurrence", "Value": "x"}]}
            )
        },
        ["TRAINING_SPEC.Tags[0].Key"],
        "the orchestrator sets those itself",
        id="spec-sets-orchestrator-tag",
    ),
    pytest.param(
        {"TRAINING_SPEC": json.dumps({**training_spec(), "Tags": {"team": "fraud"}})},
        ["TRAINING_SPEC.Tags"],
        "a list of",
        id="spec-tags-a-map",
    ),
    pytest.param(
        {"TRAINING_JOB_NAME_PREFIX": "fraud-dev-scoring"},
        ["TRAINING_JOB_NAME_PREFIX"],
        "ending with '-'",
        id="prefix-without-trailing-hyphen",
    ),
    pytest.param(
        {"TRAINING_JOB_NAME_PREFIX": "fraud_scoring_dev-"},
        ["TRAINING_JOB_NAME_PREFIX"],
        "letters, digits and hyphens",
        id="prefix-with-underscores",
    ),
    pytest.param(
        {"TRAINING_JOB_NAME_PREFIX": "f" * 51 + "-"},
        ["TRAINING_JOB_NAME_PREFIX"],
        "at most 51 characters",
        id="prefix-too-long",
    ),
    pytest.param(
        {"NOTIFICATION_TOPIC_ARN": TOPIC_ARN + ".fifo"},
        ["NOTIFICATION_TOPIC_ARN"],
        "standard (non-FIFO) SNS topic ARN",
        id="topic-fifo",
    ),
    pytest.param(
        {"NOTIFICATION_TOPIC_ARN": None},
        ["NOTIFICATION_TOPIC_ARN"],
        "SNS topic",
        id="topic-missing",
    ),
    pytest.param(
        {"TRAINING_SUBNET_IDS": "subnet-0abc1234def567890", "TRAINING_SECURITY_GROUP_IDS": None},
        ["TRAINING_SUBNET_IDS/TRAINING_SECURITY_GROUP_IDS"],
        "both set",
        id="subnets-without-security-groups",
    ),
    # The orchestrator role denies CreateTrainingJob without a VpcConfig or an output key (IAM
    # Null conditions): such a configuration is refused here, before any call.
    pytest.param(
        {"TRAINING_SUBNET_IDS": None, "TRAINING_SECURITY_GROUP_IDS": None},
        ["TRAINING_SUBNET_IDS/TRAINING_SECURITY_GROUP_IDS"],
        "only inside the training network",
        id="no-training-network",
    ),
    pytest.param(
        {
            "TRAINING_SUBNET_IDS": None,
            "TRAINING_SECURITY_GROUP_IDS": None,
            "TRAINING_SPEC": json.dumps(
                {**training_spec(), "VpcConfig": {"Subnets": [], "SecurityGroupIds": ["sg-1"]}}
            ),
        },
        ["TRAINING_SPEC.VpcConfig"],
        "both lists non-empty",
        id="spec-vpc-config-without-subnets",
    ),
    pytest.param(
        {"TRAINING_KMS_KEY_ARN": ""},
        ["TRAINING_KMS_KEY_ARN"],
        "only with encrypted output",
        id="no-output-key",
    ),
    pytest.param(
        {
            "TRAINING_SUBNET_IDS": None,
            "TRAINING_SECURITY_GROUP_IDS": None,
            "TRAINING_KMS_KEY_ARN": None,
        },
        ["TRAINING_SUBNET_IDS/TRAINING_SECURITY_GROUP_IDS", "TRAINING_KMS_KEY_ARN"],
        "sagemaker:OutputKmsKeyArn must be present",
        id="neither-network-nor-output-key",
    ),
    pytest.param(
        {
            "TRAINING_SUBNET_IDS": "subnet-0abc1234def567890",
            "TRAINING_SECURITY_GROUP_IDS": "default",
        },
        ["TRAINING_SECURITY_GROUP_IDS"],
        "comma-separated ids like sg-",
        id="security-group-name-not-id",
    ),
    pytest.param(
        {
            "TRAINING_KMS_KEY_ARN": "arn:aws:kms:us-east-1:123456789012:key/k",
            "TRAINING_SPEC": json.dumps(
                {
                    **training_spec(),
                    "OutputDataConfig": {"S3OutputPath": "s3://b/o/", "KmsKeyId": "alias/other"},
                }
            ),
        },
        ["TRAINING_SPEC.OutputDataConfig.KmsKeyId"],
        "one source of truth",
        id="kms-key-in-both-places",
    ),
]


@pytest.mark.parametrize(("overrides", "fields", "expected"), MALFORMED_CONFIGURATIONS)
@pytest.mark.usefixtures("orchestrator_environment", "no_aws_clients")
def test_malformed_configuration_is_rejected_naming_the_field_without_calling_aws(
    overrides: dict[str, str | None],
    fields: list[str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in overrides.items():
        if value is None:
            monkeypatch.delenv(name)
        else:
            monkeypatch.setenv(name, value)

    with pytest.raises(orchestrator.InvalidInvocationError) as raised:
        orchestrator.handler(scheduled_event(), FakeLambdaContext())

    assert [problem.field for problem in raised.value.problems] == fields
    assert expected in str(raised.value)


@pytest.mark.usefixtures("orchestrator_environment", "no_aws_clients")
def test_every_problem_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINING_JOB_NAME_PREFIX", "Fraud Scoring")
    monkeypatch.setenv("TRAINING_SPEC", _spec_without("StoppingCondition"))

    with pytest.raises(orchestrator.InvalidInvocationError) as raised:
        orchestrator.handler({"source": "aws.events", "time": "soon"}, FakeLambdaContext())

    assert [problem.field for problem in raised.value.problems] == [
        "TRAINING_JOB_NAME_PREFIX",
        "TRAINING_SPEC.StoppingCondition",
        "event.detail-type",
        "event.time",
    ]


@pytest.mark.usefixtures("orchestrator_environment")
def test_spec_is_checked_against_the_sagemaker_api_model_before_any_call(
    aws: AwsAccount, handler_clients: HandlerClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = training_spec()
    spec["Hyperparameters"] = spec.pop("HyperParameters")  # a typo AWS would reject
    spec["ResourceConfig"]["InstanceCount"] = "1"
    monkeypatch.setenv("TRAINING_SPEC", json.dumps(spec))

    with pytest.raises(orchestrator.InvalidInvocationError) as raised:
        orchestrator.handler(scheduled_event(), FakeLambdaContext())

    text = str(raised.value)
    assert 'Unknown parameter in input: "Hyperparameters"' in text
    assert "ResourceConfig.InstanceCount" in text
    assert len(raised.value.problems) == 2
    assert handler_clients.recorder.calls == []


# --- Provider-computed values merged from their own variables ----------------------------------


@pytest.mark.usefixtures("orchestrator_environment")
def test_vpc_and_kms_variables_are_merged_into_the_request(
    handler_clients: HandlerClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    monkeypatch.setenv("TRAINING_SUBNET_IDS", "subnet-0abc1234def567890,subnet-0123456789abcdef0")
    monkeypatch.setenv("TRAINING_SECURITY_GROUP_IDS", "sg-0fedcba9876543210")
    monkeypatch.setenv("TRAINING_KMS_KEY_ARN", key)
    monkeypatch.setenv("TRAINING_VOLUME_KMS_KEY_ARN", key)

    orchestrator.handler(scheduled_event(), FakeLambdaContext())

    [create] = [c for c in handler_clients.recorder.calls if c.operation == "CreateTrainingJob"]
    spec = training_spec()
    assert create.params == expected_request(
        VpcConfig={
            "Subnets": ["subnet-0abc1234def567890", "subnet-0123456789abcdef0"],
            "SecurityGroupIds": ["sg-0fedcba9876543210"],
        },
        OutputDataConfig={**spec["OutputDataConfig"], "KmsKeyId": key},
        ResourceConfig={**spec["ResourceConfig"], "VolumeKmsKeyId": key},
    )


@pytest.mark.usefixtures("orchestrator_environment")
def test_network_and_output_key_may_come_from_the_spec_instead(
    handler_clients: HandlerClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = expected_request()
    del spec["TrainingJobName"]
    spec["Tags"] = training_spec()["Tags"]
    monkeypatch.setenv("TRAINING_SPEC", json.dumps(spec))
    for name in ("TRAINING_SUBNET_IDS", "TRAINING_SECURITY_GROUP_IDS", "TRAINING_KMS_KEY_ARN"):
        monkeypatch.delenv(name)

    orchestrator.handler(scheduled_event(), FakeLambdaContext())

    [create] = [c for c in handler_clients.recorder.calls if c.operation == "CreateTrainingJob"]
    assert create.params == expected_request()


# --- Names and contracts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time", "name_suffix"),
    [
        ("2026-11-26T06:00:00Z", "202611260600"),
        ("2026-11-26T06:00:59.999Z", "202611260600"),
        ("2026-11-26T07:30:00+01:30", "202611260600"),
        ("2026-12-31T23:59:00-00:00", "202612312359"),
    ],
)
def test_job_name_is_the_utc_minute_of_the_occurrence(time: str, name_suffix: str) -> None:
    occurrence = dt.datetime.fromisoformat(time)
    assert orchestrator.job_name_for(JOB_NAME_PREFIX, occurrence) == JOB_NAME_PREFIX + name_suffix


@given(
    prefix=st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9-]{0,49}-", fullmatch=True),
    occurrence=st.datetimes(
        min_value=dt.datetime(1970, 1, 1),
        max_value=dt.datetime(2199, 12, 31),
        timezones=st.just(dt.UTC),
    ),
    seconds=st.integers(min_value=0, max_value=59),
)
def test_every_valid_prefix_yields_a_valid_stable_job_name(
    prefix: str, occurrence: dt.datetime, seconds: int
) -> None:
    assert orchestrator.validate_job_name_prefix(prefix) == []
    name = orchestrator.job_name_for(prefix, occurrence)
    assert len(name) <= orchestrator.MAX_JOB_NAME_LENGTH
    assert orchestrator.JOB_NAME_PATTERN.fullmatch(name)
    # Any delivery within the same minute asks for the same name.
    assert orchestrator.job_name_for(prefix, occurrence.replace(second=seconds)) == name


def test_scheduler_target_input_uses_scheduler_context_attributes() -> None:
    target_input = json.loads(orchestrator.scheduler_target_input())
    assert target_input == {
        "source": "aws.scheduler",
        "scheduledTime": "<aws.scheduler.scheduled-time>",
        "scheduleArn": "<aws.scheduler.schedule-arn>",
        "executionId": "<aws.scheduler.execution-id>",
        "attemptNumber": "<aws.scheduler.attempt-number>",
    }


def test_handler_module_needs_only_the_standard_library_at_import() -> None:
    # The Pulumi program imports the contract constants from here without boto3 installed.
    import ast
    import sys
    from pathlib import Path

    tree = ast.parse(Path(orchestrator.__file__).read_text())
    top_level_imports: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_level_imports.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top_level_imports.add(node.module.split(".")[0])
    assert top_level_imports - {"__future__"} <= sys.stdlib_module_names


def test_handler_file_runs_alone_as_the_function_code(tmp_path: Any) -> None:
    # The zip holds handler.py only: it must import and validate with nothing else beside it.
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    shutil.copy(Path(orchestrator.__file__), tmp_path / "handler.py")
    script = (
        "import json, handler\n"
        "class Context:\n"
        "    aws_request_id = 'r'\n"
        "    def get_remaining_time_in_millis(self): return 1000\n"
        "try:\n"
        "    handler.handler({'source': 'aws.events'}, Context())\n"
        "except handler.InvalidInvocationError as error:\n"
        "    print(json.dumps([p.field for p in error.problems]))\n"
    )
    completed = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-E", "-s", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert json.loads(completed.stdout.splitlines()[-1]) == [
        "TRAINING_JOB_NAME_PREFIX",
        "NOTIFICATION_TOPIC_ARN",
        "TRAINING_SPEC",
        "event.detail-type",
        "event.time",
    ]
