"""Run a Pulumi Python program under Pulumi's own mock runtime, the way the CLI would run it.

This is the engine half of the offline plan and the harness every stack test uses. It keeps what
the program sent on the wire (the resource monitor's RegisterResource/ReadResource requests) so the
policy pack can be fed exactly what the real engine would feed it: camelCase properties, unknown
values as Pulumi's UNKNOWN sentinel, parents and (property) dependencies.

Faithfulness rules (tools/offline_plan/README.md, "Where it differs from a real preview"):
- preview mode: a new resource's outputs are its inputs; everything the provider computes (ids,
  ARNs of autonamed things, ...) stays unknown. Invokes (account, region, AZs) are known, as in a
  real preview with credentials.
- StackReference outputs come from the caller (the upstream stacks planned in the same run, or a
  deployed stack's exports read from an `--upstream-outputs` file); an upstream value that was
  unknown stays unknown.
- `preview=False` simulates a finished `pulumi up` with deterministic fake ids and ARNs; tests use
  it to obtain concrete upstream exports. The offline plan never does.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import runpy
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import rpc
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

UNKNOWN = rpc.UNKNOWN
"""The wire sentinel for a value not known until the resource is created."""
SECRET_SIG_KEY = rpc._special_sig_key
SECRET_SIG = rpc._special_secret_sig
RESOURCE_SIG = rpc._special_resource_sig
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"

OFFLINE_ACCOUNT_ID = "123456789012"
"""The account the offline plan pretends to deploy to (AWS's documentation account)."""


class PlanInputError(Exception):
    """The program could not be planned because of its input: YAML, config, upstream stacks."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        """1-based, when the input's fault has a place (a YAML syntax error)."""
        self.column = column


@dataclass(frozen=True)
class DeclarationProblem:
    """One key the CLI would refuse before the program runs (missing, wrong type, plaintext
    secret, undecryptable), in the file that sets it (or should)."""

    key: str
    message: str
    """Without the file: `problem.file` names it."""
    file: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


class StackConfigError(PlanInputError):
    """Keys the CLI's config checks refuse; `partial` is the config that did load, so the
    offline plan can still ask the program for every other problem in the same run."""

    def __init__(self, problems: Sequence[DeclarationProblem], partial: ProjectConfig) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = tuple(problems)
        self.partial = partial


@dataclass(frozen=True)
class RegisteredResource:
    """One resource as the engine saw it: wire-form inputs (camelCase, UNKNOWN sentinels)."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    dependencies: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]]
    inputs: Mapping[str, Any]
    provider: str = ""
    version: str = ""
    """The package version the SDK asked for (names the default provider, as the engine does)."""
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    additional_secret_outputs: tuple[str, ...] = ()
    delete_before_replace: bool | None = None
    custom_timeouts: Mapping[str, str] = field(default_factory=dict)
    """`create`/`update`/`delete` as Go durations ("5m"), as the SDK sends them."""
    alias_urns: tuple[str, ...] = ()


@dataclass
class StackRun:
    """The result of one program run."""

    project: str
    stack: str
    organization: str
    preview: bool
    resources: list[RegisteredResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    """Stack exports in wire form: UNKNOWN sentinels and secret wrappers kept."""
    stack_urn: str = ""
    reads: list[RegisteredResource] = field(default_factory=list)
    """Resources the program read rather than registered (StackReferences, `Resource.get`);
    `inputs` holds the state the read returned, in wire form."""

    @property
    def full_name(self) -> str:
        return f"{self.organization}/{self.project}/{self.stack}"

    def of_type(self, type_token: str) -> list[RegisteredResource]:
        return [r for r in self.resources if r.type == type_token]

    def plain_outputs(self) -> dict[str, Any]:
        """Exports with secrets unwrapped (unknowns stay as the UNKNOWN sentinel)."""
        return {k: unwrap_secrets(v) for k, v in self.outputs.items()}


def unwrap_secrets(value: Any) -> Any:
    """Turn Pulumi's secret wrappers into their plaintext, recursively (as the analyzer sees it)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return unwrap_secrets(value.get("value"))
        if value.get(SECRET_SIG_KEY) == RESOURCE_SIG:
            resource_id = value.get("id")
            return resource_id if resource_id not in (None, "", UNKNOWN) else value.get("urn")
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


def contains_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return isinstance(value, str) and value == UNKNOWN


# --------------------------------------------------------------------------------------------
# Configuration, as the CLI builds it from Pulumi.yaml and Pulumi.<stack>.yaml
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectConfig:
    project: str
    values: dict[str, str]
    secret_keys: list[str]


# libyaml's parser when PyYAML was built with it: ~10x faster than the pure-Python one, which
# dominated the plan of many stacks.
try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # PyYAML without libyaml
    from yaml import SafeLoader  # type: ignore[assignment,unused-ignore]
_yaml_cache: dict[tuple[str, int, int], Any] = {}


def load_yaml(path: Path) -> Any:
    """Parse a YAML file once per process (keyed by path, mtime and size).

    The planner reads each Pulumi.yaml for every stack of its project; the parsed document is
    shared between callers and must be treated as read-only.
    """
    try:
        status = path.stat()
        key = (str(path.resolve()), status.st_mtime_ns, status.st_size)
        if key in _yaml_cache:
            return _yaml_cache[key]
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
    except FileNotFoundError as error:
        raise PlanInputError(f"{path}: file not found") from error
    except OSError as error:
        raise PlanInputError(f"{path}: cannot read: {error}") from error
    except yaml.YAMLError as error:
        raise _syntax_error(path, error) from error
    _yaml_cache[key] = document
    return document


_load_yaml = load_yaml


def _started_at(error: yaml.YAMLError, line: int, lines: list[str]) -> str:
    """` started on line N: <text>` when the construct at fault began on another line."""
    start = getattr(getattr(error, "context_mark", None), "line", None)
    if not isinstance(start, int) or start == line or start >= len(lines):
        return ""
    return f" started on line {start + 1}: {lines[start].strip()!r}"


def _syntax_error(path: Path, error: yaml.YAMLError) -> PlanInputError:
    """A YAML syntax error at its line and column, with the line itself and a caret."""
    # libyaml's marks (CSafeLoader) are not yaml.Mark instances but carry the same fields.
    mark: Any = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if not isinstance(getattr(mark, "line", None), int) or not isinstance(
        getattr(mark, "column", None), int
    ):
        return PlanInputError(f"{path}: not valid YAML: {error}", file=str(path))
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    line, column = int(mark.line), int(mark.column)
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    shown = lines[line] if line < len(lines) else ""
    message = (
        f"{path}:{line + 1}:{column + 1}: not valid YAML: "
        + (f"{context}{_started_at(error, line, lines)}, " if context else "")
        + f"{problem}\n    {shown}\n    {' ' * column}^"
    )
    return PlanInputError(message, file=str(path), line=line + 1, column=column + 1)


def _config_string(value: Any) -> str:
    """The CLI hands every config value to the program as a string; objects as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def project_name(project_dir: Path) -> str:
    document = _load_yaml(project_dir / "Pulumi.yaml")
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise PlanInputError(f"{project_dir / 'Pulumi.yaml'}: missing the project 'name'")
    return str(document["name"])


def load_project_config(
    project_dir: Path,
    stack: str,
    overrides: Mapping[str, Any] | None = None,
    extra_config_file: Path | None = None,
) -> ProjectConfig:
    """Merge project defaults, `Pulumi.<stack>.yaml`, an optional extra file and overrides.

    Keys without a namespace belong to the project, as the CLI treats them. `secure:` values
    cannot be decrypted offline: they must be overridden (plaintext) or the plan stops naming them.
    Like the CLI, values are checked against the project's declared config (`Pulumi.yaml`
    `config:` types; a declared key without default must be set), every problem at once.
    """
    project_file = project_dir / "Pulumi.yaml"
    project_document = _load_yaml(project_file)
    if not isinstance(project_document, dict) or not isinstance(project_document.get("name"), str):
        raise PlanInputError(f"{project_file}: missing the project 'name'")
    project = str(project_document["name"])

    def qualify(key: str) -> str:
        return key if ":" in key else f"{project}:{key}"

    declarations = project_document.get("config") or {}
    if not isinstance(declarations, dict):
        raise PlanInputError(f"{project_file}: 'config' must be a mapping")
    declaration_problems = project_declaration_problems(declarations)
    if declaration_problems:
        raise PlanInputError(
            f"{project_file}: the CLI would reject this project file: "
            + "; ".join(declaration_problems)
        )

    files = [project_dir / f"Pulumi.{stack}.yaml"]
    if extra_config_file is not None:
        # The CLI runs a stack without a Pulumi.<stack>.yaml with empty stack config: when an
        # extra file describes the stack (a team's stack under review), the base may be absent.
        if not files[0].is_file():
            files = []
        files.append(Path(extra_config_file))

    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    secret_keys: set[str] = set()
    undecryptable: dict[str, str] = {}
    for path in files:
        for key, value in _stack_config_entries(path).items():
            qualified = qualify(key)
            origin[qualified] = str(path)
            if isinstance(value, dict) and set(value) == {"secure"}:
                undecryptable[qualified] = str(path)
                secret_keys.add(qualified)
                values.pop(qualified, None)
                continue
            undecryptable.pop(qualified, None)
            values[qualified] = value

    for key, value in (overrides or {}).items():
        qualified = qualify(key)
        values[qualified] = value
        origin[qualified] = "--config"
        undecryptable.pop(qualified, None)

    problems = [
        DeclarationProblem(
            key,
            f"{key} (secure values cannot be decrypted without the Pulumi CLI and the stack's "
            "secrets provider; pass a plaintext stand-in with --config KEY=VALUE)",
            file,
        )
        for key, file in undecryptable.items()
    ]
    stack_file = files[-1] if files else project_file
    problems += _apply_declarations(
        declarations,
        qualify=qualify,
        values=values,
        secret_keys=secret_keys,
        origin=origin,
        stack=stack,
        stack_file=stack_file,
    )
    loaded = ProjectConfig(
        project=project,
        values={k: _config_string(v) for k, v in values.items() if v is not None},
        secret_keys=sorted(secret_keys),
    )
    if problems:
        raise StackConfigError(problems, loaded)
    return loaded


PULUMI_PROJECT_SCHEMA_VERSION = "v3.259.0"
"""The pulumi release whose project-file schema (sdk/go/common/workspace/project.json) and
config validation (pkg/workspace/config.go) the checks below mirror; the CI's CLI
(.pulumi.version) is at least this new. `object` became a config type in v3.186.0 (#20129)."""
PROJECT_CONFIG_TYPES = ("string", "integer", "boolean", "array", "object")
"""`simpleConfigType` of the CLI's project-file schema."""
_DECLARATION_KEYS = frozenset({"type", "items", "description", "secret", "default", "value"})
"""`configTypeDeclaration`'s properties (additionalProperties: false)."""


def _items_problems(key: str, items: Any) -> list[str]:
    if not isinstance(items, dict) or items.get("type") not in PROJECT_CONFIG_TYPES:
        return [f"config.{key}.items must name a type, one of {', '.join(PROJECT_CONFIG_TYPES)}"]
    if items["type"] == "array":
        return _items_problems(f"{key}.items", items.get("items"))
    return []


def project_declaration_problems(declarations: Mapping[Any, Any]) -> list[str]:
    """What the CLI's project-file schema rejects in `config:` declarations of the project.

    A declaration of the project's own key is a plain value (its default) or a mapping that may
    name a `type` of string, integer, boolean, array or object (arrays also their `items`) and
    carries only description, secret, default and value besides. Namespaced keys (`aws:region`)
    set a value.
    """
    problems = []
    for raw_key, declaration in declarations.items():
        key = str(raw_key)
        if not isinstance(declaration, dict):
            continue  # `key: default` shorthand
        if ":" in key:
            continue  # another namespace's value (`aws:region: {value: ...}`)
        declared_type = declaration.get("type")
        if declared_type is not None and declared_type not in PROJECT_CONFIG_TYPES:
            problems.append(
                f"config.{key}.type must be one of {', '.join(PROJECT_CONFIG_TYPES)} "
                f"(got {declared_type!r})"
            )
        extra = sorted(set(map(str, declaration)) - _DECLARATION_KEYS)
        if extra:
            allowed = ", ".join(sorted(_DECLARATION_KEYS))
            problems.append(f"config.{key} has {', '.join(extra)}; allowed: {allowed}")
        if declared_type == "array":
            problems += _items_problems(key, declaration.get("items"))
    return problems


def _stack_config_entries(path: Path) -> dict[str, Any]:
    document = _load_yaml(path) or {}
    if not isinstance(document, dict):
        raise PlanInputError(f"{path}: expected a mapping at the top level")
    stack_config = document.get("config") or {}
    if not isinstance(stack_config, dict):
        raise PlanInputError(f"{path}: 'config' must be a mapping")
    return {str(key): value for key, value in stack_config.items()}


_DECLARED_TYPE_CHECKS: dict[str, Any] = {
    "string": lambda v: not isinstance(v, dict | list),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
        or (isinstance(v, str) and v.strip().lstrip("+-").isdigit())
    ),
    "boolean": lambda v: isinstance(v, bool) or v in ("true", "false"),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}
