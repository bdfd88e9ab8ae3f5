"""The Lambda orchestrator (`lambda_function/`) against moto: SageMaker, SNS and SQS.

The team topic has an SQS subscriber (`AwsAccount.notifications()`), so every test counts the
messages a team would receive. Job-state reports travel the stack's route: the rule's
InputTransformer (documented rules, `apply_input_transformer`), the FIFO queue with content-based
deduplication (moto), one record per invocation (`JobStateQueue.poll`).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from typing import Any

import pytest
from orchestrator_fakes import (
    ActedThenFailed,
    SnsInternalError,
    internal_failure,
    lose_next_response,
    resource_limit_exceeded,
    service_unavailable,
    throttling,
    validation_error,
)
from orchestrator_support import (
    ENVIRONMENT,
    JOB_NAME_PREFIX,
    KMS_KEY_ARN,
    MODEL,
    SECURITY_GROUP_IDS,
    SUBNET_IDS,
    TEAM,
    TOPIC_ARN,
    LambdaAccount,
    Notification,
    contract,
    invocation,
    job_state_change,
    orchestrator,
    scheduled_event,
    scheduler_invocation,
    training_spec,
)
from retraining_stack import lambda_function

JOB_NAME = f"{JOB_NAME_PREFIX}202611260600"
MAX_ATTEMPTS = lambda_function.CALL_BUDGET.max_attempts


def only_message(world: LambdaAccount) -> Notification:
    """The one message the team received (fails on none or several)."""
    received = world.account.notifications()
    assert len(received) == 1, [n.body for n in received]
    return received[0]


def assert_outcome(message: Notification, status: contract.OutcomeStatus, job_name: str) -> None:
    assert message.attributes == {
        "status": status.value,
        "team": TEAM,
        "model": MODEL,
        "environment": ENVIRONMENT,
    }
    assert message.subject == contract.outcome_subject(status, TEAM, MODEL, ENVIRONMENT)
    assert tuple(message.body) == contract.MESSAGE_KEYS
    assert message.body["status"] == status.value
    assert message.body["trainingJobName"] == job_name


# --- Start: a schedule event ---------------------------------------------------------------------


def test_scheduled_event_starts_exactly_the_configured_job_and_says_nothing(
    lambda_aws: LambdaAccount,
) -> None:
    assert lambda_aws.run(scheduled_event()) == {"outcome": "Started", "trainingJobName": JOB_NAME}
    job = lambda_aws.account.sagemaker.describe_training_job(TrainingJobName=JOB_NAME)
    spec = training_spec()
    assert job["VpcConfig"] == {"Subnets": SUBNET_IDS, "SecurityGroupIds": SECURITY_GROUP_IDS}
    assert job["OutputDataConfig"] == {**spec["OutputDataConfig"], "KmsKeyId": KMS_KEY_ARN}
    assert (
        job["AlgorithmSpecification"]["TrainingImage"]
        == (spec["AlgorithmSpecification"]["TrainingImage"])
    )
    tags = lambda_aws.account.sagemaker.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]
    assert tags == [
        *spec["Tags"],
        {"Key": contract.TAG_JOB_NAME_PREFIX, "Value": JOB_NAME_PREFIX},
        {"Key": contract.TAG_SCHEDULED_OCCURRENCE, "Value": "2026-11-26T06:00:00Z"},
    ]
    # The start is not a message: the job's end is (one message per occurrence).
    assert lambda_aws.account.notifications() == []


@pytest.mark.parametrize(
    ("time", "suffix"),
    [
        ("2026-11-26T06:00:00Z", "202611260600"),
        ("2026-11-26T06:00:59.999Z", "202611260600"),  # Scheduler's flexible window: same minute
        ("2026-11-26T07:30:00+01:00", "202611260630"),  # offsets are converted to UTC
    ],
)
def test_scheduler_invocation_names_the_job_after_the_scheduled_minute(
    lambda_aws: LambdaAccount, time: str, suffix: str
) -> None:
    assert lambda_aws.run(scheduler_invocation(time))["trainingJobName"] == JOB_NAME_PREFIX + suffix
    assert lambda_aws.account.training_job_names() == [JOB_NAME_PREFIX + suffix]


def test_redelivered_event_finds_the_job_and_stays_quiet(
    lambda_aws: LambdaAccount, aws_like_sagemaker: Any
) -> None:
    lambda_aws.run(scheduled_event())
    assert lambda_aws.run(scheduler_invocation())["outcome"] == "AlreadyStarted"
    assert aws_like_sagemaker.backend_calls == [
        "CreateTrainingJob",
        "CreateTrainingJob",
        "DescribeTrainingJob",
    ]
    assert lambda_aws.account.training_job_names() == [JOB_NAME]
    assert lambda_aws.account.notifications() == []


def test_a_lost_create_answer_is_retried_by_botocore_and_found_quietly(
    lambda_aws: LambdaAccount,
) -> None:
    # The job is created, the answer lost; botocore's retry gets ResourceInUse: no bookkeeping of
    # ambiguous answers is needed, the occurrence's job exists and will be reported once.
    lose_next_response(lambda_aws.handler.clients.sagemaker, "CreateTrainingJob")
    assert lambda_aws.run(scheduled_event())["outcome"] == "AlreadyStarted"
    assert lambda_aws.account.training_job_names() == [JOB_NAME]
    assert lambda_aws.account.notifications() == []


def test_throttling_and_server_errors_are_retried_by_botocore(
    lambda_aws: LambdaAccount, aws_like_sagemaker: Any
) -> None:
    aws_like_sagemaker.fail_next("CreateTrainingJob", throttling(), internal_failure())
    assert lambda_aws.run(scheduled_event())["outcome"] == "Started"
    assert aws_like_sagemaker.backend_calls == ["CreateTrainingJob"] * 3
    assert lambda_aws.account.notifications() == []


def test_errors_still_failing_after_botocore_retries_send_one_not_started(
    lambda_aws: LambdaAccount, aws_like_sagemaker: Any
) -> None:
    aws_like_sagemaker.fail_next("CreateTrainingJob", *[throttling()] * MAX_ATTEMPTS)
    assert lambda_aws.run(scheduled_event())["outcome"] == "NotStarted"
    assert aws_like_sagemaker.backend_calls == ["CreateTrainingJob"] * MAX_ATTEMPTS + ["Publish"]
    message = only_message(lambda_aws)
    assert_outcome(message, contract.OutcomeStatus.NOT_STARTED, JOB_NAME)
    assert message.body["reason"] == "CreateTrainingJob failed: ThrottlingException: Rate exceeded"


def test_a_server_error_after_the_job_was_created_is_found_and_stays_quiet(
    lambda_aws: LambdaAccount, aws_like_sagemaker: Any
) -> None:
    # botocore's last attempt created the job but answered 500: the job exists, its end is
    # reported by the job-state route, so no NotStarted.
    aws_like_sagemaker.fail_next(
        "CreateTrainingJob",
        *[throttling()] * (MAX_ATTEMPTS - 1),
        ActedThenFailed(internal_failure()),
    )
    assert lambda_aws.run(scheduled_event())["outcome"] == "AlreadyStarted"
    assert aws_like_sagemaker.backend_calls == ["CreateTrainingJob"] * MAX_ATTEMPTS + [
        "DescribeTrainingJob"
    ]
    assert lambda_aws.account.training_job_names() == [JOB_NAME]
    assert lambda_aws.account.notifications() == []


def test_a_server_error_without_a_job_sends_one_not_started(
    lambda_aws: LambdaAccount, aws_like_sagemaker: Any
) -> None:
    aws_like_sagemaker.fail_next("CreateTrainingJob", *[service_unavailable()] * MAX_ATTEMPTS)
    assert lambda_aws.run(scheduled_event())["outcome"] == "NotStarted"
    assert aws_like_sagemaker.backend_calls == ["CreateTrainingJob"] * MAX_ATTEMPTS + [
        "DescribeTrainingJob",
        "Publish",
    ]
    assert "ServiceUnavailable" in only_message(lambda_aws).body["reason"]


def test_quota_skips_the_occurrence_at_once_with_one_message(
    lambda_aws: LambdaAccount, aws_like_sagemaker: Any
) -> None:
    aws_like_sagemaker.fail_next("CreateTrainingJob", resource_limit_exceeded())
    assert lambda_aws.run(scheduled_event())["outcome"] == "NotStarted"
    # Not retried: capacity frees in hours; the next occurrence tries again.
    assert aws_like_sagemaker.backend_calls == ["CreateTrainingJob", "Publish"]
    message = only_message(lambda_aws)
    assert_outcome(message, contract.OutcomeStatus.NOT_STARTED, JOB_NAME)
    assert message.body["reason"].startswith(contract.QUOTA_REASON_PREFIX)
    assert "ml.m5.large for training job usage" in message.body["reason"]


def test_a_permanent_error_sends_one_not_started_and_returns(
    lambda_aws: LambdaAccount, aws_like_sagemaker: Any
) -> None:
    aws_like_sagemaker.fail_next("CreateTrainingJob", validation_error("image not found"))
    result = lambda_aws.run(scheduled_event())  # returns: a raise would make Lambda retry
    assert result["outcome"] == "NotStarted"
    message = only_message(lambda_aws)
    assert_outcome(message, contract.OutcomeStatus.NOT_STARTED, JOB_NAME)
    assert message.body["reason"] == (
        "CreateTrainingJob failed: ValidationException: image not found"
    )
    assert message.body["scheduledOccurrence"] == "2026-11-26T06:00:00Z"
    assert message.body["consoleUrl"] == (
        f"https://console.aws.amazon.com/sagemaker/home?region=us-east-1#/jobs/{JOB_NAME}"
    )


def test_a_request_botocore_rejects_is_never_sent_and_reported_once(
    lambda_aws: LambdaAccount, aws_like_sagemaker: Any
) -> None:
    spec = training_spec()
    spec["ResourceConfig"]["InstanceCount"] = "one"
    result = lambda_aws.run(scheduled_event(), TRAINING_SPEC=json.dumps(spec))
    assert result["outcome"] == "NotStarted"
    assert aws_like_sagemaker.backend_calls == ["Publish"]  # the request never left botocore
    reason = only_message(lambda_aws).body["reason"]
    assert reason.startswith("invalid training spec: Parameter validation failed")
    assert "ResourceConfig.InstanceCount" in reason


@pytest.mark.parametrize(
    ("event", "environment", "field"),
    [
        ({"source": "aws.events", "detail-type": "Scheduled Event"}, {}, "event.time"),
        ({"source": "aws.events", "time": "2026-11-26T06:00:00Z"}, {}, "event.detail-type"),
        ({"source": "aws.scheduler", "scheduledTime": "06:00"}, {}, "event.scheduledTime"),
        (
            {"source": "aws.scheduler", "scheduledTime": "2026-11-26T06:00:00"},
            {},
            "event.scheduledTime",
        ),
        ({"source": "custom"}, {}, "event.source"),
        ([], {}, "event.source"),
        (scheduled_event(), {"TRAINING_JOB_NAME_PREFIX": "fraud_dev-"}, "TRAINING_JOB_NAME_PREFIX"),
        (scheduled_event(), {"TRAINING_SPEC": "{not json"}, "TRAINING_SPEC"),
        (
            scheduled_event(),
            {"TRAINING_SPEC": json.dumps({**training_spec(), "RoleArn": "r"})},
            "TRAINING_SPEC.RoleArn",
        ),
        (scheduled_event(), {"TRAINING_KMS_KEY_ARN": None}, "TRAINING_KMS_KEY_ARN"),
        (
            scheduled_event(),
            {"TRAINING_SUBNET_IDS": None},
            "TRAINING_SUBNET_IDS/TRAINING_SECURITY_GROUP_IDS",
        ),
        (scheduled_event(), {"RETRAINING_TEAM": None}, "RETRAINING_TEAM"),
    ],
)
def test_a_malformed_invocation_sends_one_not_started_naming_the_field(
    lambda_aws: LambdaAccount,
    aws_like_sagemaker: Any,
    event: Any,
    environment: dict[str, str | None],
    field: str,
) -> None:
    assert lambda_aws.run(event, **environment)["outcome"] == "NotStarted"
    assert "CreateTrainingJob" not in aws_like_sagemaker.backend_calls  # nothing started
    message = only_message(lambda_aws)
    assert message.attributes["status"] == "NotStarted"
    assert message.body["reason"].startswith("invalid invocation: ")
    assert f" {field}: expected " in message.body["reason"]


def test_without_a_usable_topic_the_handler_raises_and_sends_nothing(
    lambda_aws: LambdaAccount, aws_like_sagemaker: Any
) -> None:
    # Nowhere to report: the raise is the signal (Errors alarm, on-failure queue).
    with pytest.raises(invocation.InvalidInvocationError, match="NOTIFICATION_TOPIC_ARN"):
        lambda_aws.run(scheduled_event(), NOTIFICATION_TOPIC_ARN=f"{TOPIC_ARN}.fifo")
    assert aws_like_sagemaker.backend_calls == []
    assert lambda_aws.account.notifications() == []


def test_an_unpublishable_not_started_raises_for_the_errors_alarm(
    lambda_aws: LambdaAccount, aws_like_sagemaker: Any
) -> None:
    aws_like_sagemaker.fail_next("CreateTrainingJob", validation_error("bad"))
    aws_like_sagemaker.fail_next("Publish", *[SnsInternalError("down")] * MAX_ATTEMPTS)
    with pytest.raises(orchestrator.ClientError, match="InternalError"):
        lambda_aws.run(scheduled_event())
    assert aws_like_sagemaker.backend_calls.count("Publish") == MAX_ATTEMPTS


# The LogRecord attributes the runtime's JsonFormatter leaves out; every other attribute of the
# record, each `extra` key included, becomes a field of the JSON object it writes with a plain
# `json.JSONEncoder` (no `default`: a value JSON cannot encode fails the log line). awslambdaric
# lambda_runtime_log_utils.py, `_RESERVED_FIELDS` and `JsonFormatter.format`.
RUNTIME_RESERVED_FIELDS = frozenset(
    {
        "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module",
        "exc_info", "exc_text", "stack_info", "lineno", "funcName", "created", "msecs",
        "relativeCreated", "thread", "threadName", "processName", "process", "aws_request_id",
        "tenant_id", "_frame_type",
    }
)  # fmt: skip


def as_lambda_json(record: logging.LogRecord) -> dict[str, Any]:
    """The record as the runtime's JSON log format writes it (its fields, encoded, parsed)."""
    fields = {
        "level": record.levelname,
        "message": record.getMessage(),
        "logger": record.name,
    } | {
        key: value
        for key, value in record.__dict__.items()
        if key not in RUNTIME_RESERVED_FIELDS and key not in ("message",)
    }
    encoded: dict[str, Any] = json.loads(json.JSONEncoder(ensure_ascii=False).encode(fields))
    return encoded


