"""The retraining stack's settings: declared, validated all at once, before any resource exists.

Every key lives in the `retraining:` namespace (see README.md). Field order matters: pydantic
validates fields in declaration order, and the cross-field checks (schedule against its kind,
time zone and flexible window against the kind, spot max wait against max runtime, the Lambda's
reserved concurrency and environment size against the orchestrator) read the fields declared
before them. That keeps every problem in one ConfigError: a bad schedule and a bad training
setting are reported together, which a model-level validator (it runs only when every field is
valid) could not do.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import ValidationInfo, field_validator
from retraining_shared import naming
from retraining_shared import sagemaker_instance_types as instance_types
from retraining_shared import schedule_grammar as grammar
from retraining_shared.config import (
    ConfigModel,
    EnvironmentName,
    ModelName,
    TeamName,
    invalid,
    load_config,
    setting,
)
from retraining_shared.orchestrator_contract import ENV_TRAINING_SPEC
from retraining_shared.stack_outputs import with_upstream_stack_names

PROJECT = "retraining"

MAX_RUNTIME_LIMIT_SECONDS = 28 * 24 * 3600
"""SageMaker's ceiling for StoppingCondition.MaxRuntimeInSeconds (28 days)."""
MAX_VOLUME_SIZE_GB = 16384
MAX_FLEXIBLE_WINDOW_MINUTES = 1440
NO_LAMBDA_RESERVATION = -1
"""Lambda's (and pulumi-aws's) value for "no reserved concurrency": the function draws on the
account's unreserved pool."""
DEFAULT_LAMBDA_RESERVED_CONCURRENCY = NO_LAMBDA_RESERVATION
"""No reservation by default. Lambda refuses a reservation that leaves the account's unreserved
concurrency below its minimum ("You can reserve up to the Unreserved account concurrency value
minus 100", AWS Lambda developer guide, "Configuring reserved concurrency for a function"; the
API error names the account's minimum, which is lower on accounts with a lower quota): on a new
account whose concurrency quota is 10, any reservation fails `pulumi up`. Exactly one training
job per scheduled occurrence does not need it: the job name is derived from the occurrence and
a second start gets ResourceInUse (docs/architecture.md). Set 1 on accounts with room to also
keep two invocations from overlapping."""
MAX_LAMBDA_RESERVED_CONCURRENCY = 1000
"""Lambda's default account concurrency quota; a reservation can never exceed the quota."""
LAMBDA_RESERVED_CONCURRENCY_RULE = (
    f"{NO_LAMBDA_RESERVATION} for no reservation (the default), or 1-"
    f"{MAX_LAMBDA_RESERVED_CONCURRENCY} where the account's unreserved concurrency minus the "
    "reservation stays at or above Lambda's minimum (100 on accounts with the default quota)"
)
MAX_CHANNELS = 20
MAX_HYPERPARAMETERS = 100
MAX_HYPERPARAMETER_KEY = 256
MAX_HYPERPARAMETER_VALUE = 2500
MAX_ENVIRONMENT_ENTRIES = 100
MAX_ENVIRONMENT_KEY = 512
MAX_ENVIRONMENT_VALUE = 512
MAX_S3_PREFIX = 900
"""S3 keys are at most 1024 bytes; the rest is headroom for what the training job appends."""