"""pkg/workspace/config.go validateStackConfigValue -> workspace.ValidateConfigValue."""


def _apply_declarations(
    declarations: Mapping[Any, Any],
    *,
    qualify: Any,
    values: dict[str, Any],
    secret_keys: set[str],
    origin: Mapping[str, str],
    stack: str,
    stack_file: Path,
) -> list[DeclarationProblem]:
    """Fill declared defaults/values and check declared types, as the CLI does before a run."""
    problems: list[DeclarationProblem] = []
    for key, declaration in declarations.items():
        qualified = qualify(str(key))
        if not isinstance(declaration, dict):
            values.setdefault(qualified, declaration)  # `aws:region: us-east-1` shorthand
            continue
        if qualified in values or qualified in secret_keys:
            declared_type = declaration.get("type")
            check = _DECLARED_TYPE_CHECKS.get(str(declared_type))
            value = values.get(qualified)
            plaintext = qualified in values and qualified not in secret_keys
            # The CLI checks `secret: true` only on typed declarations (IsExplicitlyTyped).
            if declared_type is not None and declaration.get("secret") is True and plaintext:
                problems.append(
                    DeclarationProblem(
                        qualified,
                        f"{qualified} must be encrypted as it's secret (declared `secret: true` "
                        "in Pulumi.yaml): set it with `pulumi config set --secret`; the CLI "
                        "refuses a plaintext value",
                        origin.get(qualified, str(stack_file)),
                    )
                )
            if check is not None and qualified in values and not check(value):
                problems.append(
                    DeclarationProblem(
                        qualified,
                        f"{qualified} = {value!r} must be of type {declared_type} (declared in "
                        "Pulumi.yaml)",
                        origin.get(qualified, str(stack_file)),
                    )
                )
            continue
        # As the CLI's mergeConfig: a `default` wins over a `value` when both are declared.
        if "default" in declaration:
            values[qualified] = declaration["default"]
        elif "value" in declaration:
            values[qualified] = declaration["value"]
        else:
            problems.append(
                DeclarationProblem(
                    qualified,
                    f"stack {stack!r} is missing the configuration value {qualified} (declared "
                    "without a default in Pulumi.yaml)",
                    str(stack_file),
                )
            )
    return problems


