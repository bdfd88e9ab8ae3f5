"""Stack configuration: read everything, validate everything, report every problem at once.

A stack declares its settings as a pydantic model (`ConfigModel`, camelCase keys as in
`Pulumi.<stack>.yaml`) and calls `load_config(Model)` before it registers any resource. Problems
are collected, never raised one by one: pydantic's errors, JSON that does not parse, unknown keys
(typos) and the stack's own cross-field checks all end up in one `ConfigError` whose message is
the whole list, one line per problem, in the form

    <project>:<key>[.<path>]: <problem> (got <value>; allowed: <what is allowed>)

`ConfigError` is a `pulumi.RunError`: the Pulumi language host prints its message without a stack
trace, so the user sees exactly that list.

Config values reach the program as strings (objects as JSON), so booleans and integers are parsed
by pydantic's lax mode ("true" → True, "3" → 3) and structured keys are decoded here first.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    Strict,
    ValidationError,
)
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError, PydanticUndefined

from retraining_shared import naming, tags

ConfigKind = Literal["plain", "structured", "secret"]
ModelT = TypeVar("ModelT", bound="ConfigModel")


class _Missing:
    """No value was given (distinct from an explicit null)."""

    def __repr__(self) -> str:
        return "nothing"


MISSING: Any = _Missing()
REQUIRED_PROBLEM = "is required"
UNKNOWN_KEY_PROBLEM = "is not a known setting"
"""The start of the problem text of a missing and of an unknown key: the offline plan points a
missing key at where it belongs and an unknown one at the key itself (not its value)."""
_MAX_RENDERED_VALUE = 120


# --------------------------------------------------------------------------------------------
# Problems and the error that lists them
# --------------------------------------------------------------------------------------------


def render_value(value: Any, *, secret: bool = False) -> str:
    """How a config value appears in a problem line: JSON-like, short, never a secret."""
    if isinstance(value, _Missing):
        return "nothing"
    if secret or isinstance(value, SecretStr):
        return "[secret]"
    try:
        rendered = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        rendered = repr(value)
    if len(rendered) > _MAX_RENDERED_VALUE:
        rendered = rendered[: _MAX_RENDERED_VALUE - 1] + "…"
    return rendered


def format_key(project: str, path: Sequence[str | int]) -> str:
    """`<project>:<key>.<sub>[0]` in the `pulumi config set --path` syntax."""
    text = ""
    for index, part in enumerate(path):
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.replace("-", "").replace("_", "").isalnum():
            text += part if index == 0 else f".{part}"
        else:
            text += json.dumps([part], ensure_ascii=False)
    return f"{project}:{text}"


_KEY_PART = re.compile(
    r'\.(?P<name>[A-Za-z0-9_-]+)|\[(?P<index>\d+)\]|\[(?P<quoted>"(?:[^"\\]|\\.)*")\]'
)


def parse_key(key: str) -> tuple[str, tuple[str | int, ...]]:
    """The inverse of `format_key`: `retraining:training.spot[0]` -> ("retraining", (...)).

    Lets a caller that knows where keys are written (the offline plan knows the stack file's
    lines) find the key a problem names. A key it cannot read comes back whole, as one part.
    """
    project, _, text = key.partition(":")
    head = re.match(r"[A-Za-z0-9_-]+", text)
    if head is None:
        return project, (text,) if text else ()
    parts: list[str | int] = [head.group(0)]
    position = head.end()
    while position < len(text):
        match = _KEY_PART.match(text, position)
        if match is None:
            return project, (text,)
        if match["name"] is not None:
            parts.append(match["name"])
        elif match["index"] is not None:
            parts.append(int(match["index"]))
        else:
            parts.append(str(json.loads(match["quoted"])))
        position = match.end()
    return project, tuple(parts)


def did_you_mean(unknown: str, known: Iterable[str]) -> str:
    """` (did you mean 'schedule'?)` for a key close to a known one (difflib), else ''."""
    close = difflib.get_close_matches(unknown, list(known), n=1, cutoff=0.6)
    if not close:
        lowered = {name.lower(): name for name in known}
        close = [lowered[unknown.lower()]] if unknown.lower() in lowered else []
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with the configuration."""

    key: str
    problem: str
    value: str
    allowed: str | None = None

    def __str__(self) -> str:
        detail = f"got {self.value}"
        if self.allowed:
            detail += f"; allowed: {self.allowed}"
        return f"{self.key}: {self.problem} ({detail})"


class ConfigError(pulumi.RunError):
    """The configuration has problems; the message lists all of them, one per line.

    A `pulumi.RunError`, so the Pulumi CLI prints the message alone (no traceback).
    """

    def __init__(self, problems: Sequence[ConfigProblem], *, context: str | None = None) -> None:
        self.problems: tuple[ConfigProblem, ...] = tuple(problems)
        count = len(self.problems)
        header = (
            f"{context or 'Invalid stack configuration'}: {count} "
            f"problem{'s' if count != 1 else ''}; no resources were registered."
        )
        super().__init__("\n".join([header, *(f"  - {problem}" for problem in self.problems)]))


