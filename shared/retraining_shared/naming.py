"""Deterministic resource names, exactly as docs/architecture.md defines them.

Every name that another stack or an IAM policy must know is built here and nowhere else. Each
builder checks the result against the AWS limits of the resource it names, so an over-long or
malformed name fails at program start with a message that says which limit it broke, instead of
failing halfway through `pulumi up`.

Why the identifier rules are as strict as they are:
- `team` and `environment` have no hyphen, and every name starts `<team>-<env>-`, so the IAM
  pattern `training-job/<team>-<env>-*` can never match another team's jobs (`ml-*` would match
  team `ml-ops`) nor another environment's jobs of the same team in a shared account
  (`fraud-dev-*` never matches `fraud-prod-…`).
- team ≤ 16, model ≤ 24, environment ≤ 7 keep the longest training job name
  (`<team>-<env>-<model>-YYYYMMDDHHMM`) at 62 characters, under SageMaker's 63.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime

from retraining_shared import orchestrator_contract


class NamingError(ValueError):
    """A name or identifier breaks our naming rules or an AWS limit. The message says which."""


# --------------------------------------------------------------------------------------------
# Identifiers chosen by people: team, model, environment
# --------------------------------------------------------------------------------------------

TEAM_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,15}$")
MODEL_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$")
ENVIRONMENT_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,6}$")

TEAM_RULE = "2-16 lowercase letters or digits, starting with a letter, no hyphen (e.g. fraud)"
MODEL_RULE = (
    "2-24 lowercase letters, digits or single hyphens, starting with a letter and ending with a "
    "letter or digit (e.g. churn-xgb)"
)
ENVIRONMENT_RULE = (
    "2-7 lowercase letters or digits, starting with a letter (e.g. dev, staging, prod)"
)


def _identifier_problem(
    value: object, pattern: re.Pattern[str], min_length: int, max_length: int
) -> str | None:
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if len(value) < min_length:
        return f"is {len(value)} characters; at least {min_length} are required"
    if len(value) > max_length:
        return f"is {len(value)} characters; at most {max_length} are allowed"
    if not pattern.fullmatch(value):
        return f"has characters or a shape outside {pattern.pattern}"
    return None


def team_problem(value: object) -> str | None:
    """Why `value` is not a valid team identifier, or None if it is."""
    return _identifier_problem(value, TEAM_PATTERN, 2, 16)


def model_problem(value: object) -> str | None:
    """Why `value` is not a valid model identifier, or None if it is."""
    problem = _identifier_problem(value, MODEL_PATTERN, 2, 24)
    if problem is None and isinstance(value, str) and "--" in value:
        # `--` is legal for SageMaker but reads as a separator and breaks prefix reasoning.
        return "contains '--'; use single hyphens"
    return problem


def environment_problem(value: object) -> str | None:
    """Why `value` is not a valid environment identifier, or None if it is."""
    return _identifier_problem(value, ENVIRONMENT_PATTERN, 2, 7)


def validate_team(value: str) -> str:
    """Return `value` if it is a valid team identifier, else raise NamingError."""
    problem = team_problem(value)
    if problem:
        raise NamingError(f"team {value!r} {problem}; allowed: {TEAM_RULE}")
    return value


def validate_model(value: str) -> str:
    """Return `value` if it is a valid model identifier, else raise NamingError."""
    problem = model_problem(value)
    if problem:
        raise NamingError(f"model {value!r} {problem}; allowed: {MODEL_RULE}")
    return value


def validate_environment(value: str) -> str:
    """Return `value` if it is a valid environment identifier, else raise NamingError."""
    problem = environment_problem(value)
    if problem:
        raise NamingError(f"environment {value!r} {problem}; allowed: {ENVIRONMENT_RULE}")
    return value


def validate_account_id(value: str) -> str:
    """An AWS account id is exactly 12 digits (it is part of bucket names)."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{12}", value):
        raise NamingError(f"AWS account id {value!r} must be exactly 12 digits")
    return value


