"""Test doubles for the orchestrator tests: AWS behaviour moto lacks, call recording, IAM mapping.

- `AwsLikeSageMaker` makes moto's SageMaker answer a duplicate training job name with
  `ResourceInUse` the way AWS does (moto silently overwrites) and lets a test script faults
  (throttling, quota, 5xx) into CreateTrainingJob, DescribeTrainingJob and SNS Publish. Faults are
  raised inside moto's backend, so they travel through moto's HTTP serialization and botocore's
  parser exactly like a real error response.
- `CallRecorder` hooks botocore's `before-call` event: it sees every request a client is about to
  send, with its API parameters, and turns each into the IAM actions and resources it needs.
- `apply_input_transformer` applies an EventBridge input transformer following the documented
  substitution rules.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from moto.core.exceptions import JsonRESTError
from moto.sagemaker import models as sagemaker_models
from moto.sns import models as sns_models
from moto.sns.exceptions import SNSException

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
PARTITION = "aws"

# AWS's own wording (CreateTrainingJob, ResourceInUse).
RESOURCE_IN_USE_MESSAGE = (
    "Training job names must be unique within an AWS account and region, and a training job "
    "with this name already exists ({arn})"
)


class SageMakerError(JsonRESTError):
    """A SageMaker error response with the HTTP status AWS uses for it."""

    def __init__(self, error_code: str, message: str, status: int = 400) -> None:
        super().__init__(error_code, message)
        self.code = status


class SnsThrottled(SNSException):
    code = "Throttled"  # SNS ThrottledException: HTTP 429 in the SNS model


class SnsInternalError(SNSException):
    code = "InternalError"  # SNS InternalErrorException: HTTP 500 in the SNS model


def throttling() -> SageMakerError:
    return SageMakerError("ThrottlingException", "Rate exceeded")


def resource_limit_exceeded() -> SageMakerError:
    return SageMakerError(
        "ResourceLimitExceeded",
        "The account-level service limit 'ml.m5.large for training job usage' is 1 Instances, "
        "with current utilization of 1 Instances and a request delta of 1 Instances.",
    )


def internal_failure() -> SageMakerError:
    return SageMakerError("InternalFailure", "We encountered an internal error.", 500)


def service_unavailable() -> SageMakerError:
    return SageMakerError("ServiceUnavailable", "Service is unavailable.", 503)


def validation_error(message: str) -> SageMakerError:
    return SageMakerError("ValidationException", message)


@dataclasses.dataclass
class AfterActing(Exception):
    """A fault raised after the service acted on the request: e.g. CreateTrainingJob created
    the job and then answered 500 (the caller cannot tell it from a create that failed)."""

    error: Exception


def training_job_arn(job_name: str) -> str:
    return f"arn:{PARTITION}:sagemaker:{REGION}:{ACCOUNT_ID}:training-job/{job_name.lower()}"


def report_final_metrics(job_name: str, metrics: Mapping[str, float]) -> None:
    """The final metrics the job "reported": moto 5.2 fixes FinalMetricDataList at
    `train:progress`, so they are set on moto's own job record (DescribeTrainingJob then returns
    them through moto's serialization and botocore's parser)."""
    record = sagemaker_models.sagemaker_backends[ACCOUNT_ID][REGION].training_jobs[job_name]
    record.final_metric_data_list = [
        {"MetricName": name, "Value": value, "Timestamp": record.creation_time}
        for name, value in metrics.items()
    ]


def model_package_arn(group_name: str) -> str:
    return f"arn:{PARTITION}:sagemaker:{REGION}:{ACCOUNT_ID}:model-package/{group_name.lower()}"


def model_registry_request(operation: str, params: Mapping[str, Any]) -> IamRequest | None:
    """The authorization of one quality-gate registry call, or None for another operation.
    Resources as the Service Authorization Reference types them: a model-package, which for a
    version is `model-package/<group>/<version>` (the List and Create calls name the group, so
    they are modelled on `model-package/<group>`; the role's `model-package/<team>-<env>-*`
    covers both forms)."""
    if operation == "DescribeModelPackage":
        return IamRequest("sagemaker:DescribeModelPackage", params["ModelPackageName"])
    if operation in ("ListModelPackages", "CreateModelPackage"):
        return IamRequest(
            f"sagemaker:{operation}", model_package_arn(params["ModelPackageGroupName"])
        )
    return None


class AwsLikeSageMaker:
    """Installs AWS behaviour on moto's SageMaker and SNS backends for one test.

    `install(monkeypatch)` patches the backend classes; monkeypatch undoes it after the test.
    """

    def __init__(self) -> None:
        self.faults: dict[str, list[Exception]] = {
            "CreateTrainingJob": [],
            "DescribeTrainingJob": [],
            "Publish": [],
        }
        self.backend_calls: list[str] = []

    def fail_next(self, operation: str, *errors: Exception) -> None:
        """The next len(errors) calls of `operation` raise these errors, in order."""
        self.faults[operation].extend(errors)

    def _maybe_fail(self, operation: str) -> Exception | None:
        """Raises the next scripted fault of `operation`; returns an `AfterActing` one's error,
        for the caller to raise once it has acted."""
        self.backend_calls.append(operation)
        if not self.faults[operation]:
            return None
        fault = self.faults[operation].pop(0)
        if isinstance(fault, AfterActing):
            return fault.error
        raise fault

    def install(self, monkeypatch: Any) -> None:
        backend = sagemaker_models.SageMakerModelBackend
        original_create = backend.create_training_job
        original_describe = backend.describe_training_job
        original_publish = sns_models.SNSBackend.publish

        def create_training_job(self_: Any, *args: Any, **kwargs: Any) -> Any:
            after_creating = fake._maybe_fail("CreateTrainingJob")
            name = kwargs["training_job_name"]
            if name in self_.training_jobs:
                raise SageMakerError(
                    "ResourceInUse", RESOURCE_IN_USE_MESSAGE.format(arn=training_job_arn(name))
                )
            created = original_create(self_, *args, **kwargs)
            if after_creating is not None:
                raise after_creating
            return created

        def describe_training_job(self_: Any, *args: Any, **kwargs: Any) -> Any:
            after_describing = fake._maybe_fail("DescribeTrainingJob")
            described = original_describe(self_, *args, **kwargs)
            if after_describing is not None:
                raise after_describing
            return described

        def publish(self_: Any, *args: Any, **kwargs: Any) -> Any:
            after_publishing = fake._maybe_fail("Publish")
            published = original_publish(self_, *args, **kwargs)
            if after_publishing is not None:
                raise after_publishing
            return published

        fake = self
        monkeypatch.setattr(backend, "create_training_job", create_training_job)
        monkeypatch.setattr(backend, "describe_training_job", describe_training_job)
        monkeypatch.setattr(sns_models.SNSBackend, "publish", publish)


def lose_next_response(client: Any, operation: str) -> None:
    """The next `operation` call reaches the service (which acts on it) but its answer is lost:
    the caller sees a read timeout, as when a connection drops after the request was sent."""
    event = f"after-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    armed = {"armed": True}

    def raise_read_timeout(**_: Any) -> None:
        if armed.pop("armed", False):
            raise ReadTimeoutError(endpoint_url=client.meta.endpoint_url)

    client.meta.events.register(event, raise_read_timeout)


def refuse_next_connection(client: Any, operation: str) -> None:
    """The next `operation` call never reaches the service (connection refused)."""
    event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    armed = {"armed": True}

    def raise_connection_error(**_: Any) -> None:
        if armed.pop("armed", False):
            raise EndpointConnectionError(endpoint_url=client.meta.endpoint_url)

    client.meta.events.register(event, raise_connection_error)


# --- Recording calls and turning them into IAM requests ------------------------------------------


ContextValue = str | tuple[str, ...]
"""A condition key's value in a request: one string, or several for a multivalued key."""


