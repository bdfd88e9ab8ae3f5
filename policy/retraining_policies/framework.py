"""What every policy of the pack shares: plain values, unknowns, config, exemptions, safety.

Why a framework around the SDK's policy classes:

- **Unknown values.** The SDK hands policies a proxy that raises `UnknownValueError` on any read of
  a value unknown at preview, and turns that into an *advisory* "can't run policy during preview":
  a mandatory check would silently pass. We never read through the proxy: `plain()` unwraps it
  without triggering it and replaces every unknown with the `UNKNOWN` marker, so each check
  decides explicitly. The pack's rule (README "Unknown values"): a check that needs the *content*
  of an unknown value reports "cannot verify ...: value unknown at preview" at the policy's own
  level (mandatory policies block); a check that needs only the *presence* of a value accepts an
  unknown one (Pulumi marks a value unknown only when it will have one); stack policies first
  try to resolve unknown references through property dependencies (an autonamed rule's name, a
  topic's ARN), and only report "cannot verify" when that fails too.
- **Config.** The CLI applies schema defaults and validation; the SDK does not, and packs may be
  run without the CLI. Every policy reads its config merged over its schema defaults and reports
  invalid config as a violation rather than crashing.
- **Exemptions** (see `exemptions.py`) apply uniformly to every policy.
- **Safety.** A policy must never crash the preview on odd input: an exception inside a check is
  reported as a violation naming the policy and the error, never raised to the engine.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    _DictProxy,
    _ListProxy,
)

from retraining_policies import exemptions

_UNKNOWN_SENTINELS: Final = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


class Unknown:
    """A value Pulumi does not know yet (preview). Truthy: it will have a value."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown at preview>"


UNKNOWN: Final = Unknown()


def plain(value: Any) -> Any:
    """`value` as plain dicts/lists/scalars, unknowns as `UNKNOWN`, without tripping the proxy."""
    if isinstance(value, _DictProxy | _ListProxy):
        value = value["__target"]
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, str) and value in _UNKNOWN_SENTINELS:
        return UNKNOWN
    return value


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


def cannot_verify(what: str, path: str) -> str:
    """The standard wording of an unknown-at-preview finding."""
    return (
        f"cannot verify {what}: {path} is unknown at preview (it is computed from another "
        "resource's output). Make it a value known at preview (config or a deterministic name), "
        "or exempt this resource with a reason and an expiry date"
    )


def describe(value: Any, limit: int = 80) -> str:
    """A short printable rendering of a property value for messages."""
    text = repr(value) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# Resources and stacks as plain data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """One resource: plain properties (inputs in Analyze, outputs in AnalyzeStack)."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any]
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    parent: str | None = None
    provider_props: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.props.get(key, default)

    def tags(self) -> dict[str, Any]:
        """`tags` merged over the provider's default tags and `tagsAll` (all as known here)."""
        merged: dict[str, Any] = {}
        default_tags = self.provider_props.get("defaultTags")
        if isinstance(default_tags, str):
            # The engine sends a provider's config values as strings: `aws:defaultTags` arrives
            # as JSON text (pulumi pkg/resource/deploy/target.go, GetPackageConfig; see
            # tools/offline_plan/README.md, "parity"). Explicit providers may send an object.
            try:
                default_tags = json.loads(default_tags)
            except ValueError:
                default_tags = None
        if isinstance(default_tags, dict) and isinstance(default_tags.get("tags"), dict):
            merged.update(default_tags["tags"])
        for key in ("tagsAll", "tags"):
            value = self.props.get(key)
            if isinstance(value, dict):
                merged.update(value)
        return merged


class Stack:
    """All resources of a stack with lookups by URN, type and property dependency."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self.resources = list(resources)
        self.by_urn = {resource.urn: resource for resource in self.resources}
        self._by_type: dict[str, list[Resource]] = {}
        for resource in self.resources:
            self._by_type.setdefault(resource.type, []).append(resource)

    def of_type(self, *types: str) -> list[Resource]:
        found: list[Resource] = []
        for type_token in types:
            found.extend(self._by_type.get(type_token, ()))
        return found

    def dependencies_of(self, resource: Resource, prop: str) -> list[Resource]:
        """The resources property `prop` of `resource` was computed from."""
        urns = resource.property_dependencies.get(prop, ())
        return [self.by_urn[urn] for urn in urns if urn in self.by_urn]

    def refers_to(self, resource: Resource, prop: str, target: Resource) -> bool:
        """Whether `resource.prop` references `target` (dependency, ARN, name or id match)."""
        if target.urn in resource.property_dependencies.get(prop, ()):
            return True
        return value_names(resource.get(prop), target)


def value_names(value: Any, target: Resource) -> bool:
    """Whether a known string value is `target`'s ARN, name or id (or an ARN ending in its name)."""
    if not isinstance(value, str) or not value:
        return False
    for key in ("arn", "name", "id"):
        known = target.get(key)
        if isinstance(known, str) and known == value:
            return True
    name = target.get("name")
    if isinstance(name, str) and name and value.startswith("arn:"):
        return value.endswith((f":{name}", f"/{name}"))
    return False