# --------------------------------------------------------------------------------------------
# The mock engine
# --------------------------------------------------------------------------------------------

_ARN_SERVICES: dict[str, tuple[str, str, bool]] = {
    # type token -> (service, resource path template, global service)
    "aws:iam/role:Role": ("iam", "role/{name}", True),
    "aws:iam/policy:Policy": ("iam", "policy/{name}", True),
    "aws:sns/topic:Topic": ("sns", "{name}", False),
    "aws:sqs/queue:Queue": ("sqs", "{name}", False),
    "aws:lambda/function:Function": ("lambda", "function:{name}", False),
    "aws:sfn/stateMachine:StateMachine": ("states", "stateMachine:{name}", False),
    "aws:cloudwatch/eventRule:EventRule": ("events", "rule/{name}", False),
    "aws:scheduler/schedule:Schedule": ("scheduler", "schedule/default/{name}", False),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "log-group:{name}", False),
    "aws:kms/key:Key": ("kms", "key/{name}", False),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("cloudwatch", "alarm:{name}", False),
    "aws:s3/bucket:Bucket": ("s3", "{name}", True),
    "aws:s3/bucketV2:BucketV2": ("s3", "{name}", True),
}

_EC2_ID_PREFIXES = {
    "Vpc": "vpc",
    "Subnet": "subnet",
    "SecurityGroup": "sg",
    "RouteTable": "rtb",
    "VpcEndpoint": "vpce",
    "InternetGateway": "igw",
    "NatGateway": "nat",
    "NetworkAcl": "acl",
    "RouteTableAssociation": "rtbassoc",
    "VpcEndpointRouteTableAssociation": "a",
    "SecurityGroupRule": "sgr",
    "VpcSecurityGroupEgressRule": "sgr",
    "VpcSecurityGroupIngressRule": "sgr",
}