@dataclasses.dataclass(frozen=True)
class IamRequest:
    """One authorization IAM performs: action, resource and the request's condition context."""

    action: str
    resource: str
    context: tuple[tuple[str, ContextValue], ...] = ()
    why: str = "API call"


@dataclasses.dataclass(frozen=True)
class RecordedCall:
    service: str  # the IAM service prefix (botocore's signing name)
    operation: str
    params: Mapping[str, Any]

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"


def _parameter(params: Mapping[str, Any], section: str, key: str) -> tuple[bool, Any]:
    """(present, value) of `section.key` in CreateTrainingJob parameters. A Step Functions
    `Key.$` JSONPath sets `Key` at run time: present, its value the path (unknown until then)."""
    container = params.get(section)
    if not isinstance(container, Mapping):
        return False, None
    if key in container:
        return True, container[key]
    if f"{key}.$" in container:
        return True, f"<{container[f'{key}.$']}>"
    return False, None


# CreateTrainingJob condition keys (Service Authorization Reference) and the request field each
# comes from; VpcSubnets and VpcSecurityGroupIds are multivalued.
CREATE_TRAINING_JOB_CONDITION_KEYS = {
    "sagemaker:VpcSubnets": ("VpcConfig", "Subnets"),
    "sagemaker:VpcSecurityGroupIds": ("VpcConfig", "SecurityGroupIds"),
    "sagemaker:OutputKmsKeyArn": ("OutputDataConfig", "KmsKeyId"),
}