# --------------------------------------------------------------------------------------------
# AWS name limits
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameRule:
    """The length and character limits AWS puts on one kind of name."""

    kind: str
    min_length: int
    max_length: int
    pattern: re.Pattern[str]
    characters: str

    def problem(self, name: str) -> str | None:
        if len(name) < self.min_length or len(name) > self.max_length:
            return (
                f"{self.kind} {name!r} is {len(name)} characters; AWS allows "
                f"{self.min_length}-{self.max_length}"
            )
        if not self.pattern.fullmatch(name):
            return f"{self.kind} {name!r} may only contain {self.characters}"
        return None

    def check(self, name: str) -> str:
        problem = self.problem(name)
        if problem:
            raise NamingError(problem)
        return name


IAM_ROLE_NAME = NameRule(
    "IAM role name", 1, 64, re.compile(r"[\w+=,.@-]+"), "letters, digits and +=,.@_-"
)
SNS_TOPIC_NAME = NameRule(
    "SNS topic name", 1, 256, re.compile(r"[A-Za-z0-9_-]+"), "letters, digits, '-' and '_'"
)
LAMBDA_FUNCTION_NAME = NameRule(
    "Lambda function name", 1, 64, re.compile(r"[A-Za-z0-9_-]+"), "letters, digits, '-' and '_'"
)
STATE_MACHINE_NAME = NameRule(
    "Step Functions state machine name",
    1,
    80,
    re.compile(r"[A-Za-z0-9_-]+"),
    "letters, digits, '-' and '_'",
)
SQS_QUEUE_NAME = NameRule(
    "SQS queue name", 1, 80, re.compile(r"[A-Za-z0-9_-]+"), "letters, digits, '-' and '_'"
)
# A FIFO queue's name ends in ".fifo", within the same 80 characters (SQS API reference,
# CreateQueue, QueueName): the stem before the suffix gets 75.
SQS_FIFO_SUFFIX = ".fifo"
SQS_FIFO_QUEUE_STEM = NameRule(
    "SQS FIFO queue name (before .fifo)",
    1,
    80 - len(SQS_FIFO_SUFFIX),
    re.compile(r"[A-Za-z0-9_-]+"),
    "letters, digits, '-' and '_'",
)
LOG_GROUP_NAME = NameRule(
    "CloudWatch log group name",
    1,
    512,
    re.compile(r"[.\-_/#A-Za-z0-9]+"),
    "letters, digits and ._-/#",
)
EVENT_RULE_NAME = NameRule(
    "EventBridge rule name", 1, 64, re.compile(r"[.\-_A-Za-z0-9]+"), "letters, digits and ._-"
)
SCHEDULE_NAME = NameRule(
    "EventBridge Scheduler schedule name",
    1,
    64,
    re.compile(r"[.\-_A-Za-z0-9]+"),
    "letters, digits and ._-",
)
CLOUDWATCH_ALARM_NAME = NameRule(
    "CloudWatch alarm name", 1, 255, re.compile(r"[ -~]+"), "printable ASCII characters"
)
KMS_ALIAS_NAME = NameRule(
    "KMS alias name",
    7,
    256,
    re.compile(r"alias/[A-Za-z0-9/_-]+"),
    "'alias/' followed by letters, digits and /_-",
)
TRAINING_JOB_NAME = NameRule(
    "SageMaker training job name",
    1,
    63,
    re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*"),
    "letters, digits and hyphens, starting and ending with a letter or digit",
)
MODEL_PACKAGE_GROUP_NAME = NameRule(
    "SageMaker model package group name",
    1,
    63,
    re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"),
    "letters, digits and hyphens, starting and ending with a letter or digit",
)
"""CreateModelPackageGroup API reference, ModelPackageGroupName."""
S3_BUCKET_NAME_LENGTH = (3, 63)


def check_bucket_name(name: str) -> str:
    """S3 general purpose bucket naming rules (the ones a generated name can break)."""
    low, high = S3_BUCKET_NAME_LENGTH
    if not low <= len(name) <= high:
        raise NamingError(f"S3 bucket name {name!r} is {len(name)} characters; AWS allows 3-63")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name):
        raise NamingError(
            f"S3 bucket name {name!r} may only contain lowercase letters, digits, '.' and '-', "
            "and must start and end with a letter or digit"
        )
    if ".." in name:
        raise NamingError(f"S3 bucket name {name!r} must not contain two adjacent periods")
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        raise NamingError(f"S3 bucket name {name!r} must not be formatted as an IP address")
    reserved_prefixes = ("xn--", "sthree-", "amzn-s3-demo-")
    reserved_suffixes = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
    if name.startswith(reserved_prefixes) or name.endswith(reserved_suffixes):
        raise NamingError(f"S3 bucket name {name!r} uses a prefix or suffix AWS reserves")
    return name