_NAME_INPUT_KEYS = ("name", "bucket", "functionName", "roleName")


DISABLE_DEFAULT_PROVIDERS_KEY = "pulumi:disable-default-providers"


def denied_default_providers(config: Mapping[str, str]) -> frozenset[str]:
    """Packages whose default provider the engine refuses (`*` for all), read as the engine
    reads `pulumi:disable-default-providers` (pulumi v3.259.0
    pkg/resource/deploy/default_providers.go:263-305): a JSON list of package names, or ""."""
    raw = config.get(DISABLE_DEFAULT_PROVIDERS_KEY)
    if raw is None or raw == "":
        return frozenset()
    try:
        packages = json.loads(raw)
    except ValueError as error:
        raise PlanInputError(f"{DISABLE_DEFAULT_PROVIDERS_KEY}: failed to parse {raw}") from error
    if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
        raise PlanInputError(
            f'{DISABLE_DEFAULT_PROVIDERS_KEY} must be a list of package names, e.g. ["aws"]'
        )
    return frozenset(p.strip() for p in packages)


class _Mocks(pulumi_mocks.Mocks):
    def __init__(
        self,
        run: StackRun,
        account_id: str,
        region: str,
        partition: str,
        stack_references: Mapping[str, Mapping[str, Any]],
        *,
        denied_defaults: frozenset[str] = frozenset(),
    ) -> None:
        self.run = run
        self.account_id = account_id
        self.region = region
        self.partition = partition
        self.stack_references = stack_references
        self.denied_defaults = denied_defaults
        self._counter = 0

    def refuse_default_provider(self, package: str, provider: str, what: str) -> None:
        """The engine fails a registration, read or invoke that would use a denied default
        provider (source_eval.go:727/1453, step_generator.go:3069 in pulumi v3.259.0)."""
        if package == "pulumi" or provider:
            return
        if "*" in self.denied_defaults or package in self.denied_defaults:
            raise PlanInputError(
                f"{what} needs the default {package} provider, which "
                f"{DISABLE_DEFAULT_PROVIDERS_KEY} disables: pass an explicit provider "
                f"(opts=pulumi.ResourceOptions(provider=...)) or allow the default"
            )

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        invoked = args.token
        self.refuse_default_provider(
            invoked.split(":", 1)[0], args.provider or "", f"the invoke {invoked}"
        )
        if invoked == "aws:index/getCallerIdentity:getCallerIdentity":
            arn = f"arn:{self.partition}:iam::{self.account_id}:user/offline-plan"
            return {
                "accountId": self.account_id,
                "arn": arn,
                "userId": "AIDAOFFLINEPLAN",
                "id": self.account_id,
            }
        if invoked == "aws:index/getRegion:getRegion":
            return {
                "name": self.region,
                "region": self.region,
                "id": self.region,
                "endpoint": f"{self.region}.amazonaws.com",
                "description": self.region,
            }
        if invoked == "aws:index/getPartition:getPartition":
            return {
                "partition": self.partition,
                "id": self.partition,
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
            }
        if invoked == "aws:index/getAvailabilityZones:getAvailabilityZones":
            letters = "abcdef"
            return {
                "names": [f"{self.region}{c}" for c in letters[:3]],
                "zoneIds": [f"use1-az{i}" for i in range(1, 4)],
                "id": self.region,
                "groupNames": [self.region],
            }
        if invoked.endswith(":getPrefixList"):
            return {
                "id": "pl-63a5400a",
                "name": f"com.amazonaws.{self.region}.s3",
                "cidrBlocks": [],
            }
        raise PlanInputError(
            f"the offline plan cannot answer the provider function {invoked!r}: "
            "add it to offline_plan.mock_runtime._Mocks.call"
        )

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == STACK_REFERENCE_TYPE:
            stack_name = args.resource_id or args.name
            if stack_name not in self.stack_references:
                known = ", ".join(sorted(self.stack_references)) or "none"
                raise PlanInputError(
                    f"StackReference {stack_name!r} is not available to the offline plan "
                    f"(stacks planned before it or read from files: {known})"
                )
            outputs = dict(self.stack_references[stack_name])
            # The engine lists the top-level outputs that are secrets; the SDK marks exactly
            # those keys secret in `get_output`, so a secret upstream export stays secret here.
            secret_names = sorted(
                key
                for key, value in outputs.items()
                if isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG
            )
            return stack_name, {
                "name": stack_name,
                "outputs": outputs,
                "secretOutputNames": secret_names,
            }
        if self.run.preview:
            return "", dict(args.inputs)
        return self._simulated_create(args)

    def _simulated_create(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """What a finished `pulumi up` would report, with deterministic fake identifiers."""
        self._counter += 1
        state = dict(args.inputs)
        name = next(
            (str(state[k]) for k in _NAME_INPUT_KEYS if isinstance(state.get(k), str)),
            f"{args.name}-{self._counter:04d}",
        )
        resource_id = name
        if args.typ == "aws:kms/key:Key":
            resource_id = f"{self._counter:08d}-0000-4000-8000-{self._counter:012d}"
            state["keyId"] = resource_id
        if args.typ == "aws:sqs/queue:Queue":
            state["url"] = f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{name}"
            resource_id = state["url"]
        if args.typ in _ARN_SERVICES:
            service, template, is_global = _ARN_SERVICES[args.typ]
            region = "" if is_global else self.region
            account = "" if service == "s3" else self.account_id
            path = template.format(name=resource_id if args.typ == "aws:kms/key:Key" else name)
            state["arn"] = f"arn:{self.partition}:{service}:{region}:{account}:{path}"
        if args.typ.startswith("aws:ec2/"):
            # AWS-shaped ids (sg-…, subnet-…): code downstream validates their shape.
            kind = args.typ.split(":")[-1]
            prefix = _EC2_ID_PREFIXES.get(kind, kind.lower()[:6])
            resource_id = f"{prefix}-{self._counter:017x}"
        state.setdefault("id", resource_id)
        return resource_id, state


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """Keeps each registration's wire form: parent, dependencies and raw inputs."""

    def __init__(self, mocks: _Mocks) -> None:
        super().__init__(mocks)
        self.run = mocks.run
        self.offline_mocks = mocks

    def RegisterResource(self, request: Any) -> Any:  # gRPC method name
        if request.custom and not request.type.startswith("pulumi:providers:"):
            self.offline_mocks.refuse_default_provider(
                request.type.split(":", 1)[0],
                request.provider,
                f"resource {request.name!r} ({request.type})",
            )
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            self.run.stack_urn = response.urn
            return response
        self.run.resources.append(
            RegisteredResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                dependencies=tuple(request.dependencies),
                property_dependencies={
                    key: tuple(deps.urns) for key, deps in request.propertyDependencies.items()
                },
                inputs=json_format.MessageToDict(request.object),
                provider=request.provider,
                version=request.version,
                protect=bool(request.protect),
                ignore_changes=tuple(request.ignoreChanges),
                additional_secret_outputs=tuple(request.additionalSecretOutputs),
                delete_before_replace=(
                    bool(request.deleteBeforeReplace)
                    if request.deleteBeforeReplaceDefined
                    else None
                ),
                custom_timeouts={
                    key: value
                    for key, value in (
                        ("create", request.customTimeouts.create),
                        ("update", request.customTimeouts.update),
                        ("delete", request.customTimeouts.delete),
                    )
                    if value
                },
                alias_urns=tuple(request.aliasURNs),
            )
        )
        return response

    def ReadResource(self, request: Any) -> Any:  # gRPC method name
        self.offline_mocks.refuse_default_provider(
            request.type.split(":", 1)[0], request.provider, f"read of {request.name!r}"
        )
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        self.run.reads.append(
            RegisteredResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=True,
                parent=request.parent,
                dependencies=tuple(request.dependencies),
                property_dependencies={},
                inputs=json_format.MessageToDict(response.properties),
                provider=request.provider,
                version=request.version,
            )
        )
        return response