def create_training_job_context(
    params: Mapping[str, Any],
) -> tuple[tuple[str, ContextValue], ...]:
    """The condition context IAM builds from a CreateTrainingJob request: a key per field the
    request sets (absent field, null or empty list: no key, as IAM omits keys without a value)."""
    context: list[tuple[str, ContextValue]] = []
    for condition_key, (section, key) in CREATE_TRAINING_JOB_CONDITION_KEYS.items():
        present, value = _parameter(params, section, key)
        if not present or value is None or value in ([], ""):
            continue
        if isinstance(value, list):
            context.append((condition_key, tuple(str(item) for item in value)))
        else:
            context.append((condition_key, str(value)))
    return tuple(context)


def iam_requests(call: RecordedCall) -> list[IamRequest]:
    """The IAM authorizations one API call needs, including the implied ones.

    Implied, per the Service Authorization Reference: CreateTrainingJob with Tags is also
    authorized as sagemaker:AddTags on the new job; passing RoleArn is iam:PassRole on that role
    with iam:PassedToService = sagemaker.amazonaws.com. CreateTrainingJob itself carries the
    condition keys its request sets (`create_training_job_context`).
    """
    if call.service == "sagemaker" and call.operation in {
        "CreateTrainingJob",
        "DescribeTrainingJob",
    }:
        job = training_job_arn(call.params["TrainingJobName"])
        if call.operation == "DescribeTrainingJob":
            return [IamRequest(call.action, job)]
        requests = [IamRequest(call.action, job, create_training_job_context(call.params))]
        if call.params.get("Tags"):
            requests.append(
                IamRequest("sagemaker:AddTags", job, why="implied: Tags in CreateTrainingJob")
            )
        requests.append(
            IamRequest(
                "iam:PassRole",
                call.params["RoleArn"],
                (("iam:PassedToService", "sagemaker.amazonaws.com"),),
                why="implied: RoleArn in CreateTrainingJob",
            )
        )
        return requests
    if call.service == "sagemaker" and call.operation in {"ListTags", "AddTags"}:
        return [IamRequest(call.action, call.params["ResourceArn"])]
    registry = (
        model_registry_request(call.operation, call.params) if call.service == "sagemaker" else None
    )
    if registry is not None:  # the quality gate on the report path
        return [registry]
    if call.service == "sns" and call.operation == "Publish":
        return [IamRequest(call.action, call.params["TopicArn"])]
    raise AssertionError(
        f"the orchestrator called {call.action}, which this recorder does not map to IAM yet: "
        "add it here and to the role policy, deliberately"
    )


class CallRecorder:
    """Collects every request the registered clients are about to send."""

    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []

    def attach(self, client: Any) -> None:
        """Record the calls of one client."""
        client.meta.events.register("before-parameter-build.*.*", _remember_params)
        client.meta.events.register("before-call.*.*", self._record)

    def attach_to_session(self, session: Any) -> None:
        """Record the calls of every client created from `session` from now on."""
        session.events.register("before-parameter-build.*.*", _remember_params)
        session.events.register("before-call.*.*", self._record)

    def _record(self, model: Any, context: Mapping[str, Any], **_: Any) -> None:
        self.calls.append(
            RecordedCall(
                service=model.service_model.signing_name,
                operation=model.name,
                params=context.get("orchestrator_test_api_params", {}),
            )
        )

    def actions(self) -> set[str]:
        return {request.action for call in self.calls for request in iam_requests(call)}

    def requests(self) -> list[IamRequest]:
        return [request for call in self.calls for request in iam_requests(call)]


