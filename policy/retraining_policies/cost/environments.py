"""Limits per environment, and which environment a resource belongs to.

Every cost guardrail is configured as a map from environment name to limit, with `*` for any
environment not named (and for a resource whose `environment` tag is missing or unknown):
`{"dev": 200, "staging": 1000, "prod": 5000, "*": 200}`. The environment is the resource's
`environment` tag, which every stack of this repository sets (retraining_shared.tags); a stack
that does not tag is judged by the `*` limit, so the default for `*` is as strict as dev.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from retraining_policies.framework import Resource

ANY_ENVIRONMENT: Final = "*"
ENVIRONMENT_TAG: Final = "environment"


def per_environment_schema(
    value_schema: Mapping[str, Any], defaults: Mapping[str, Any], description: str
) -> dict[str, Any]:
    """A config property: environment name -> limit, `*` for every other environment."""
    return {
        "type": "object",
        "additionalProperties": dict(value_schema),
        "default": dict(defaults),
        "description": f"{description} By environment; '*' applies to any other environment.",
    }


def environment_of(resource: Resource) -> str | None:
    """The resource's `environment` tag when it is a known string."""
    value = resource.tags().get(ENVIRONMENT_TAG)
    return value if isinstance(value, str) and value else None


def limit_for(limits: Mapping[str, Any], environment: str | None) -> tuple[Any, str]:
    """(limit, the config key it came from, e.g. 'dev' or '*'); (None, '') when neither the
    environment nor '*' is configured (no limit)."""
    if environment is not None and environment in limits:
        return limits[environment], environment
    if ANY_ENVIRONMENT in limits:
        return limits[ANY_ENVIRONMENT], ANY_ENVIRONMENT
    return None, ""


def limit_of(resource: Resource, limits: Mapping[str, Any], setting: str) -> tuple[Any, str] | None:
    """(the limit for the resource's environment, how a message names it), None if unlimited."""
    environment = environment_of(resource)
    limit, key = limit_for(limits, environment)
    return None if limit is None else (limit, where(environment, key, setting))


def where(environment: str | None, key: str, setting: str) -> str:
    """How a message names the limit: `the dev limit (maxInstanceCount.dev)`."""
    if environment is None:
        scope = "the limit for stacks without an environment tag"
    elif key == ANY_ENVIRONMENT:
        scope = f"the limit for environment {environment!r} (not configured by name)"
    else:
        scope = f"the {environment} limit"
    return f"{scope} ({setting}.{key})"