# --------------------------------------------------------------------------------------------
# StackReference outputs, one key at a time
# --------------------------------------------------------------------------------------------


def _stack_reference_output(reference: pulumi.StackReference, name: Any, required: bool) -> Any:
    """`get_output`/`require_output` with per-key knownness.

    The SDK reads a referenced stack's outputs as one Output, so a single unknown value anywhere
    in them makes every key unknown. That never happens against a deployed stack (the only thing
    the real CLI can reference); it does when the upstream stack is itself only previewed in the
    same offline run. Resolving key by key keeps a known upstream value known and an unknown one
    unknown, which is what a real preview would see once the upstream stack exists.
    """
    outputs_data = reference.outputs._data  # the SDK's own resolved value + knownness

    async def value_data() -> Any:
        data = await outputs_data
        key = await pulumi.Output.from_input(name).future()
        outputs = data.value if isinstance(data.value, dict) else {}
        if key not in outputs:
            if required:
                raise KeyError(
                    f"Required output '{key}' does not exist on stack '{reference._name}'."
                )
            return None
        return outputs[key]

    value_future = asyncio.ensure_future(value_data())

    # Knownness and secretness are scheduled as tasks that never fail: when the value itself
    # fails (a missing required output), that error surfaces through the value alone instead
    # of leaving never-awaited coroutines behind.
    async def known() -> bool:
        try:
            return not rpc.contains_unknowns(await value_future)
        except Exception:  # reported through the value
            return False

    async def secret() -> bool:
        try:
            names = await reference.secret_output_names.future() or []
            key = await pulumi.Output.from_input(name).future()
        except Exception:  # reported through the value
            return False
        return key in names

    async def resources() -> set[pulumi.Resource]:
        return {reference}

    return pulumi.Output(
        resources(), value_future, asyncio.ensure_future(known()), asyncio.ensure_future(secret())
    )