def _remember_params(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
    # before-call only sees the serialized request; the API parameters are captured here, on the
    # same per-request context dict.
    context["orchestrator_test_api_params"] = json.loads(json.dumps(params, default=str))


# --- IAM policy evaluation (the subset our policies use) -----------------------------------------


def _iam_pattern(pattern: str) -> re.Pattern[str]:
    """IAM wildcards: '*' any run of characters, '?' one character; case-sensitive for ARNs."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )


def _as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _conditions_hold(
    conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, ContextValue]
) -> bool:
    for operator, entries in conditions.items():
        for key, expected in entries.items():
            if operator == "Null":
                # "true": the key must be absent; "false": present (any value, any count).
                if expected not in {"true", "false"}:
                    raise AssertionError(f"Null condition on {key}: {expected!r} is not a boolean")
                if (key not in context) != (expected == "true"):
                    return False
                continue
            if key not in context:
                return False  # a condition on a key the request does not carry fails closed
            actual = context[key]
            if not isinstance(actual, str):
                raise AssertionError(
                    f"{key} is multivalued: {operator} on it needs a ForAnyValue/ForAllValues "
                    "qualifier, which this checker does not support"
                )
            values = _as_list(expected)
            if operator in {"StringEquals", "ArnEquals"}:
                if actual not in values:
                    return False
            elif operator in {"StringLike", "ArnLike"}:
                if not any(_iam_pattern(v).fullmatch(actual) for v in values):
                    return False
            else:
                raise AssertionError(f"condition operator {operator} not supported by this checker")
    return True


def allowing_statements(policy: Mapping[str, Any], request: IamRequest) -> list[str]:
    """Sids of the Allow statements of an identity policy that authorize `request`."""
    context = dict(request.context)
    sids = []
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        actions = [a.lower() for a in _as_list(statement["Action"])]
        if request.action.lower() not in actions:
            continue
        resources = _as_list(statement["Resource"])
        if not any(_iam_pattern(r).fullmatch(request.resource) for r in resources):
            continue
        if not _conditions_hold(statement.get("Condition", {}), context):
            continue
        sids.append(str(statement.get("Sid", "?")))
    return sids


def policy_actions(policy: Mapping[str, Any]) -> set[str]:
    return {
        action
        for statement in policy["Statement"]
        if statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"])
    }


# --- EventBridge input transformers --------------------------------------------------------------

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.-]+)>")


def _json_path(document: Any, path: str) -> tuple[bool, Any]:
    """Dot-notation JSONPath as EventBridge supports it ($.a.b, $.list[0])."""
    if not path.startswith("$"):
        raise AssertionError(f"input path {path!r} must start with '$'")
    node = document
    for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path[1:]):
        key, index = part
        if key:
            if not isinstance(node, dict) or key not in node:
                return False, None
            node = node[key]
        else:
            if not isinstance(node, list) or int(index) >= len(node):
                return False, None
            node = node[int(index)]
    return True, node


MissingPathRendering = Literal["omitted", "empty-string", "null"]


def apply_input_transformer(
    paths: Mapping[str, str],
    template: str,
    event: Mapping[str, Any],
    missing: MissingPathRendering = "omitted",
) -> Any:
    """What EventBridge hands the target, following the documented rules:

    - each InputPathsMap entry is a JSONPath into the event; "if you specify a variable to match a
      JSON path that doesn't exist in the event, that variable isn't created and won't appear in
      the output". `missing` picks how such a placeholder renders: "omitted" (that sentence read
      literally: replaced by nothing), "empty-string" or "null" (what emulators do, e.g.
      LocalStack renders ""); templates should read well under all three;
    - a template that is JSON (starts with '{'): a placeholder outside quotes receives the value
      as JSON (a string gets its quotes and escapes), inside quotes the raw text, unescaped
      ("EventBridge doesn't escape values extracted by Input Path"); the result must be JSON;
    - otherwise the template is text, one quoted string per line ("for non-JSON text output as
      multi-line strings, wrap each separate line in double quotes"); values are inserted
      unescaped; each line is decoded as a JSON string and the lines are joined with newlines.
    Unknown placeholders are an error (EventBridge rejects such targets at PutTargets).
    """
    values: dict[str, Any] = {}
    for name, path in paths.items():
        if name.startswith("aws."):
            raise AssertionError(f"variable {name!r}: names starting with 'aws.' are reserved")
        found, value = _json_path(event, path)
        if found:
            values[name] = value
    for name in _PLACEHOLDER.findall(template):
        if name not in paths:
            raise AssertionError(f"placeholder <{name}> has no InputPathsMap entry")

    def render(name: str, *, in_string: bool) -> str:
        if name not in values:
            if in_string or missing == "omitted":
                return ""
            return '""' if missing == "empty-string" else "null"
        value = values[name]
        if in_string:
            return value if isinstance(value, str) else json.dumps(value)
        return json.dumps(value)

    def substitute(text: str, *, json_context: bool) -> str:
        out: list[str] = []
        in_string = False
        index = 0
        while index < len(text):
            match = _PLACEHOLDER.match(text, index)
            if match:
                out.append(render(match.group(1), in_string=in_string or not json_context))
                index = match.end()
                continue
            char = text[index]
            if char == '"' and (index == 0 or text[index - 1] != "\\"):
                in_string = not in_string
            out.append(char)
            index += 1
        return "".join(out)

    if template.lstrip().startswith("{"):
        return json.loads(substitute(template, json_context=True))
    lines = [line.strip() for line in template.splitlines() if line.strip()]
    decoded = []
    for line in lines:
        if not (line.startswith('"') and line.endswith('"')):
            raise AssertionError(f"text template line {line!r} must be one quoted string")
        decoded.append(json.loads(substitute(line, json_context=False)))
    return "\n".join(decoded)
