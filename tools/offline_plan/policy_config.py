"""Policy pack configuration, reconciled the way the Pulumi CLI does before it calls `Configure`.

The CLI (pkg/resource/analyzer/config.go) builds each policy's configuration in three layers:

1. defaults: the policy's own enforcement level (the pack's when the policy has none, as
   `GetAnalyzerInfo` reports it) and the `default` of each property of its config schema;
2. the pack's `initial_config` (`GetAnalyzerInfo.initialConfig`);
3. the `--policy-pack-config` file.

In layers 2 and 3 an `all` entry with an enforcement level applies to every policy first, then each
policy's own entry overrides its level and merges its properties. The result is validated against
each policy's config schema (as a JSON schema of type object) and every error is reported; only a
valid configuration reaches the pack. The pack's SDK applies no defaults itself, which is why a
policy reads its config with defaults in code too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from offline_plan.policy_client import ENFORCEMENT_LEVEL_NAMES, ENFORCEMENT_LEVELS, PolicySettings

ALL_POLICIES_KEY = "all"
VALID_LEVELS = tuple(ENFORCEMENT_LEVELS)


class PolicyConfigError(Exception):
    """The policy pack configuration is not valid; the message lists every problem."""


@dataclass(frozen=True)
class PolicyConfigEntry:
    """One entry of a policy configuration layer: a level, properties, or both."""

    enforcement_level: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicyDescription:
    """What the planner needs to know about one policy of the pack."""

    name: str
    description: str
    enforcement_level: str
    config_schema: Mapping[str, Any] | None
    """`{"properties": ..., "required": [...]}` or None when the policy declares no schema."""
    remediation_steps: str = ""
    policy_type: str = ""


def describe_policies(info: analyzer_pb2.AnalyzerInfo) -> list[PolicyDescription]:
    policies = []
    for policy in info.policies:
        schema: dict[str, Any] | None = None
        if policy.HasField("configSchema"):
            schema = {
                "properties": json_format.MessageToDict(policy.configSchema.properties),
                "required": list(policy.configSchema.required),
            }
        policies.append(
            PolicyDescription(
                name=policy.name,
                description=policy.description,
                enforcement_level=ENFORCEMENT_LEVEL_NAMES.get(policy.enforcementLevel, "advisory"),
                config_schema=schema,
                remediation_steps=policy.remediation_steps,
                policy_type=analyzer_pb2.PolicyType.Name(policy.policy_type),
            )
        )
    return policies


def initial_config(info: analyzer_pb2.AnalyzerInfo) -> dict[str, PolicyConfigEntry]:
    """The pack's `initial_config`; an entry without a level reads as advisory, as in the CLI."""
    return {
        name: PolicyConfigEntry(
            enforcement_level=ENFORCEMENT_LEVEL_NAMES.get(entry.enforcementLevel, "advisory"),
            properties=json_format.MessageToDict(entry.properties),
        )
        for name, entry in info.initialConfig.items()
    }