# --------------------------------------------------------------------------------------------
# Per team and environment (network-iam, notifications)
# --------------------------------------------------------------------------------------------


def team_resource_pattern(team: str) -> str:
    """`<team>-*`: every resource of the team in every environment. Only for what is shared
    across environments on purpose (the team's ECR training images, promoted dev → prod)."""
    return f"{validate_team(team)}-*"


def team_environment_pattern(team: str, environment: str) -> str:
    """`<team>-<env>-*`: every resource the team owns in one environment, and nothing of another
    team or environment (neither identifier may contain a hyphen)."""
    return f"{_team_env(team, environment)}-*"


def training_job_name_prefix_pattern(team: str, environment: str) -> str:
    """The training-job name pattern IAM grants a team in one environment: `<team>-<env>-*`."""
    return team_environment_pattern(team, environment)


def _team_env(team: str, environment: str) -> str:
    return f"{validate_team(team)}-{validate_environment(environment)}"


def sagemaker_execution_role_name(team: str, environment: str) -> str:
    return IAM_ROLE_NAME.check(f"{_team_env(team, environment)}-sagemaker-execution")


def lambda_orchestrator_role_name(team: str, environment: str) -> str:
    return IAM_ROLE_NAME.check(f"{_team_env(team, environment)}-lambda-orchestrator")


def step_functions_orchestrator_role_name(team: str, environment: str) -> str:
    return IAM_ROLE_NAME.check(f"{_team_env(team, environment)}-sfn-orchestrator")


def schedule_invoker_role_name(team: str, environment: str) -> str:
    return IAM_ROLE_NAME.check(f"{_team_env(team, environment)}-schedule-invoker")


def data_bucket_name(team: str, environment: str, account_id: str) -> str:
    validate_account_id(account_id)
    return check_bucket_name(f"{_team_env(team, environment)}-{account_id}-training-data")


def artifact_bucket_name(team: str, environment: str, account_id: str) -> str:
    validate_account_id(account_id)
    return check_bucket_name(f"{_team_env(team, environment)}-{account_id}-model-artifacts")


def team_kms_alias_name(team: str, environment: str) -> str:
    return KMS_ALIAS_NAME.check(f"alias/{_team_env(team, environment)}-retraining")


def notification_topic_name(team: str, environment: str) -> str:
    return SNS_TOPIC_NAME.check(f"{_team_env(team, environment)}-retraining-notifications")


def notification_dead_letter_queue_name(team: str, environment: str) -> str:
    """The SQS queue that keeps notifications SNS could not deliver to a subscriber."""
    return SQS_QUEUE_NAME.check(f"{_team_env(team, environment)}-retraining-notifications-dlq")


def notifications_kms_alias_name(environment: str) -> str:
    """The one key that encrypts every team topic of an environment (not team-owned)."""
    return KMS_ALIAS_NAME.check(
        f"alias/retraining-notifications-{validate_environment(environment)}"
    )


# --------------------------------------------------------------------------------------------
# Per team, model and environment (retraining)
# --------------------------------------------------------------------------------------------


def base_name(team: str, model: str, environment: str) -> str:
    """`<team>-<env>-<model>`: the stem of every name a retraining stack creates. Team and
    environment come first so that the IAM patterns `<team>-<env>-*` cover them."""
    return f"{_team_env(team, environment)}-{validate_model(model)}"


ORCHESTRATOR_FUNCTION_SUFFIX = "-orchestrator"
"""The Lambda orchestrator is `<base>-orchestrator`: the schedule-invoker role may invoke only
`function:<team>-<env>-*-orchestrator`, never the gate function `<base>-model-gate`."""


def orchestrator_function_name(team: str, model: str, environment: str) -> str:
    base = base_name(team, model, environment)
    return LAMBDA_FUNCTION_NAME.check(f"{base}{ORCHESTRATOR_FUNCTION_SUFFIX}")


def orchestrator_log_group_name(team: str, model: str, environment: str) -> str:
    """The Lambda orchestrator's log group; the stack creates it, so the role needs no
    logs:CreateLogGroup."""
    function = orchestrator_function_name(team, model, environment)
    return LOG_GROUP_NAME.check(f"/aws/lambda/{function}")