STACK_NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
STACK_NAME_RULE = "<organization>/<project>/<stack>, e.g. organization/network-iam/dev"
INSTANCE_TYPE_RULE = (
    "a SageMaker training instance type (TrainingInstanceType), e.g. ml.m5.xlarge, ml.g5.2xlarge"
)
ECR_IMAGE_PATTERN = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@sha256:(?P<digest>[a-f0-9]{64}))"
)
ECR_IMAGE_RULE = (
    "an ECR image URI with an explicit tag or digest: "
    "<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> or ...@sha256:<digest>"
)
S3_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9!_.*'()-]+(?:/[A-Za-z0-9!_.*'()-]+)*/")
S3_PREFIX_RULE = (
    "a key prefix inside the team bucket, without a leading '/', ending with '/', made of "
    "letters, digits and !_.*'()- (e.g. scoring/train/)"
)
CHANNEL_NAME_PATTERN = re.compile(r"[A-Za-z0-9.\-_]{1,64}")
ENVIRONMENT_KEY_PATTERN = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def s3_prefix_problem(value: str) -> str | None:
    if len(value) > MAX_S3_PREFIX:
        return f"is {len(value)} characters; at most {MAX_S3_PREFIX} are allowed"
    if not S3_PREFIX_PATTERN.fullmatch(value):
        return "is not a key prefix of the form this stack accepts"
    if any(part in (".", "..") for part in value.split("/")):
        return "contains a '.' or '..' path segment"
    return None


def _checked_prefix(value: str | None) -> str | None:
    if value is None:
        return None
    problem = s3_prefix_problem(value)
    if problem:
        raise invalid(problem, S3_PREFIX_RULE)
    return value


# --------------------------------------------------------------------------------------------
# The structured `training` setting
# --------------------------------------------------------------------------------------------


class InputChannelSettings(ConfigModel):
    """One training input channel, read from the team's data bucket."""

    prefix: str = setting(
        description="Key prefix inside the team's data bucket (s3://<data bucket>/<prefix>).",
        allowed=S3_PREFIX_RULE,
    )
    content_type: str | None = setting(
        None, description="MIME type of the channel's data, e.g. text/csv.", max_length=256
    )
    input_mode: Literal["File", "FastFile", "Pipe"] = setting(
        "File", description="How SageMaker presents the data to the container."
    )
    distribution: Literal["FullyReplicated", "ShardedByS3Key"] = setting(
        "FullyReplicated", description="How the data is split across instances."
    )

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        checked = _checked_prefix(value)
        assert checked is not None  # noqa: S101 - a str in is a str out
        return checked