@contextmanager
def _per_key_stack_references() -> Iterator[None]:
    original_get = pulumi.StackReference.get_output
    original_require = pulumi.StackReference.require_output

    def get_output(self: pulumi.StackReference, name: Any) -> Any:
        return _stack_reference_output(self, name, required=False)

    def require_output(self: pulumi.StackReference, name: Any) -> Any:
        return _stack_reference_output(self, name, required=True)

    pulumi.StackReference.get_output = get_output  # type: ignore[method-assign]
    pulumi.StackReference.require_output = require_output  # type: ignore[method-assign]
    try:
        yield
    finally:
        pulumi.StackReference.get_output = original_get  # type: ignore[method-assign]
        pulumi.StackReference.require_output = original_require  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------
# Running a program
# --------------------------------------------------------------------------------------------


@contextmanager
def _without_source_positions() -> Iterator[None]:
    """Skip the SDK's walk of the Python stack at every resource registration and read.

    The SDK tells the engine which program line created each resource: `register_resource` and
    `read_resource` call `_get_stack_trace()` (pulumi 3.272.0, sdk/python/lib/pulumi/runtime/
    resource.py:741, `traceback.extract_stack()` plus a file URI per frame) for the request's
    `sourcePosition` and `stackTrace`. The engine shows them beside a resource's diagnostics; the
    analyzer protocol never carries them (`AnalyzerResource` has type, properties, urn, name,
    options, provider, parent, dependencies, propertyDependencies: pulumi/runtime/proto/
    analyzer_pb2.pyi) and the offline plan records neither. Under the mocks the SDK's own answer
    for "no user frame found", an empty StackTrace, is given instead: a fifth of a retraining
    program's CPU (tools/bench_plan.py). The real CLI runs the SDK unpatched.
    """
    original = sdk_resource._get_stack_trace

    def no_stack_trace() -> source_pb2.StackTrace:
        return source_pb2.StackTrace()

    sdk_resource._get_stack_trace = no_stack_trace
    try:
        yield
    finally:
        sdk_resource._get_stack_trace = original