def resource_from_args(args: ResourceValidationArgs) -> Resource:
    provider_props: Any = {}
    if args.provider is not None:
        provider_props = plain(args.provider.props)
    return Resource(
        type=str(args.resource_type),
        urn=str(args.urn),
        name=str(args.name),
        props=_as_mapping(plain(args.props)),
        parent=getattr(args.opts, "parent", None),
        provider_props=_as_mapping(provider_props),
    )


def stack_from_args(args: StackValidationArgs) -> Stack:
    resources = []
    for item in args.resources:
        provider_props: Any = {}
        if item.provider is not None:
            provider_props = plain(item.provider.props)
        resources.append(
            Resource(
                type=str(item.resource_type),
                urn=str(item.urn),
                name=str(item.name),
                props=_as_mapping(plain(item.props)),
                dependencies=tuple(dependency.urn for dependency in item.dependencies),
                property_dependencies={
                    str(key): tuple(dependency.urn for dependency in value)
                    for key, value in item.property_dependencies.items()
                },
                parent=item.parent.urn if item.parent is not None else None,
                provider_props=_as_mapping(provider_props),
            )
        )
    return Stack(resources)


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


# ---------------------------------------------------------------------------------------------
# Findings, config and metadata
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One violation. `urn` names the resource a stack-policy finding is about."""

    message: str
    urn: str | None = None


@dataclass(frozen=True, eq=False)  # hashed by identity: config resolution is cached per policy
class PolicyDoc:
    """Everything the catalogue says about a policy; `config` holds JSON-schema properties."""

    name: str
    family: str
    description: str
    why: str
    remediation: str
    enforcement_level: EnforcementLevel
    severity: Severity
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    resource_types: tuple[str, ...] = ()
    """Resource policies: the types it inspects. Stack policies: empty."""


ALL_TYPES: Final = ("*",)
"""`PolicyDoc.resource_types` of a resource policy that inspects every resource."""

ResourceCheck = Callable[[Resource, Mapping[str, Any]], Iterable[str]]
StackCheck = Callable[[Stack, Mapping[str, Any]], Iterable[Finding]]


def full_schema(doc: PolicyDoc) -> dict[str, Any]:
    properties = {**doc.config, "exemptions": exemptions.CONFIG_SCHEMA}
    return {"type": "object", "properties": properties}


@functools.lru_cache(maxsize=256)
def _resolve_config(doc: PolicyDoc, raw_json: str) -> tuple[Mapping[str, Any], tuple[str, ...]]:
    import jsonschema  # noqa: PLC0415 - ~0.1 s to import: paid on first use, not at pack start

    raw = json.loads(raw_json)
    schema = full_schema(doc)
    validator = jsonschema.Draft7Validator(schema)
    problems: list[str] = []
    invalid_keys: set[str] = set()
    for error in sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(part) for part in error.absolute_path) or "(config)"
        problems.append(f"policy config {path}: {error.message}")
        if error.absolute_path:
            invalid_keys.add(str(error.absolute_path[0]))
    values: dict[str, Any] = {
        key: spec.get("default") for key, spec in schema["properties"].items()
    }
    values["exemptions"] = []
    for key, value in raw.items():
        if key in values and key not in invalid_keys:
            values[key] = value
    # One bad exemption entry must not void the others: keep every entry that is valid alone.
    entries = raw.get("exemptions")
    if isinstance(entries, list):
        item_validator = jsonschema.Draft7Validator(exemptions.CONFIG_SCHEMA["items"])
        values["exemptions"] = [entry for entry in entries if item_validator.is_valid(entry)]
        problems.extend(exemptions.config_entry_problems(entries, doc.name))
    return values, tuple(problems)


def read_config(
    doc: PolicyDoc, raw: Mapping[str, Any] | None
) -> tuple[Mapping[str, Any], tuple[str, ...]]:
    """The policy's config merged over its defaults, plus every problem with what was given.

    Invalid keys fall back to their defaults (and the problem is reported).
    """
    try:
        raw_json = json.dumps(plain(raw or {}), sort_keys=True, default=str)
    except (TypeError, ValueError) as error:
        return read_config(doc, {})[0], (f"policy config is not JSON-serialisable: {error}",)
    return _resolve_config(doc, raw_json)


def _metadata_kwargs(doc: PolicyDoc) -> dict[str, Any]:
    schema = full_schema(doc)
    return {
        "name": doc.name,
        "description": doc.description,
        "enforcement_level": doc.enforcement_level,
        "config_schema": PolicyConfigSchema(properties=schema["properties"]),
        "severity": doc.severity,
        "tags": [doc.family],
        "remediation_steps": doc.remediation,
    }


def _bug_report(doc: PolicyDoc, error: Exception) -> str:
    return (
        f"policy {doc.name} failed while evaluating this resource ({type(error).__name__}: "
        f"{error}); this is a bug in the policy pack, please report it. Treated as a violation so "
        "the check cannot pass by crashing"
    )


class RetrainingResourcePolicy(ResourceValidationPolicy):
    """A resource policy: type filter, plain props, config with defaults, exemptions, safety."""

    def __init__(self, doc: PolicyDoc, check: ResourceCheck) -> None:
        self.doc = doc
        self._check = check
        self._types = frozenset(doc.resource_types)
        self._all_types = "*" in self._types
        super().__init__(validate=self._validate, **_metadata_kwargs(doc))

    def evaluate(self, resource: Resource, raw_config: Mapping[str, Any] | None) -> list[str]:
        """Every message this policy reports for `resource` (exemptions applied)."""
        config, problems = read_config(self.doc, raw_config)
        messages = list(problems)
        try:
            findings = [str(message) for message in self._check(resource, config)]
        except Exception as error:
            findings = [_bug_report(self.doc, error)]
        messages.extend(
            exemptions.apply(
                self.doc.name,
                resource,
                findings,
                config["exemptions"],
                stack_policy=False,
            )
        )
        return messages

    def _validate(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not self._all_types and args.resource_type not in self._types:
            return
        try:
            resource = resource_from_args(args)
            messages = self.evaluate(resource, args.get_config())
        except Exception as error:
            messages = [_bug_report(self.doc, error)]
        for message in messages:
            report_violation(message, None)


class RetrainingStackPolicy(StackValidationPolicy):
    """A stack policy over plain resources, with config defaults, exemptions and safety."""

    def __init__(self, doc: PolicyDoc, check: StackCheck) -> None:
        self.doc = doc
        self._check = check
        super().__init__(validate=self._validate, **_metadata_kwargs(doc))

    def evaluate(self, stack: Stack, raw_config: Mapping[str, Any] | None) -> list[Finding]:
        config, problems = read_config(self.doc, raw_config)
        results = [Finding(problem) for problem in problems]
        try:
            findings = list(self._check(stack, config))
        except Exception as error:
            findings = [Finding(_bug_report(self.doc, error))]
        by_urn: dict[str | None, list[str]] = {}
        for finding in findings:
            by_urn.setdefault(finding.urn, []).append(finding.message)
        for urn, messages in by_urn.items():
            resource = stack.by_urn.get(urn) if urn is not None else None
            if resource is None:
                results.extend(Finding(message, urn) for message in messages)
                continue
            kept = exemptions.apply(
                self.doc.name, resource, messages, config["exemptions"], stack_policy=True
            )
            results.extend(Finding(message, urn) for message in kept)
        # Exemptions for resources without findings still count (expired ones are violations).
        for resource in stack.resources:
            if resource.urn not in by_urn:
                kept = exemptions.apply(
                    self.doc.name, resource, [], config["exemptions"], stack_policy=True
                )
                results.extend(Finding(message, resource.urn) for message in kept)
        return results

    def _validate(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        try:
            findings = self.evaluate(stack_from_args(args), args.get_config())
        except Exception as error:
            findings = [Finding(_bug_report(self.doc, error))]
        for finding in findings:
            report_violation(finding.message, finding.urn)


RetrainingPolicy = RetrainingResourcePolicy | RetrainingStackPolicy
"""Every policy of the pack: an SDK policy that also carries its `PolicyDoc`."""


# ---------------------------------------------------------------------------------------------
# Small helpers the checks share
# ---------------------------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    """A JSON value that may be one item or a list of items, as a list (None -> [])."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def parse_json(value: Any) -> tuple[Any, str | None]:
    """A JSON document property (string or already-structured) -> (value, problem)."""
    if isinstance(value, dict | list):
        return value, None
    if not isinstance(value, str):
        return None, f"expected a JSON document, got {type(value).__name__}"
    try:
        return json.loads(value), None
    except ValueError as error:
        return None, f"is not valid JSON ({error})"
    except RecursionError:
        return None, "is nested too deeply to read (more levels than Python's JSON parser takes)"


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) inside a plain JSON-like value, depth first."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")