class SpotSettings(ConfigModel):
    """Managed spot training: cheaper, interruptible, resumed from checkpoints."""

    enabled: bool = setting(True, description="Use managed spot instances.")
    max_wait_seconds: int | None = setting(
        None,
        description=(
            "MaxWaitTimeInSeconds: runtime plus time spent waiting for spot capacity "
            "(default: twice maxRuntimeSeconds)."
        ),
        ge=1,
    )
    checkpoint_prefix: str | None = setting(
        None,
        description="Checkpoint key prefix in the artifact bucket (default <model>/checkpoints/).",
        allowed=S3_PREFIX_RULE,
    )

    @field_validator("checkpoint_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        return _checked_prefix(value)


MAX_METRIC_DEFINITIONS = 40
MAX_METRIC_NAME = 255
MAX_METRIC_REGEX = 500
"""CreateTrainingJob API reference, AlgorithmSpecification.MetricDefinitions: at most 40, each a
Name of 1-255 and a Regex of 1-500 characters."""
METRIC_REGEX_RULE = (
    "a regular expression of 1-500 characters with a capture group around the value, e.g. "
    "validation-auc:([0-9\\.]+)"
)


class MetricDefinitionSettings(ConfigModel):
    """A metric a custom training image prints to its logs: SageMaker extracts it with `regex`
    (the first capture group is the value) and reports it in FinalMetricDataList as `name`."""

    name: str = setting(
        description="The metric's name, e.g. validation:auc.",
        min_length=1,
        max_length=MAX_METRIC_NAME,
    )
    regex: str = setting(
        description="Regular expression over the job's log lines; group 1 is the value.",
        allowed=METRIC_REGEX_RULE,
        min_length=1,
        max_length=MAX_METRIC_REGEX,
    )

    @field_validator("regex")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            groups = re.compile(value).groups
        except re.error as error:
            raise invalid(f"is not a regular expression ({error})", METRIC_REGEX_RULE) from None
        if groups < 1:
            raise invalid("has no capture group around the value", METRIC_REGEX_RULE)
        return value


class TrainingSettings(ConfigModel):
    """The SageMaker training job each scheduled occurrence starts."""

    image: str = setting(description="Training image in ECR.", allowed=ECR_IMAGE_RULE)
    instance_type: str = setting(
        "ml.m5.xlarge", description="ML compute instance type.", allowed=INSTANCE_TYPE_RULE
    )
    instance_count: int = setting(1, description="Number of instances.", ge=1)
    volume_size_gb: int = setting(
        50, description="Training volume size in GB.", ge=1, le=MAX_VOLUME_SIZE_GB
    )
    max_runtime_seconds: int = setting(
        14400,
        description="MaxRuntimeInSeconds: the job is stopped after this long (cost bound).",
        ge=1,
        le=MAX_RUNTIME_LIMIT_SECONDS,
        allowed=f"1-{MAX_RUNTIME_LIMIT_SECONDS} (SageMaker's limit is 28 days)",
    )
    spot: SpotSettings = setting(
        SpotSettings(), description="Managed spot training and checkpointing."
    )
    hyperparameters: dict[str, Any] = setting(
        {}, description="Hyperparameters (strings, numbers or booleans; sent as strings)."
    )
    input_channels: dict[str, InputChannelSettings] | None = setting(
        None, description="Input channels by name (default: train → <model>/train/)."
    )
    output_prefix: str | None = setting(
        None,
        description="Model artifact key prefix in the artifact bucket (default <model>/output/).",
        allowed=S3_PREFIX_RULE,
    )
    environment: dict[str, str] = setting(
        {}, description="Environment variables of the training container."
    )
    network_isolation: bool = setting(
        True, description="EnableNetworkIsolation: the container gets no network access."
    )
    inter_container_encryption: bool = setting(
        True, description="EnableInterContainerTrafficEncryption for distributed training."
    )
    metric_definitions: list[MetricDefinitionSettings] = setting(
        [],
        description=(
            "Metrics a custom image reports (AlgorithmSpecification.MetricDefinitions); the "
            "quality gate judges one of them."
        ),
        max_length=MAX_METRIC_DEFINITIONS,
    )

    @field_validator("metric_definitions")
    @classmethod
    def _unique_metric_names(
        cls, value: list[MetricDefinitionSettings]
    ) -> list[MetricDefinitionSettings]:
        names = [definition.name for definition in value]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise invalid(f"defines {', '.join(repeated)} more than once", "each metric name once")
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not ECR_IMAGE_PATTERN.fullmatch(value):
            raise invalid("is not an ECR image URI with a tag or digest", ECR_IMAGE_RULE)
        return value

    @field_validator("instance_type")
    @classmethod
    def _instance_type(cls, value: str) -> str:
        problem = instance_types.instance_type_problem(value)
        if problem:
            raise invalid(problem, INSTANCE_TYPE_RULE)
        return value

    @field_validator("volume_size_gb")
    @classmethod
    def _volume_size(cls, value: int, info: ValidationInfo) -> int:
        instance_type = info.data.get("instance_type")
        problem = (
            instance_types.volume_size_problem(instance_type, value)
            if isinstance(instance_type, str)
            else None
        )
        if problem:
            local = instance_types.local_storage_gb(str(instance_type))
            raise invalid(problem, f"1-{local} GB on {instance_type}")
        return value

    @field_validator("spot")
    @classmethod
    def _spot_wait(cls, value: SpotSettings, info: ValidationInfo) -> SpotSettings:
        runtime = info.data.get("max_runtime_seconds")
        wait = value.max_wait_seconds
        if value.enabled and isinstance(runtime, int) and wait is not None and wait <= runtime:
            raise invalid(
                f"maxWaitSeconds ({wait}) must be greater than "
                f"maxRuntimeSeconds ({runtime}): with spot, MaxWait counts the time spent "
                "waiting for capacity plus the runtime, so an equal or smaller value leaves "
                "no time to wait and the job is stopped before it can finish",
                f"maxWaitSeconds > {runtime}",
            )
        return value

    @field_validator("hyperparameters")
    @classmethod
    def _hyperparameters(cls, value: dict[str, Any]) -> dict[str, Any]:
        problems: list[str] = []
        if len(value) > MAX_HYPERPARAMETERS:
            problems.append(f"has {len(value)} entries; SageMaker allows {MAX_HYPERPARAMETERS}")
        for key, item in value.items():
            if not 1 <= len(key) <= MAX_HYPERPARAMETER_KEY:
                problems.append(f"key {key!r} must be 1-{MAX_HYPERPARAMETER_KEY} characters")
            if isinstance(item, dict | list) or item is None:
                problems.append(f"{key!r} must be a string, number or boolean")
            elif len(hyperparameter_text(item)) > MAX_HYPERPARAMETER_VALUE:
                problems.append(f"{key!r} is longer than {MAX_HYPERPARAMETER_VALUE} characters")
        if problems:
            raise invalid("; ".join(problems), "strings, numbers or booleans")
        return value

    @field_validator("input_channels")
    @classmethod
    def _channels(
        cls, value: dict[str, InputChannelSettings] | None
    ) -> dict[str, InputChannelSettings] | None:
        if value is None:
            return None
        if not 1 <= len(value) <= MAX_CHANNELS:
            raise invalid(f"has {len(value)} channels", f"1-{MAX_CHANNELS} channels")
        bad = [name for name in value if not CHANNEL_NAME_PATTERN.fullmatch(name)]
        if bad:
            raise invalid(
                f"channel name(s) {', '.join(repr(b) for b in bad)} are not valid",
                "1-64 letters, digits and .-_",
            )
        return value

    @field_validator("output_prefix")
    @classmethod
    def _output_prefix(cls, value: str | None) -> str | None:
        return _checked_prefix(value)

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: dict[str, str]) -> dict[str, str]:
        problems: list[str] = []
        if len(value) > MAX_ENVIRONMENT_ENTRIES:
            problems.append(f"has {len(value)} entries; SageMaker allows {MAX_ENVIRONMENT_ENTRIES}")
        for key, item in value.items():
            if len(key) > MAX_ENVIRONMENT_KEY or not ENVIRONMENT_KEY_PATTERN.fullmatch(key):
                problems.append(f"name {key!r} is not a valid variable name")
            if len(item) > MAX_ENVIRONMENT_VALUE:
                problems.append(f"{key!r} is longer than {MAX_ENVIRONMENT_VALUE} characters")
        if problems:
            raise invalid(
                "; ".join(problems),
                f"names matching [a-zA-Z_][a-zA-Z0-9_]* (≤ {MAX_ENVIRONMENT_KEY}), string "
                f"values ≤ {MAX_ENVIRONMENT_VALUE} characters",
            )
        return value