def test_logs_serialise_as_json_with_the_job_name_for_the_json_log_format(
    lambda_aws: LambdaAccount, aws_like_sagemaker: Any, caplog: pytest.LogCaptureFixture
) -> None:
    aws_like_sagemaker.fail_next("CreateTrainingJob", validation_error("image not found"))
    with caplog.at_level(logging.INFO, logger=orchestrator.LOGGER.name):
        lambda_aws.run(scheduled_event())  # not started: an error record and a publish record
        lambda_aws.run(scheduled_event())  # started
        lambda_aws.job_state.deliver(job_state_change(JOB_NAME, "Completed"))
        lambda_aws.job_state.poll(lambda_aws.run)  # reported
    logged = [as_lambda_json(record) for record in caplog.records]
    started = [line for line in logged if line["message"] == "training job started"]
    assert [(line["trainingJobName"], line["level"]) for line in started] == [(JOB_NAME, "INFO")]
    assert started[0]["trainingJobArn"].endswith(f"training-job/{JOB_NAME}")
    not_started = [line for line in logged if line["message"] == "training job not started"]
    assert [line["error"] for line in not_started] == [["ValidationException", "image not found"]]
    published = [line for line in logged if line["message"] == "outcome published"]
    assert [(line["status"], line["trainingJobName"]) for line in published] == [
        ("NotStarted", JOB_NAME),
        ("Completed", JOB_NAME),
    ]