class ProblemList:
    """Collects problems for one project's configuration."""

    def __init__(self, project: str, secret_keys: Iterable[str] = ()) -> None:
        self.project = project
        self._secret_keys = set(secret_keys)
        self._problems: list[ConfigProblem] = []

    def __len__(self) -> int:
        return len(self._problems)

    def __iter__(self) -> typing.Iterator[ConfigProblem]:
        return iter(self._problems)

    def is_secret(self, path: Sequence[str | int]) -> bool:
        return bool(path) and str(path[0]) in self._secret_keys

    def add(
        self,
        path: str | Sequence[str | int],
        problem: str,
        value: Any = MISSING,
        allowed: str | None = None,
    ) -> None:
        """Record a problem at `path` (a key, or a sequence of key and nested parts)."""
        parts: Sequence[str | int] = (path,) if isinstance(path, str) else path
        self._problems.append(
            ConfigProblem(
                key=format_key(self.project, parts),
                problem=problem,
                value=render_value(value, secret=self.is_secret(parts)),
                allowed=allowed,
            )
        )

    def raise_if_any(self, context: str | None = None) -> None:
        if self._problems:
            raise ConfigError(self._problems, context=context)


# --------------------------------------------------------------------------------------------
# Declaring settings
# --------------------------------------------------------------------------------------------


class ConfigModel(BaseModel):
    """Base for stack settings: camelCase keys, unknown keys rejected, immutable.

    `removed_settings` maps a key a model no longer has to why it went: a stack config that still
    sets it gets that reason instead of "a typo?".
    """

    removed_settings: ClassVar[Mapping[str, str]] = {}

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


def setting(
    default: Any = PydanticUndefined,
    *,
    description: str,
    allowed: str | None = None,
    kind: ConfigKind | None = None,
    **constraints: Any,
) -> Any:
    """A config setting: its description, what is allowed (quoted in problems), its kind.

    `kind` defaults to what the annotation implies: objects/lists are `structured` (JSON on the
    wire), `SecretStr` is `secret`, anything else `plain`.
    """
    extra: dict[str, Any] = {}
    if allowed is not None:
        extra["allowed"] = allowed
    if kind is not None:
        extra["config_kind"] = kind
    return Field(default, description=description, json_schema_extra=extra, **constraints)


def invalid(problem: str, allowed: str | None = None) -> PydanticCustomError:
    """Raise this from a validator to report `problem` (and what is allowed) verbatim."""
    context: dict[str, Any] = {"problem": problem}
    if allowed is not None:
        context["allowed"] = allowed
    return PydanticCustomError("retraining_invalid", "{problem}", context)


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the type that carries the shape."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _extra(info: FieldInfo) -> Mapping[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, Mapping) else {}


def config_kind(info: FieldInfo) -> ConfigKind:
    explicit = _extra(info).get("config_kind")
    if explicit in ("plain", "structured", "secret"):
        return typing.cast(ConfigKind, explicit)
    annotation = _unwrap(info.annotation)
    if annotation is SecretStr:
        return "secret"
    origin = typing.get_origin(annotation) or annotation
    if origin in (dict, list, tuple, set, frozenset) or (
        isinstance(origin, type) and issubclass(origin, (BaseModel, Mapping))
    ):
        return "structured"
    return "plain"


def read_plain(config: pulumi.Config, key: str) -> str | None:
    """A plain value as the CLI passed it (a string), or None when unset."""
    return config.get(key)


def read_structured(config: pulumi.Config, key: str, problems: ProblemList) -> Any:
    """An object or list value (JSON on the wire); MISSING when unset or unparsable."""
    raw = config.get(key)
    if raw is None:
        return MISSING
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        problems.add(
            key,
            "must be a structured value (a YAML mapping or list in Pulumi.<stack>.yaml, or "
            "set with `pulumi config set --path`)",
            raw,
        )
        return MISSING


def read_secret(config: pulumi.Config, key: str) -> SecretStr | None:
    """A secret's plaintext wrapped in SecretStr, so it cannot leak through repr or errors.

    Wrap it with `pulumi.Output.secret(value.get_secret_value())` where a resource uses it.
    """
    raw = config.get(key)
    return None if raw is None else SecretStr(raw)


def secret_config_keys(project: str, keys: Iterable[str]) -> set[str]:
    """Those of `keys` that the stack stores encrypted (`secure:` in Pulumi.<stack>.yaml)."""
    return {key for key in keys if runtime_config.is_config_secret(f"{project}:{key}")}