def hyperparameter_text(value: Any) -> str:
    """SageMaker takes hyperparameters as strings; YAML gives numbers and booleans too."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --------------------------------------------------------------------------------------------
# The stack's settings
# --------------------------------------------------------------------------------------------


ScheduleKind = Literal["rule", "scheduler"]
Orchestrator = Literal["lambda", "stepfunctions"]
GateDirection = Literal["maximize", "minimize"]
GateApproval = Literal["manual", "automatic"]
FINITE_NUMBER_RULE = "a finite number"


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise invalid("is not a finite number", FINITE_NUMBER_RULE)
    return value


class QualityGateSettings(ConfigModel):
    """The quality gate: which completed models are registered in the Model Registry, and how."""

    metric: str = setting(
        description=(
            "The metric to judge, as the training job reports it in FinalMetricDataList "
            "(defined in training.metricDefinitions), e.g. validation:auc."
        ),
        min_length=1,
        max_length=MAX_METRIC_NAME,
    )
    direction: GateDirection = setting(
        description="maximize: higher is better (AUC); minimize: lower is better (RMSE).",
        allowed="maximize, minimize",
    )
    threshold: float = setting(
        description="The absolute bound the metric must meet (>= for maximize, <= for minimize).",
        allowed=FINITE_NUMBER_RULE,
    )
    min_improvement: float | None = setting(
        None,
        description=(
            "Optional: the least improvement over the latest Approved version in the group "
            "(none yet: the threshold alone decides)."
        ),
        ge=0,
        allowed="a finite number >= 0",
    )
    approval: GateApproval = setting(
        description=(
            "manual: a version that passes waits as PendingManualApproval; automatic: it is "
            "Approved at once."
        ),
        allowed="manual, automatic",
    )

    @field_validator("threshold", "min_improvement")
    @classmethod
    def _finite_numbers(cls, value: float | None) -> float | None:
        return _finite(value)


class RetrainingSettings(ConfigModel):
    """Everything `Pulumi.<team>-<model>-<env>.yaml` may set under `retraining:`."""

    network_iam_stack: str = setting(
        "",
        description=(
            "Full name of the network-iam stack to read roles, buckets, VPC and KMS from; "
            "empty: <this stack's organization>/network-iam/<environment>."
        ),
        allowed=STACK_NAME_RULE,
    )
    notifications_stack: str = setting(
        "",
        description=(
            "Full name of the notifications stack to read the team topic from; "
            "empty: <this stack's organization>/notifications/<environment>."
        ),
        allowed=STACK_NAME_RULE,
    )
    team: TeamName = setting(description="Team identifier.", allowed=naming.TEAM_RULE)
    model: ModelName = setting(description="Model identifier.", allowed=naming.MODEL_RULE)
    environment: EnvironmentName = setting(
        description="Environment.", allowed=naming.ENVIRONMENT_RULE
    )
    schedule_kind: ScheduleKind = setting(
        "rule",
        description="rule: EventBridge rule (UTC); scheduler: EventBridge Scheduler.",
        allowed="rule, scheduler",
    )
    schedule_timezone: str = setting(
        "UTC", description="IANA time zone of cron/at (Scheduler only; rules run in UTC)."
    )
    flexible_window_minutes: int = setting(
        0,
        description="Scheduler flexible time window in minutes; 0 = off (rules: must be 0).",
        ge=0,
        le=MAX_FLEXIBLE_WINDOW_MINUTES,
    )
    schedule: str = setting(description="The schedule expression: cron(...), rate(...), at(...).")
    orchestrator: Orchestrator = setting(
        "lambda",
        description="What starts the training job: a Lambda or a Step Functions state machine.",
        allowed="lambda, stepfunctions",
    )
    lambda_reserved_concurrency: int = setting(
        DEFAULT_LAMBDA_RESERVED_CONCURRENCY,
        description=(
            "Reserved concurrency of the Lambda orchestrator (orchestrator: lambda only); "
            f"{NO_LAMBDA_RESERVATION} = no reservation."
        ),
        allowed=LAMBDA_RESERVED_CONCURRENCY_RULE,
    )
    training: TrainingSettings = setting(description="The training job (see README).")
    quality_gate: QualityGateSettings | None = setting(
        None,
        description=(
            "The quality gate and Model Registry (see README); unset: no gate, nothing is "
            "registered, a completed job is reported as Completed."
        ),
        allowed="{} (no gate) or {metric, direction, threshold, minImprovement?, approval}",
    )

    @field_validator("network_iam_stack")
    @classmethod
    def _network_iam_stack(cls, value: str) -> str:
        return _checked_stack_name(value, "network-iam")

    @field_validator("notifications_stack")
    @classmethod
    def _notifications_stack(cls, value: str) -> str:
        return _checked_stack_name(value, "notifications")

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("schedule_kind")
        if kind not in grammar.SCHEDULE_KINDS:
            return value  # the kind itself is reported; its grammar is unknown
        problems = grammar.validate_schedule_expression(value, kind)
        if problems:
            raise invalid("; ".join(problems), _schedule_forms(kind))
        timezone = info.data.get("schedule_timezone")
        if isinstance(timezone, str) and not grammar.next_run_times(value, kind, 1, timezone):
            raise invalid(
                f"never runs: it has no occurrence after now in {timezone} (an at() in the past)",
                "an expression with a future occurrence",
            )
        return value

    @field_validator("schedule_timezone")
    @classmethod
    def _timezone(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("schedule_kind")
        if kind == "rule" and value != "UTC":
            raise invalid(
                "EventBridge rules run in UTC only; a time zone needs scheduleKind: scheduler",
                "UTC (with scheduleKind: rule)",
            )
        problems = grammar.validate_timezone(value)
        if problems:
            raise invalid("; ".join(problems), "an IANA time zone name")
        return value

    @field_validator("flexible_window_minutes")
    @classmethod
    def _flexible_window(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("schedule_kind") == "rule" and value != 0:
            raise invalid(
                "EventBridge rules have no flexible time window; it needs scheduleKind: scheduler",
                "0 (with scheduleKind: rule)",
            )
        return value

    @field_validator("lambda_reserved_concurrency")
    @classmethod
    def _lambda_reserved_concurrency(cls, value: int, info: ValidationInfo) -> int:
        if value == 0:
            raise invalid(
                "0 disables the function: Lambda throttles every invocation, so no scheduled "
                f"occurrence would start a training job; use {NO_LAMBDA_RESERVATION} for no "
                "reservation instead",
                LAMBDA_RESERVED_CONCURRENCY_RULE,
            )
        if value != NO_LAMBDA_RESERVATION and not 1 <= value <= MAX_LAMBDA_RESERVED_CONCURRENCY:
            raise invalid(
                "is not a reserved concurrency Lambda accepts", LAMBDA_RESERVED_CONCURRENCY_RULE
            )
        if (
            info.data.get("orchestrator") == "stepfunctions"
            and value != DEFAULT_LAMBDA_RESERVED_CONCURRENCY
        ):
            raise invalid(
                "applies to the Lambda orchestrator only; with orchestrator: stepfunctions there "
                "is no function to reserve concurrency for",
                f"{DEFAULT_LAMBDA_RESERVED_CONCURRENCY} (unset) with orchestrator: stepfunctions",
            )
        return value

    @field_validator("training")
    @classmethod
    def _lambda_environment_size(cls, value: TrainingSettings, info: ValidationInfo) -> Any:
        if info.data.get("orchestrator") != "lambda":
            return value
        team, model, environment = (info.data.get(k) for k in ("team", "model", "environment"))
        if not (isinstance(team, str) and isinstance(model, str) and isinstance(environment, str)):
            return value  # the identifiers are reported; the size depends on them
        # Imported here: training_spec imports this module for its types.
        from retraining_stack.training_spec import (  # noqa: PLC0415
            LAMBDA_ENVIRONMENT_LIMIT_BYTES,
            lambda_environment_upper_bound,
        )

        size = lambda_environment_upper_bound(
            value, team=team, model=model, environment=environment
        )
        if size > LAMBDA_ENVIRONMENT_LIMIT_BYTES:
            raise invalid(
                f"the Lambda orchestrator's environment variables would take up to {size} bytes "
                f"({ENV_TRAINING_SPEC} plus the VPC and KMS variables); Lambda allows "
                f"{LAMBDA_ENVIRONMENT_LIMIT_BYTES} (4 KB). Shorten hyperparameters, environment "
                "or channels, or use orchestrator: stepfunctions",
                f"≤ {LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes of Lambda environment",
            )
        return value

    @field_validator("quality_gate", mode="before")
    @classmethod
    def _empty_gate_is_no_gate(cls, value: Any) -> Any:
        # Pulumi.yaml declares `qualityGate` with `default: {}` (a declared key without a default
        # is required by the CLI): the empty mapping means "no gate".
        return None if value == {} else value

    @field_validator("quality_gate")
    @classmethod
    def _gate_metric_defined(
        cls, value: QualityGateSettings | None, info: ValidationInfo
    ) -> QualityGateSettings | None:
        training = info.data.get("training")
        if value is None or not isinstance(training, TrainingSettings):
            return value  # no gate, or the training settings are reported themselves
        defined = [definition.name for definition in training.metric_definitions]
        if value.metric not in defined:
            raise invalid(
                f"metric {value.metric!r} is not defined in training.metricDefinitions "
                f"(defined: {', '.join(defined) or 'none'}): the team's image reports only the "
                "metrics its definitions extract, and a metric the job never reports would "
                "reject every model",
                "a name from training.metricDefinitions",
            )
        return value

    @field_validator("quality_gate")
    @classmethod
    def _gate_fits_lambda_environment(
        cls, value: QualityGateSettings | None, info: ValidationInfo
    ) -> QualityGateSettings | None:
        # The Lambda orchestrator runs the gate on its report path, so the gate's variables join
        # TRAINING_SPEC & co. in its 4 KB environment (checked without them in `training`).
        training = info.data.get("training")
        identifiers = [info.data.get(k) for k in ("team", "model", "environment")]
        if (
            value is None
            or info.data.get("orchestrator") != "lambda"
            or not isinstance(training, TrainingSettings)
            or not all(isinstance(identifier, str) for identifier in identifiers)
        ):
            return value
        # Imported here: these modules import this one for its types.
        from retraining_stack.model_registry import gate_variables  # noqa: PLC0415
        from retraining_stack.training_spec import (  # noqa: PLC0415
            LAMBDA_ENVIRONMENT_LIMIT_BYTES,
            environment_size,
            lambda_environment_upper_bound,
        )

        team, model, environment = (str(identifier) for identifier in identifiers)
        base = lambda_environment_upper_bound(
            training, team=team, model=model, environment=environment
        )
        if base > LAMBDA_ENVIRONMENT_LIMIT_BYTES:
            return value  # reported at `training`
        # Merging `{gate}` into `{base}`: the gate's braces go, one comma joins them.
        gate = gate_variables(value, naming.model_package_group_name(team, model, environment))
        size = base + environment_size(gate) - 1
        if size > LAMBDA_ENVIRONMENT_LIMIT_BYTES:
            raise invalid(
                f"with the gate's variables the Lambda orchestrator's environment would take up "
                f"to {size} bytes; Lambda allows {LAMBDA_ENVIRONMENT_LIMIT_BYTES} (4 KB). "
                "Shorten the training settings or use orchestrator: stepfunctions",
                f"≤ {LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes of Lambda environment",
            )
        return value


def _schedule_forms(kind: str) -> str:
    if kind == "rule":
        return "cron(Minutes Hours Day-of-month Month Day-of-week Year) or rate(N unit), in UTC"
    return "cron(...), rate(N unit) or at(yyyy-mm-ddThh:mm:ss), in scheduleTimezone"


def _checked_stack_name(value: str, project: str) -> str:
    if not value:
        return value  # derived in load_settings from this stack's organization
    if not STACK_NAME_PATTERN.fullmatch(value):
        raise invalid("is not a full stack name", STACK_NAME_RULE.replace("network-iam", project))
    if value.split("/")[1] != project:
        raise invalid(
            f"names project {value.split('/')[1]!r}, not the {project!r} project",
            f"<organization>/{project}/<stack>",
        )
    return value


def load_settings() -> RetrainingSettings:
    """Read and validate `retraining:*`; raises one ConfigError listing every problem."""
    settings = load_config(
        RetrainingSettings,
        project=PROJECT,
        context="Invalid configuration for the retraining stack",
    )
    return with_upstream_stack_names(
        settings,
        environment=settings.environment,
        fields={
            "network_iam_stack": "networkIamStack",
            "notifications_stack": "notificationsStack",
        },
    )