def _level(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise PolicyConfigError(
            f"{where}: enforcementLevel {value!r} must be a string, one of "
            + ", ".join(VALID_LEVELS)
        )
    if value not in ENFORCEMENT_LEVELS:
        raise PolicyConfigError(
            f"{where}: {value!r} is not a valid enforcement level; allowed: "
            + ", ".join(VALID_LEVELS)
        )
    return value


def parse_policy_pack_config(text: str, source: str) -> dict[str, PolicyConfigEntry]:
    """Parse a `--policy-pack-config` JSON document (empty text means no configuration)."""
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except ValueError as error:
        raise PolicyConfigError(f"{source}: not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise PolicyConfigError(f"{source}: expected a JSON object of policy name -> config")
    entries: dict[str, PolicyConfigEntry] = {}
    problems: list[str] = []
    for key, value in document.items():
        where = f"{source}: {key}"
        try:
            if isinstance(value, str):
                entry = PolicyConfigEntry(enforcement_level=_level(value, where))
            elif isinstance(value, dict):
                properties = dict(value)
                level = properties.pop("enforcementLevel", None)
                entry = PolicyConfigEntry(
                    enforcement_level=None if level is None else _level(level, where),
                    properties=properties,
                )
            else:
                raise PolicyConfigError(
                    f"{where}: {value!r} is not a valid value; must be an enforcement level "
                    "string or an object"
                )
        except PolicyConfigError as error:
            problems.append(str(error))
            continue
        if entry.enforcement_level is None and not entry.properties:
            continue  # the CLI drops empty entries
        entries[key] = entry
    if problems:
        raise PolicyConfigError("; ".join(problems))
    return entries


def load_policy_pack_config(path: Path) -> dict[str, PolicyConfigEntry]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyConfigError(f"{path}: cannot read the policy pack config: {error}") from error
    return parse_policy_pack_config(text, str(path))


@dataclass
class _Working:
    level: str | None
    properties: dict[str, Any] | None


def _apply(result: dict[str, _Working], layer: Mapping[str, PolicyConfigEntry]) -> None:
    everything = layer.get(ALL_POLICIES_KEY)
    if everything is not None and everything.enforcement_level is not None:
        for entry in result.values():
            entry.level = everything.enforcement_level
    for name, given in layer.items():
        entry = result.setdefault(name, _Working(None, None))
        if given.enforcement_level is not None:
            entry.level = given.enforcement_level
        if given.properties:
            entry.properties = {**(entry.properties or {}), **given.properties}


def reconcile(
    policies: list[PolicyDescription],
    initial: Mapping[str, PolicyConfigEntry],
    given: Mapping[str, PolicyConfigEntry],
    *,
    source: str = "policy pack config",
) -> dict[str, PolicySettings]:
    """Defaults, then the pack's initial config, then the given file; validated like the CLI."""
    result: dict[str, _Working] = {}
    for policy in policies:
        defaults: dict[str, Any] | None = None
        if policy.config_schema is not None:
            for key, property_schema in (policy.config_schema.get("properties") or {}).items():
                if isinstance(property_schema, dict) and "default" in property_schema:
                    defaults = defaults or {}
                    defaults[key] = property_schema["default"]
        result[policy.name] = _Working(policy.enforcement_level, defaults)
    _apply(result, initial)
    _apply(result, given)

    problems: list[str] = []
    for policy in policies:
        if policy.config_schema is None:
            continue
        schema: dict[str, Any] = {"type": "object"}
        if policy.config_schema.get("properties"):
            schema["properties"] = policy.config_schema["properties"]
        if policy.config_schema.get("required"):
            schema["required"] = policy.config_schema["required"]
        properties = result[policy.name].properties or {}
        validator = jsonschema.Draft7Validator(schema)
        for error in sorted(validator.iter_errors(properties), key=lambda e: list(e.path)):
            location = ".".join(str(p) for p in error.path)
            where = f"{policy.name}.{location}" if location else policy.name
            problems.append(f"{where}: {error.message}")
    if problems:
        raise PolicyConfigError(f"{source}: invalid policy configuration: " + "; ".join(problems))

    # The CLI keeps every entry it was given, `all` and names the pack does not know included,
    # and sends them all to Configure, which refuses an empty level before calling the pack:
    # pkg/resource/analyzer/config.go applyConfig, pkg/resource/plugin/analyzer_plugin.go
    # Configure ("invalid enforcement level") in pulumi v3.259.0.
    levelless = sorted(name for name, entry in result.items() if entry.level is None)
    if levelless:
        raise PolicyConfigError(
            f"{source}: "
            + "; ".join(
                f"{name!r} sets no enforcementLevel and is no policy of the pack (`all` or an "
                "unknown name), so it keeps an empty level and the CLI's Configure fails with "
                'invalid enforcement level ""; give it an enforcementLevel or remove it'
                for name in levelless
            )
        )
    return {
        name: PolicySettings(ENFORCEMENT_LEVELS[entry.level], entry.properties or {})
        for name, entry in result.items()
        if entry.level is not None
    }


def unknown_policy_names(
    policies: list[PolicyDescription], given: Mapping[str, PolicyConfigEntry]
) -> list[str]:
    """Entries of the config file that name no policy of the pack (the CLI ignores them)."""
    known = {policy.name for policy in policies} | {ALL_POLICIES_KEY}
    return sorted(name for name in given if name not in known)
