"""The job-state rule's event pattern and its queue target's input transformer, against
realistic SageMaker events.

Patterns are matched with moto's EventBridge pattern engine; the transformer is applied with
`apply_input_transformer`, which follows EventBridge's documented substitution rules.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from moto.events.models import EventPattern
from orchestrator_fakes import MissingPathRendering, apply_input_transformer, training_job_arn
from orchestrator_support import ACCOUNT_ID, JOB_NAME_PREFIX, REGION, SAGEMAKER_ROLE_ARN
from retraining_stack import job_state_queue, notification_events

JOB_NAME = f"{JOB_NAME_PREFIX}202611260600"
FAILURE_REASON = (
    'AlgorithmError: ExecuteUserScriptError:\nExitCode 1\nErrorMessage "ValueError: '
    "could not convert string to float: 'n/a'\""
)


def job_state_event(
    job_name: str = JOB_NAME,
    status: str = "Completed",
    secondary_status: str | None = None,
    failure_reason: str | None = None,
    detail_type: str = "SageMaker Training Job State Change",
) -> dict[str, Any]:
    """A SageMaker training job state change event, shaped like the documented example."""
    detail: dict[str, Any] = {
        "TrainingJobName": job_name,
        "TrainingJobArn": training_job_arn(job_name),
        "TrainingJobStatus": status,
        "SecondaryStatus": secondary_status or status,
        "HyperParameters": {"max_depth": "6"},
        "AlgorithmSpecification": {
            "TrainingImage": f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/fraud-xgboost:1.7-1",
            "TrainingInputMode": "File",
        },
        "RoleArn": SAGEMAKER_ROLE_ARN,
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 30,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200},
        "CreationTime": "1764136800000",
        "LastModifiedTime": "1764140400000",
        "SecondaryStatusTransitions": [],
        "Tags": {},
    }
    if failure_reason is not None:
        detail["FailureReason"] = failure_reason
    return {
        "version": "0",
        "id": "844e2571-85d4-695f-b930-0153b71dcb42",
        "detail-type": detail_type,
        "source": "aws.sagemaker",
        "account": ACCOUNT_ID,
        "time": "2026-11-26T07:02:13Z",
        "region": REGION,
        "resources": [training_job_arn(job_name)],
        "detail": detail,
    }


def matches(event: dict[str, Any]) -> bool:
    pattern = notification_events.job_state_event_pattern(JOB_NAME_PREFIX)
    return bool(EventPattern.load(json.dumps(pattern)).matches_event(event))


def render(event: dict[str, Any], missing: MissingPathRendering = "omitted") -> dict[str, Any]:
    rendered = apply_input_transformer(
        job_state_queue.INPUT_PATHS, job_state_queue.INPUT_TEMPLATE, event, missing
    )
    assert isinstance(rendered, dict)
    return rendered


def test_pattern_is_the_contracted_one() -> None:
    assert notification_events.job_state_event_pattern(JOB_NAME_PREFIX) == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Training Job State Change"],
        "detail": {
            "TrainingJobName": [{"prefix": JOB_NAME_PREFIX}],
            "TrainingJobStatus": ["Completed", "Failed", "Stopped"],
        },
    }


@pytest.mark.parametrize(
    ("status", "secondary", "reason"),
    [
        ("Completed", "Completed", None),
        ("Failed", "Failed", FAILURE_REASON),
        ("Stopped", "MaxWaitTimeExceeded", None),  # a spot job that waited too long
        ("Stopped", "Stopped", None),
    ],
)
def test_outcomes_of_this_stacks_jobs_match(
    status: str, secondary: str, reason: str | None
) -> None:
    assert matches(
        job_state_event(status=status, secondary_status=secondary, failure_reason=reason)
    )


@pytest.mark.parametrize("status", ["InProgress", "Stopping"])
def test_transitions_do_not_match(status: str) -> None:
    assert not matches(job_state_event(status=status))


@pytest.mark.parametrize(
    "job_name",
    [
        "risk-dev-scoring-202611260600",  # another team
        "fraud-dev-churn-202611260600",  # another model of the team
        "fraud-scoring-prod-202611260600",  # another environment
        "fraud-scoring-dev2-202611260600",  # a longer environment name sharing the characters
        "Fraud-dev-scoring-202611260600",  # prefix matching is case-sensitive, as in EventBridge
    ],
)
def test_other_jobs_do_not_match(job_name: str) -> None:
    assert not matches(job_state_event(job_name=job_name, status="Failed"))


@pytest.mark.parametrize(
    "detail_type",
    ["SageMaker HyperParameter Tuning Job State Change", "SageMaker Processing Job State Change"],
)
def test_other_sagemaker_events_do_not_match(detail_type: str) -> None:
    assert not matches(job_state_event(status="Completed", detail_type=detail_type))


def test_a_different_source_does_not_match() -> None:
    event = job_state_event()
    event["source"] = "custom.sagemaker"
    assert not matches(event)


@pytest.mark.parametrize("missing", ["omitted", "empty-string", "null"])
def test_completed_report_body_is_stable_without_a_failure_reason(
    missing: MissingPathRendering,
) -> None:
    body = render(job_state_event(status="Completed"), missing)

    assert body == {
        "trainingJobName": JOB_NAME,
        "trainingJobArn": training_job_arn(JOB_NAME),
        "status": "Completed",
        "secondaryStatus": "Completed",
        "failureReason": {"omitted": [], "empty-string": [""], "null": [None]}[missing],
    }


def test_duplicate_events_of_one_state_change_render_the_same_body() -> None:
    # SQS content-based deduplication hashes the body: event id and time must not be in it.
    first = job_state_event(status="Failed", failure_reason=FAILURE_REASON)
    duplicate = copy.deepcopy(first)
    duplicate["id"] = "another-event-id"
    duplicate["time"] = "2026-11-26T07:02:14Z"
    assert render(first) == render(duplicate)


def test_failed_report_carries_a_real_world_failure_reason_intact() -> None:
    # Script errors come with quotes and newlines; they are inserted as a JSON value (escaped).
    reason = FAILURE_REASON + '\nCommand "/usr/local/bin/python3.10 train.py"'
    body = render(job_state_event(status="Failed", failure_reason=reason))

    assert body["status"] == "Failed"
    assert body["failureReason"] == [reason]


def test_stopped_report_says_why() -> None:
    body = render(job_state_event(status="Stopped", secondary_status="MaxWaitTimeExceeded"))

    assert body["status"] == "Stopped"
    assert body["secondaryStatus"] == "MaxWaitTimeExceeded"


def test_only_quote_free_fields_are_placed_inside_strings() -> None:
    # EventBridge inserts values inside quotes unescaped: only fields that cannot contain a quote
    # may go there. FailureReason must be a JSON value.
    paths, template = job_state_queue.INPUT_PATHS, job_state_queue.INPUT_TEMPLATE
    inside_strings = set()
    for line in template.splitlines():
        for string in re.findall(r'"((?:[^"\\]|\\.)*)"', line):
            inside_strings.update(re.findall(r"<([A-Za-z0-9_.-]+)>", string))
    assert "failureReason" in paths
    assert "failureReason" not in inside_strings
    assert inside_strings == set(paths) - {"failureReason"}


def test_transformer_respects_eventbridge_limits() -> None:
    paths, template = job_state_queue.INPUT_PATHS, job_state_queue.INPUT_TEMPLATE
    assert len(paths) <= 100
    assert not any(name.startswith("aws.") for name in paths)
    assert len(template) <= 8192
    used = set(re.findall(r"<([A-Za-z0-9_.-]+)>", template))
    assert used == set(paths)  # every variable is used, every placeholder defined
    assert template.lstrip().startswith("{")  # a JSON template: values are inserted as JSON


def test_bad_arguments_are_rejected_clearly() -> None:
    with pytest.raises(notification_events.NotificationEventsError, match="job_name_prefix"):
        notification_events.job_state_event_pattern("fraud-scoring-dev")