def project_config_keys(project: str) -> set[str]:
    """Every key set in the project's namespace (from the engine or PULUMI_CONFIG)."""
    prefix = f"{project}:"
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    return {key[len(prefix) :] for key in keys if isinstance(key, str) and key.startswith(prefix)}


# --------------------------------------------------------------------------------------------
# Translating pydantic's errors
# --------------------------------------------------------------------------------------------


def _field_by_key(model: type[BaseModel], key: str) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _walk(model: type[BaseModel], path: Sequence[str | int]) -> tuple[Any, FieldInfo | None]:
    """The type and (if the last part is a model field) the field found at `path`."""
    current: Any = model
    info: FieldInfo | None = None
    for part in path:
        current = _unwrap(current)
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            info = _field_by_key(current, part)
            if info is None:
                return None, None
            current = info.annotation
        elif origin is dict:
            current, info = typing.get_args(current)[1], None
        elif origin in (list, tuple, set, frozenset):
            current, info = typing.get_args(current)[0], None
        else:
            return None, None
    return current, info


def _removed_settings(model_type: Any) -> Mapping[str, str]:
    model_type = _unwrap(model_type)
    if isinstance(model_type, type) and issubclass(model_type, ConfigModel):
        return model_type.removed_settings
    return {}


def _keys_of(model_type: Any) -> str | None:
    model_type = _unwrap(model_type)
    if isinstance(model_type, type) and issubclass(model_type, BaseModel):
        return ", ".join(info.alias or name for name, info in model_type.model_fields.items())
    return None


_PROBLEMS_BY_TYPE: dict[str, tuple[str, str | None]] = {
    "missing": (REQUIRED_PROBLEM, None),
    "extra_forbidden": (UNKNOWN_KEY_PROBLEM, None),
    "bool_parsing": ("must be true or false", "true, false"),
    "bool_type": ("must be true or false", "true, false"),
    "int_parsing": ("must be a whole number", None),
    "int_type": ("must be a whole number", None),
    "int_from_float": ("must be a whole number", None),
    "string_type": ("must be a string", None),
    "dict_type": ("must be a mapping (key: value)", None),
    "model_type": ("must be a mapping (key: value)", None),
    "model_attributes_type": ("must be a mapping (key: value)", None),
    "list_type": ("must be a list", None),
}


_DescribeContext = Callable[[Mapping[str, Any]], tuple[str, str | None]]
_PROBLEMS_FROM_CONTEXT: dict[str, _DescribeContext] = {
    "retraining_invalid": lambda c: (str(c["problem"]), c.get("allowed")),
    "greater_than_equal": lambda c: (f"must be at least {c['ge']}", None),
    "greater_than": lambda c: (f"must be more than {c['gt']}", None),
    "less_than_equal": lambda c: (f"must be at most {c['le']}", None),
    "less_than": lambda c: (f"must be less than {c['lt']}", None),
    "literal_error": lambda c: ("is not one of the supported values", str(c.get("expected"))),
    "too_short": lambda c: (f"needs at least {c.get('min_length')} item(s)", None),
    "too_long": lambda c: (f"allows at most {c.get('max_length')} item(s)", None),
    "string_too_short": lambda c: (f"must be at least {c.get('min_length')} characters", None),
    "string_too_long": lambda c: (f"must be at most {c.get('max_length')} characters", None),
    "string_pattern_mismatch": lambda c: ("has the wrong format", f"matching {c.get('pattern')}"),
}


def _describe(error: Mapping[str, Any]) -> tuple[str, str | None]:
    """(problem, allowed) for one pydantic error, in our words."""
    error_type = str(error["type"])
    context: Mapping[str, Any] = error.get("ctx") or {}
    if error_type == "value_error" and "error" in context:
        # A plain ValueError from a validator (e.g. naming.NamingError): its text is the problem.
        return str(context["error"]), None
    if error_type in _PROBLEMS_BY_TYPE:
        return _PROBLEMS_BY_TYPE[error_type]
    if error_type in _PROBLEMS_FROM_CONTEXT:
        return _PROBLEMS_FROM_CONTEXT[error_type](context)
    return str(error["msg"]), None


def add_validation_errors(
    problems: ProblemList,
    model: type[BaseModel],
    error: ValidationError,
    *,
    skip_keys: Iterable[str] = (),
) -> None:
    """Translate every error of a pydantic ValidationError into our problem format.

    `skip_keys`: top-level keys already reported (e.g. unparsable JSON) — not reported again.
    """
    skipped = set(skip_keys)
    for item in error.errors(include_url=False):
        location = [part for part in item["loc"] if part != "[key]"]
        if location and location[0] in skipped:
            continue
        problem, allowed = _describe(item)
        if item["type"] == "extra_forbidden":
            parent_type, _ = _walk(model, location[:-1])
            allowed = _keys_of(parent_type)
            removed = _removed_settings(parent_type).get(str(location[-1])) if location else None
            if removed is not None:
                problem = f"was removed: {removed}. Delete it"
            elif allowed and location and isinstance(location[-1], str):
                problem += did_you_mean(location[-1], allowed.split(", "))
        if allowed is None:
            _, info = _walk(model, location)
            if info is not None:
                field_allowed = _extra(info).get("allowed")
                allowed = str(field_allowed) if field_allowed is not None else None
        value = MISSING if item["type"] == "missing" else item.get("input", MISSING)
        problems.add(location, problem, value, allowed)