def test_the_lambda_entry_point_reads_the_environment(
    lambda_aws: LambdaAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in lambda_aws.environment.items():
        monkeypatch.setenv(name, value)
    result = orchestrator.handler(scheduled_event(), context=None)  # type: ignore[arg-type]
    assert result == {"outcome": "Started", "trainingJobName": JOB_NAME}


# --- Reports: job-state records from the FIFO queue ----------------------------------------------


@pytest.mark.parametrize(
    ("status", "secondary", "failure_reason", "expected_reason"),
    [
        ("Completed", "Completed", None, ""),
        (
            "Failed",
            "Failed",
            'AlgorithmError: "loss" is NaN\nsee the logs',
            'AlgorithmError: "loss" is NaN\nsee the logs',
        ),
        ("Stopped", "MaxRuntimeExceeded", None, "MaxRuntimeExceeded"),
        ("Stopped", "MaxWaitTimeExceeded", None, "MaxWaitTimeExceeded"),
    ],
)
def test_each_job_outcome_is_reported_once_with_its_reason(
    lambda_aws: LambdaAccount,
    status: str,
    secondary: str,
    failure_reason: str | None,
    expected_reason: str,
) -> None:
    lambda_aws.run(scheduled_event())
    lambda_aws.job_state.deliver(job_state_change(JOB_NAME, status, secondary, failure_reason))
    assert lambda_aws.job_state.poll(lambda_aws.run) == [{"reported": [JOB_NAME], "skipped": []}]
    message = only_message(lambda_aws)
    assert_outcome(message, contract.OutcomeStatus(status), JOB_NAME)
    assert message.body["reason"] == expected_reason
    assert message.body["scheduledOccurrence"] == "2026-11-26T06:00:00Z"
    arn = lambda_aws.account.sagemaker.describe_training_job(TrainingJobName=JOB_NAME)[
        "TrainingJobArn"
    ]
    tags = lambda_aws.account.sagemaker.list_tags(ResourceArn=arn)["Tags"]
    assert {"Key": contract.TAG_REPORTED_OUTCOME, "Value": status} in tags


def test_duplicate_state_change_events_within_five_minutes_collapse_in_the_fifo_queue(
    lambda_aws: LambdaAccount,
) -> None:
    lambda_aws.run(scheduled_event())
    for event_id in ("first", "second", "third"):  # same state change, new event ids
        lambda_aws.job_state.deliver(job_state_change(JOB_NAME, "Completed", event_id=event_id))
    assert len(lambda_aws.job_state.poll(lambda_aws.run)) == 1  # one invocation
    only_message(lambda_aws)


def test_a_duplicate_after_the_dedup_window_is_skipped_by_the_reported_tag(
    lambda_aws: LambdaAccount,
) -> None:
    lambda_aws.run(scheduled_event())
    lambda_aws.job_state.deliver(job_state_change(JOB_NAME, "Completed"))
    lambda_aws.job_state.poll(lambda_aws.run)
    only_message(lambda_aws)
    lambda_aws.job_state.deliver(job_state_change(JOB_NAME, "Completed", event_id="late"))
    assert lambda_aws.job_state.poll(lambda_aws.run) == [{"reported": [], "skipped": [JOB_NAME]}]
    assert lambda_aws.account.notifications() == []


def _reported_tags(world: LambdaAccount) -> list[dict[str, str]]:
    arn = world.account.sagemaker.describe_training_job(TrainingJobName=JOB_NAME)["TrainingJobArn"]
    tags = world.account.sagemaker.list_tags(ResourceArn=arn)["Tags"]
    return [tag for tag in tags if tag["Key"] == contract.TAG_REPORTED_OUTCOME]


def test_a_failed_report_publish_raises_leaves_no_tag_and_the_retry_sends_one_message(
    lambda_aws: LambdaAccount, aws_like_sagemaker: Any
) -> None:
    lambda_aws.run(scheduled_event())
    lambda_aws.job_state.deliver(job_state_change(JOB_NAME, "Failed", failure_reason="OOM"))
    aws_like_sagemaker.fail_next("Publish", *[SnsInternalError("down")] * MAX_ATTEMPTS)

    # The record stays in the queue (the poller deletes only after a normal return).
    with pytest.raises(orchestrator.ClientError, match="InternalError"):
        lambda_aws.job_state.poll(lambda_aws.run)
    assert aws_like_sagemaker.backend_calls.count("Publish") == MAX_ATTEMPTS
    assert lambda_aws.account.notifications() == []
    assert _reported_tags(lambda_aws) == []

    # Redelivered: reported once, then tagged.
    assert lambda_aws.job_state.poll(lambda_aws.run) == [{"reported": [JOB_NAME], "skipped": []}]
    message = only_message(lambda_aws)
    assert_outcome(message, contract.OutcomeStatus.FAILED, JOB_NAME)
    assert message.body["reason"] == "OOM"
    assert _reported_tags(lambda_aws) == [{"Key": contract.TAG_REPORTED_OUTCOME, "Value": "Failed"}]


def test_a_failed_tag_after_the_publish_is_logged_and_the_record_is_not_retried(
    lambda_aws: LambdaAccount, aws_like_sagemaker: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # The message is out: raising would make the queue repeat it. Only a duplicate event after
    # the 5-minute deduplication window could now be reported twice (documented residual risk).
    lambda_aws.run(scheduled_event())
    lambda_aws.job_state.deliver(job_state_change(JOB_NAME, "Completed"))
    aws_like_sagemaker.fail_next("AddTags", *[throttling()] * MAX_ATTEMPTS)

    with caplog.at_level(logging.ERROR, logger=orchestrator.LOGGER.name):
        assert lambda_aws.job_state.poll(lambda_aws.run) == [
            {"reported": [JOB_NAME], "skipped": []}
        ]
    assert_outcome(only_message(lambda_aws), contract.OutcomeStatus.COMPLETED, JOB_NAME)
    assert _reported_tags(lambda_aws) == []
    assert [r.getMessage() for r in caplog.records] == ["reported-outcome tag not written"]
    assert lambda_aws.job_state.poll(lambda_aws.run) == []  # the record was deleted


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json", "record.body"),
        (json.dumps({"trainingJobName": JOB_NAME}), "record.body"),
        (
            json.dumps(
                dict.fromkeys(contract.REPORT_KEYS, "x")
                | {"trainingJobName": "risk-dev-churn-202611260600", "status": "Completed"}
            ),
            "record.body.trainingJobName",
        ),
        (
            json.dumps(
                dict.fromkeys(contract.REPORT_KEYS, "x")
                | {"trainingJobName": JOB_NAME, "status": "InProgress"}
            ),
            "record.body.status",
        ),
    ],
)
def test_a_malformed_report_raises_so_the_queue_retries_then_dead_letters_it(
    lambda_aws: LambdaAccount, body: str, field: str
) -> None:
    record = {"eventSource": "aws:sqs", "body": body}
    with pytest.raises(invocation.InvalidInvocationError, match=f"{field}: expected"):
        lambda_aws.run({"Records": [record]})
    assert lambda_aws.account.notifications() == []