@contextmanager
def _program_environment(project_dir: Path) -> Iterator[None]:
    """cwd and sys.path as the CLI's language host sets them for the program."""
    previous_cwd = Path.cwd()
    path_entry = str(project_dir)
    sys.path.insert(0, path_entry)
    os.chdir(project_dir)
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        if path_entry in sys.path:
            sys.path.remove(path_entry)


async def _serialize_exports(exports: Mapping[str, Any]) -> dict[str, Any]:
    struct = await rpc.serialize_properties(dict(exports), {})
    serialized: dict[str, Any] = json_format.MessageToDict(struct)
    return serialized


def run_program(
    project_dir: Path | str,
    stack: str,
    *,
    config: Mapping[str, Any] | None = None,
    config_overrides: Mapping[str, Any] | None = None,
    extra_config_file: Path | None = None,
    stack_references: Mapping[str, Mapping[str, Any]] | None = None,
    preview: bool = True,
    organization: str = "organization",
    account_id: str = OFFLINE_ACCOUNT_ID,
    region: str | None = None,
    partition: str = "aws",
) -> StackRun:
    """Run `<project_dir>/__main__.py` under mocks and return what it registered and exported.

    `config`, when given, replaces `Pulumi.<stack>.yaml` entirely (keys may omit the project
    namespace). Exceptions raised by the program propagate unchanged.
    """
    project_path = Path(project_dir).resolve()
    if config is not None:
        project = project_name(project_path)
        values = {
            (k if ":" in k else f"{project}:{k}"): _config_string(v) for k, v in config.items()
        }
        loaded = ProjectConfig(project=project, values=values, secret_keys=[])
    else:
        loaded = load_project_config(project_path, stack, config_overrides, extra_config_file)
    effective_region = region or loaded.values.get("aws:region", "us-east-1")
    run = StackRun(project=loaded.project, stack=stack, organization=organization, preview=preview)
    mocks = _Mocks(
        run,
        account_id,
        effective_region,
        partition,
        stack_references or {},
        denied_defaults=denied_default_providers(loaded.values),
    )
    monitor = _RecordingMonitor(mocks)

    def execute() -> None:
        set_all_config(loaded.values, loaded.secret_keys)
        pulumi.runtime.set_mocks(  # registers the root stack resource
            mocks,
            project=loaded.project,
            stack=stack,
            preview=preview,
            monitor=monitor,
            organization=organization,
        )
        with _program_environment(project_path), _per_key_stack_references():

            def program() -> None:
                runpy.run_path(str(project_path / "__main__.py"), run_name="__main__")

            _sync_await(run_pulumi_func(program))
            root = get_root_resource()
            exports = dict(getattr(root, "outputs", {}) or {})
            run.outputs = _sync_await(_serialize_exports(exports))

    # Pulumi's settings, config and root stack live in context variables: a fresh context per
    # run keeps consecutive runs in one process (tests, the multi-stack plan) from leaking.
    with _without_source_positions():
        contextvars.Context().run(execute)
    return run