# --------------------------------------------------------------------------------------------
# Loading a stack's configuration
# --------------------------------------------------------------------------------------------


def load_config(
    model: type[ModelT],
    *,
    project: str | None = None,
    config: pulumi.Config | None = None,
    checks: Callable[[ModelT, ProblemList], None] | None = None,
    context: str | None = None,
) -> ModelT:
    """Read every setting of `model` from the project's config, validate all of it, and return
    the model, or raise one ConfigError listing every problem.

    `checks` runs only when the settings are individually valid (cross-field rules need valid
    parts); it reports through the ProblemList it is given.
    """
    project_name = project or pulumi.get_project()
    source = config or pulumi.Config(project_name)
    known_keys = [info.alias or name for name, info in model.model_fields.items()]
    present_keys = project_config_keys(project_name)
    problems = ProblemList(
        project_name, secret_config_keys(project_name, present_keys | set(known_keys))
    )

    data: dict[str, Any] = {}
    unreadable: set[str] = set()
    for name, info in model.model_fields.items():
        key = info.alias or name
        kind = config_kind(info)
        if kind == "structured":
            before = len(problems)
            value = read_structured(source, key, problems)
            if len(problems) > before:
                unreadable.add(key)
        elif kind == "secret":
            value = read_secret(source, key)
        else:
            value = read_plain(source, key)
        if value is not None and not isinstance(value, _Missing):
            data[key] = value

    for unknown in sorted(present_keys - set(known_keys)):
        problems.add(
            unknown,
            f"{UNKNOWN_KEY_PROBLEM} of this stack"
            + (did_you_mean(unknown, known_keys) or " (a typo?)"),
            runtime_config.get_config(f"{project_name}:{unknown}"),
            ", ".join(sorted(known_keys)),
        )

    result: ModelT | None = None
    try:
        result = model.model_validate(data)
    except ValidationError as error:
        add_validation_errors(problems, model, error, skip_keys=unreadable)

    if result is not None and len(problems) == 0 and checks is not None:
        checks(result, problems)
    problems.raise_if_any(context)
    if result is None:  # unreachable: a failed validation always leaves problems
        raise ConfigError([], context=context)
    return result


# --------------------------------------------------------------------------------------------
# Field types shared by every stack
# --------------------------------------------------------------------------------------------


def _team_name(value: str) -> str:
    problem = naming.team_problem(value)
    if problem:
        raise invalid(f"team name {problem}", naming.TEAM_RULE)
    return value


def _environment_name(value: str) -> str:
    problem = naming.environment_problem(value)
    if problem:
        raise invalid(f"environment {problem}", naming.ENVIRONMENT_RULE)
    return value


def _model_name(value: str) -> str:
    problem = naming.model_problem(value)
    if problem:
        raise invalid(f"model name {problem}", naming.MODEL_RULE)
    return value


def _user_tags(value: dict[str, str]) -> dict[str, str]:
    problems = tags.user_tag_problems(value, reserved_count=len(tags.RESERVED_TAG_KEYS))
    if problems:
        raise invalid(
            "; ".join(problems), f"keys 1-128 and values 0-256 {tags.TAG_CHARACTERS_RULE}"
        )
    return value


def _tag_value(value: str) -> str:
    problem = tags.tag_value_text_problem(value)
    if problem:
        raise invalid(problem, f"0-256 {tags.TAG_CHARACTERS_RULE}")
    return value


def _config_bool(value: object) -> object:
    # The CLI passes booleans as "true"/"false" (as `pulumi.Config.get_bool` reads them); JSON
    # values inside structured keys are real booleans. Nothing else ("yes", "1") is a boolean.
    return {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value


ConfigBool = Annotated[bool, BeforeValidator(_config_bool), Strict()]
"""true/false only, as Pulumi itself reads booleans (pydantic alone would take "yes", "on", 1)."""
TeamName = Annotated[str, AfterValidator(_team_name)]
EnvironmentName = Annotated[str, AfterValidator(_environment_name)]
ModelName = Annotated[str, AfterValidator(_model_name)]
UserTags = Annotated[dict[str, str], AfterValidator(_user_tags)]
TagValue = Annotated[str, AfterValidator(_tag_value)]