def test_without_a_quality_gate_a_completed_job_is_reported_completed() -> None:
    # No gate in the environment: `model_gate.run_gate` returns None before any AWS call
    # (clients without a single method would fail any call).
    report = orchestrator.JobReport(JOB_NAME, "arn", "Completed", "Completed", "")
    no_calls = orchestrator.Clients(object(), object())  # type: ignore[arg-type]
    assert orchestrator.outcome_of(report, no_calls, {}) == orchestrator.Outcome(
        contract.OutcomeStatus.COMPLETED, JOB_NAME, ""
    )


# --- The package ---------------------------------------------------------------------------------


def test_the_zip_holds_the_contract_the_pack_owns() -> None:
    # lambda_function/contract.py is a symlink to the pack's file (tests/policy/
    # test_orchestrator_contract.py); the archive reads the file it points to.
    source = lambda_function.ARCHIVE_FILES[f"{lambda_function.PACKAGE}/contract.py"]
    assert not source.is_symlink()
    assert source.parts[-3:] == ("policy", "retraining_policies", "orchestrator_contract.py")


def test_the_package_zip_runs_on_its_own(tmp_path: Any) -> None:
    # The zip holds lambda_function/*.py only; relative imports make it a package of its own.
    for archive_path, source in lambda_function.ARCHIVE_FILES.items():
        target = tmp_path / archive_path
        target.parent.mkdir(exist_ok=True)
        shutil.copy(source, target)
    script = (
        "import json\n"
        "from lambda_function import handler\n"
        "try:\n"
        "    handler.run({'source': 'aws.events'}, {})\n"
        "except handler.InvalidInvocationError as error:\n"
        "    print(json.dumps(sorted({p.field for p in error.problems})))\n"
    )
    completed = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert json.loads(completed.stdout.splitlines()[-1]) == sorted(
        [
            contract.ENV_JOB_NAME_PREFIX,
            contract.ENV_TOPIC_ARN,
            contract.ENV_TEAM,
            contract.ENV_MODEL,
            contract.ENV_ENVIRONMENT,
            contract.ENV_TRAINING_SPEC,
        ]
    )


def test_the_modules_the_stack_imports_need_only_the_standard_library() -> None:
    import ast
    from pathlib import Path

    for name in ("__init__.py", "contract.py", "invocation.py"):
        tree = ast.parse((Path(lambda_function.__file__).parent / name).read_text())
        absolute = {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 0
        } | {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert absolute - {"__future__"} <= sys.stdlib_module_names, name
