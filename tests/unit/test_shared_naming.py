"""retraining_shared.naming: the names of docs/architecture.md and the AWS limits behind them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from fnmatch import fnmatchcase

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from retraining_shared import naming
from retraining_shared.naming import NamingError
from suite_profiles import examples

TEAMS = st.from_regex(r"[a-z][a-z0-9]{1,15}", fullmatch=True)
MODELS = st.from_regex(r"[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,22}[a-z0-9]", fullmatch=True).filter(
    lambda m: len(m) <= 24 and "--" not in m
)
ENVIRONMENTS = st.from_regex(r"[a-z][a-z0-9]{1,6}", fullmatch=True)
OCCURRENCES = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2199, 12, 31), timezones=st.just(UTC)
)
SAGEMAKER_JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")


@pytest.mark.parametrize("team", ["fraud", "ab", "team1", "a234567890123456"])
def test_valid_teams_are_accepted(team: str) -> None:
    assert naming.validate_team(team) == team


@pytest.mark.parametrize(
    ("team", "reason"),
    [
        ("ml-ops", "shape"),  # a hyphen would let `ml-*` reach team `ml-ops`
        ("a", "at least 2"),
        ("a2345678901234567", "at most 16"),
        ("Fraud", "shape"),
        ("1fraud", "shape"),
        ("", "at least 2"),
    ],
)
def test_invalid_teams_are_refused_with_the_reason(team: str, reason: str) -> None:
    with pytest.raises(NamingError, match=reason) as error:
        naming.validate_team(team)
    assert repr(team) in str(error.value)
    assert naming.TEAM_RULE in str(error.value)


@pytest.mark.parametrize("model", ["churn", "churn-xgb", "a1", "x" * 24])
def test_valid_models_are_accepted(model: str) -> None:
    assert naming.validate_model(model) == model


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        ("churn--xgb", "'--'"),
        ("-churn", "shape"),
        ("churn-", "shape"),
        ("x" * 25, "at most 24"),
        ("Churn", "shape"),
        ("c", "at least 2"),
    ],
)
def test_invalid_models_are_refused_with_the_reason(model: str, reason: str) -> None:
    with pytest.raises(NamingError, match=reason):
        naming.validate_model(model)


@pytest.mark.parametrize(
    ("environment", "valid"),
    [("dev", True), ("staging", True), ("prod", True), ("prod-eu", False), ("d", False)],
)
def test_environments(environment: str, valid: bool) -> None:
    assert (naming.environment_problem(environment) is None) is valid


def test_network_iam_and_notifications_names_follow_the_contract() -> None:
    account = "123456789012"
    assert naming.sagemaker_execution_role_name("fraud", "dev") == "fraud-dev-sagemaker-execution"
    assert naming.lambda_orchestrator_role_name("fraud", "dev") == "fraud-dev-lambda-orchestrator"
    assert (
        naming.step_functions_orchestrator_role_name("fraud", "dev") == "fraud-dev-sfn-orchestrator"
    )
    assert naming.schedule_invoker_role_name("fraud", "dev") == "fraud-dev-schedule-invoker"
    assert naming.data_bucket_name("fraud", "dev", account) == f"fraud-dev-{account}-training-data"
    assert (
        naming.artifact_bucket_name("fraud", "dev", account)
        == f"fraud-dev-{account}-model-artifacts"
    )
    assert naming.team_kms_alias_name("fraud", "dev") == "alias/fraud-dev-retraining"
    assert naming.notification_topic_name("fraud", "dev") == "fraud-dev-retraining-notifications"
    assert (
        naming.notification_dead_letter_queue_name("fraud", "dev")
        == "fraud-dev-retraining-notifications-dlq"
    )
    assert naming.notifications_kms_alias_name("dev") == "alias/retraining-notifications-dev"


def test_retraining_names_follow_the_contract() -> None:
    args = ("fraud", "churn-xgb", "prod")
    base = "fraud-prod-churn-xgb"
    assert naming.base_name(*args) == base
    assert naming.orchestrator_function_name(*args) == f"{base}-orchestrator"
    assert naming.orchestrator_log_group_name(*args) == f"/aws/lambda/{base}-orchestrator"
    assert naming.state_machine_name(*args) == f"{base}-orchestrator"
    assert naming.schedule_rule_name(*args) == f"{base}-schedule"
    assert naming.schedule_name(*args) == f"{base}-schedule"
    assert naming.job_state_rule_name(*args) == f"{base}-job-state"
    assert naming.schedule_dead_letter_queue_name(*args) == f"{base}-schedule-dlq"
    assert naming.orchestrator_dead_letter_queue_name(*args) == f"{base}-orchestrator-dlq"
    assert naming.alarm_name(*args, "lambda-errors") == f"{base}-lambda-errors"
    assert naming.training_job_name_prefix(*args) == f"{base}-"
    assert naming.training_job_name_prefix_pattern("fraud", "prod") == "fraud-prod-*"


def test_the_longest_names_fit_every_aws_limit() -> None:
    team, model, environment = "t" * 16, "m" * 24, "e" * 7
    occurrence = datetime(2199, 12, 31, 23, 59, tzinfo=UTC)
    job = naming.training_job_name(team, model, environment, occurrence)
    assert len(job) == 62
    assert len(naming.orchestrator_function_name(team, model, environment)) <= 64
    assert len(naming.schedule_rule_name(team, model, environment)) <= 64
    assert len(naming.schedule_name(team, model, environment)) <= 64
    assert len(naming.sagemaker_execution_role_name(team, environment)) <= 64
    assert len(naming.data_bucket_name(team, environment, "123456789012")) <= 63
    assert len(naming.artifact_bucket_name(team, environment, "123456789012")) <= 63


def test_job_name_is_the_utc_minute_of_the_occurrence() -> None:
    berlin_summer = timezone(timedelta(hours=2))
    occurrence = datetime(2025, 6, 1, 8, 30, 59, tzinfo=berlin_summer)
    assert naming.training_job_name("fraud", "churn", "dev", occurrence) == (
        "fraud-dev-churn-202506010630"
    )


def test_job_name_refuses_a_naive_datetime() -> None:
    with pytest.raises(NamingError, match="no time zone"):
        naming.training_job_name("fraud", "churn", "dev", datetime(2025, 6, 1, 6, 30))


@settings(max_examples=examples(200), deadline=None)
@given(team=TEAMS, model=MODELS, environment=ENVIRONMENTS, occurrence=OCCURRENCES)
def test_every_job_name_is_a_valid_sagemaker_name_with_the_team_prefix(
    team: str, model: str, environment: str, occurrence: datetime
) -> None:
    job = naming.training_job_name(team, model, environment, occurrence)
    assert len(job) <= 63
    assert SAGEMAKER_JOB_NAME.fullmatch(job)
    assert job.startswith(naming.training_job_name_prefix(team, model, environment))
    assert fnmatchcase(job, naming.training_job_name_prefix_pattern(team, environment))


@settings(max_examples=examples(300), deadline=None)
@given(owner=TEAMS, other=TEAMS, model=MODELS, environment=ENVIRONMENTS)
def test_a_team_pattern_never_matches_another_teams_names(
    owner: str, other: str, model: str, environment: str
) -> None:
    """The isolation IAM relies on: `<owner>-*` matches no name of a different team."""
    pattern = naming.team_resource_pattern(owner)
    names = [
        naming.training_job_name(other, model, environment, datetime(2030, 1, 1, tzinfo=UTC)),
        naming.orchestrator_function_name(other, model, environment),
        naming.state_machine_name(other, model, environment),
        naming.schedule_dead_letter_queue_name(other, model, environment),
        naming.notification_topic_name(other, environment),
    ]
    assert all(fnmatchcase(name, pattern) == (owner == other) for name in names)


@pytest.mark.parametrize(
    ("rule", "limit"),
    [
        (naming.IAM_ROLE_NAME, 64),
        (naming.SNS_TOPIC_NAME, 256),
        (naming.LAMBDA_FUNCTION_NAME, 64),
        (naming.STATE_MACHINE_NAME, 80),
        (naming.SQS_QUEUE_NAME, 80),
        (naming.LOG_GROUP_NAME, 512),
        (naming.EVENT_RULE_NAME, 64),
        (naming.SCHEDULE_NAME, 64),
        (naming.TRAINING_JOB_NAME, 63),
    ],
)
def test_aws_length_limits_are_enforced_with_a_clear_message(
    rule: naming.NameRule, limit: int
) -> None:
    assert rule.check("a" * limit) == "a" * limit
    with pytest.raises(NamingError) as error:
        rule.check("a" * (limit + 1))
    message = str(error.value)
    assert rule.kind in message
    assert f"{limit + 1} characters" in message
    assert f"-{limit}" in message


def test_character_rules_are_enforced() -> None:
    with pytest.raises(NamingError, match="may only contain"):
        naming.LAMBDA_FUNCTION_NAME.check("fraud churn")
    with pytest.raises(NamingError, match="may only contain"):
        naming.IAM_ROLE_NAME.check("fraud/role")


@pytest.mark.parametrize(
    ("bucket", "reason"),
    [
        ("ab", "3-63"),
        ("a" * 64, "3-63"),
        ("Fraud-data", "lowercase"),
        ("fraud..data", "adjacent periods"),
        ("192.168.1.10", "IP address"),
        ("xn--fraud", "reserves"),
        ("fraud-s3alias", "reserves"),
        ("-fraud", "lowercase"),
    ],
)
def test_bucket_names_are_checked(bucket: str, reason: str) -> None:
    with pytest.raises(NamingError, match=reason):
        naming.check_bucket_name(bucket)


def test_bucket_names_need_a_twelve_digit_account() -> None:
    with pytest.raises(NamingError, match="12 digits"):
        naming.data_bucket_name("fraud", "dev", "1234")
