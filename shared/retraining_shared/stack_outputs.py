"""Read an upstream stack's exports before registering any resource.

A downstream stack must check what it takes from upstream (does the team exist there? same
environment, account, region?) before it creates anything, or a bad reference leaves half a
stack behind. `StackReference.outputs` is an Output, so this module waits for it synchronously,
the same way the Pulumi Python SDK waits for invokes (`aws.get_caller_identity()` is
synchronous): with the SDK's `_sync_await`, which pumps the program's event loop until the
StackReference read has completed. Nothing else is registered meanwhile.

Against a deployed upstream stack (the only kind the CLI can reference) every value is known.
When the upstream stack is itself only previewed (the offline plan), values its preview could
not know arrive as `pulumi.output.Unknown`; `is_unknown` tells them apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import pulumi
from pulumi.output import Unknown
from pulumi.runtime.sync_await import _sync_await
from pydantic import BaseModel

from retraining_shared.config import ConfigError, ConfigProblem, render_value


def is_unknown(value: Any) -> bool:
    """True for a value the upstream preview could not know (only in offline previews)."""
    return isinstance(value, Unknown)


def read_stack_outputs(
    reference: pulumi.StackReference,
    *,
    stack_name: str,
    config_key: str,
    required: Sequence[str],
) -> Mapping[str, Any]:
    """All exports of `reference`, after checking that every `required` one exists.

    `config_key` is the fully qualified config key that named the stack (quoted in problems).
    Raises ConfigError listing every missing export.
    """
    outputs = _sync_await(reference.outputs.future(with_unknowns=True))
    if not isinstance(outputs, Mapping):
        raise ConfigError(
            [
                ConfigProblem(
                    key=config_key,
                    problem=f"stack {stack_name} returned no outputs (has it been deployed?)",
                    value=render_value(stack_name),
                )
            ],
            context=f"Cannot use stack {stack_name}",
        )
    missing = [name for name in required if name not in outputs]
    if missing:
        present = ", ".join(sorted(outputs)) or "none"
        raise ConfigError(
            [
                ConfigProblem(
                    key=config_key,
                    problem=f"stack {stack_name} does not export {name!r} (it exports: {present})",
                    value=render_value(stack_name),
                    allowed="a stack of the project that exports these outputs",
                )
                for name in missing
            ],
            context=f"Cannot use stack {stack_name}",
        )
    return dict(outputs)


UPSTREAM_STACK_PROJECTS: Mapping[str, str] = {
    "networkIamStack": "network-iam",
    "notificationsStack": "notifications",
}
"""Config key naming an upstream stack -> the project of that stack."""


def upstream_stack_name(
    configured: str, *, key: str, environment: str, organization: str | None
) -> str:
    """The full name of the upstream stack `key` names: as configured, or else the stack of the
    same environment in the organisation of this stack (`<organization>/<project>/<environment>`).

    Pulumi Cloud reads `a/b` as `<owner>/<stack>` and a self-managed backend as
    `<project>/<stack>` (pulumi `pkg/backend/httpstate/backend.go` `parseStackName`), so only a
    full name means the same everywhere. Deriving it from this stack's own organisation
    (`pulumi.get_organization()`, `organization` on a self-managed backend) makes the
    organisation one setting: the one the stack itself was created in.
    """
    if configured:
        return configured
    return f"{organization or 'organization'}/{UPSTREAM_STACK_PROJECTS[key]}/{environment}"


SettingsT = TypeVar("SettingsT", bound=BaseModel)


def with_upstream_stack_names(
    settings: SettingsT, *, environment: str, fields: Mapping[str, str]
) -> SettingsT:
    """`settings` with each upstream stack field (field name -> its config key) resolved by
    `upstream_stack_name` in the organisation of the running stack."""
    organization = pulumi.get_organization()
    return settings.model_copy(
        update={
            field: upstream_stack_name(
                getattr(settings, field),
                key=key,
                environment=environment,
                organization=organization,
            )
            for field, key in fields.items()
        }
    )