def state_machine_name(team: str, model: str, environment: str) -> str:
    return STATE_MACHINE_NAME.check(f"{base_name(team, model, environment)}-orchestrator")


def schedule_rule_name(team: str, model: str, environment: str) -> str:
    return EVENT_RULE_NAME.check(f"{base_name(team, model, environment)}-schedule")


def schedule_name(team: str, model: str, environment: str) -> str:
    return SCHEDULE_NAME.check(f"{base_name(team, model, environment)}-schedule")


def job_state_rule_name(team: str, model: str, environment: str) -> str:
    return EVENT_RULE_NAME.check(f"{base_name(team, model, environment)}-job-state")


def schedule_dead_letter_queue_name(team: str, model: str, environment: str) -> str:
    return SQS_QUEUE_NAME.check(f"{base_name(team, model, environment)}-schedule-dlq")


def orchestrator_dead_letter_queue_name(team: str, model: str, environment: str) -> str:
    """The Lambda orchestrator's on-failure destination (asynchronous invocations)."""
    return SQS_QUEUE_NAME.check(f"{base_name(team, model, environment)}-orchestrator-dlq")


def job_state_queue_name(team: str, model: str, environment: str) -> str:
    """Lambda mode: the FIFO queue between the job-state rule and the orchestrator function."""
    stem = SQS_FIFO_QUEUE_STEM.check(f"{base_name(team, model, environment)}-job-state")
    return stem + SQS_FIFO_SUFFIX


def job_state_dead_letter_queue_name(team: str, model: str, environment: str) -> str:
    """The job-state queue's dead-letter queue (FIFO too: a FIFO queue's DLQ must be FIFO)."""
    stem = SQS_FIFO_QUEUE_STEM.check(f"{base_name(team, model, environment)}-job-state-dlq")
    return stem + SQS_FIFO_SUFFIX


def alarm_name(team: str, model: str, environment: str, purpose: str) -> str:
    """`<base>-<purpose>`: the notifications topic policy lets alarms named `<team>-<env>-*`
    publish."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", purpose):
        raise NamingError(f"alarm purpose {purpose!r} must be lowercase letters, digits, '-'")
    return CLOUDWATCH_ALARM_NAME.check(f"{base_name(team, model, environment)}-{purpose}")


def model_package_group_name(team: str, model: str, environment: str) -> str:
    """`<team>-<env>-<model>`: the Model Registry group the quality gate registers versions in;
    IAM grants a team `model-package-group/<team>-<env>-*` and `model-package/<team>-<env>-*/*`
    (a version's ARN is `model-package/<group>/<version>`)."""
    return MODEL_PACKAGE_GROUP_NAME.check(base_name(team, model, environment))


def model_gate_function_name(team: str, model: str, environment: str) -> str:
    """The gate function a Step Functions orchestrator invokes as a Lambda task."""
    suffix = orchestrator_contract.MODEL_GATE_FUNCTION_SUFFIX
    return LAMBDA_FUNCTION_NAME.check(f"{base_name(team, model, environment)}{suffix}")


def model_gate_log_group_name(team: str, model: str, environment: str) -> str:
    """The gate function's log group; the stack creates it (as the orchestrator's)."""
    function = model_gate_function_name(team, model, environment)
    return LOG_GROUP_NAME.check(f"/aws/lambda/{function}")


def training_job_name_prefix(team: str, model: str, environment: str) -> str:
    """`<team>-<env>-<model>-`: every training job of this stack starts with it."""
    return f"{base_name(team, model, environment)}-"


def training_job_name(team: str, model: str, environment: str, scheduled_for: datetime) -> str:
    """The job name for one scheduled occurrence: prefix + `YYYYMMDDHHMM` (UTC).

    The name is the idempotency key of CreateTrainingJob (it has no client token): a repeated
    delivery of the same occurrence produces the same name, and AWS answers ResourceInUse.
    A naive datetime is refused: guessing its zone could start a job twice.
    """
    try:
        name = orchestrator_contract.training_job_name(
            training_job_name_prefix(team, model, environment), scheduled_for
        )
    except ValueError as error:
        raise NamingError(f"{error} (EventBridge event 'time' is UTC)") from error
    return TRAINING_JOB_NAME.check(name)
