"""The SDK's Analyzer servicer, deserializing each resource once per request instead of per policy.

Why: pulumi-policy 1.21's `_PolicyAnalyzerServicer.Analyze` converts the request's properties
(`json_format.MessageToDict`, `deserialize_properties`, `unknown_checking_proxy`) and its
provider **inside the loop over policies**, and `AnalyzeStack` converts every resource of the
stack once per stack policy (pulumi-policy v1.21.0 sdk/python/lib/pulumi_policy/policy.py,
`Analyze` and `AnalyzeStack`). With this pack's ~30 policies that conversion was most of the
time spent per resource (profile: tools/offline_plan/README.md, "Speed"). Here each resource is
converted once per request and the same read-only views are handed to every policy.

Everything else is the SDK's: the class is a subclass, and the two methods keep the SDK's order
of policies, enforcement-level handling (disabled skipped, remediate reported as mandatory),
`not applicable` answers and the advisory for a policy that read a value unknown at preview.
tests/policy/test_analyzer_servicer.py holds the two servicers' responses equal on the whole
corpus. Sharing is sound because no policy of this pack writes to `args.props`: the framework
reads them through `framework.plain()`, which copies.

`install()` is called by the pack's `__main__.py` before `PolicyPack(...)`, which builds its
servicer from the module-level name `pulumi_policy.policy._PolicyAnalyzerServicer`; it takes
effect only with the SDK version this was written against (`SDK_VERSION`), otherwise the stock
servicer runs (correct, only slower). The CLI and the offline plan both start the pack through
`__main__.py`, so both see the same servicer.
"""

from __future__ import annotations

import asyncio
from inspect import isawaitable
from typing import Any, Final, NamedTuple

import pulumi_policy.policy as sdk_policy
from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy
from pulumi_policy.version import VERSION

SDK_VERSION: Final = "1.21.0"
"""The pulumi-policy release whose `Analyze`/`AnalyzeStack` these methods follow line by line."""

_BASE: Final = sdk_policy._PolicyAnalyzerServicer


def _not_evaluated(servicer: Any, policy: Any, error: UnknownValueError) -> Any:
    """The SDK's advisory for a policy that read a value unknown at preview (same text)."""
    name, version = servicer.pack_identity()
    return proto.AnalyzeDiagnostic(
        policyName=policy.name,
        policyPackName=name,
        policyPackVersion=version,
        message=(
            f"can't run policy '{policy.name}' from policy pack "
            f"'{name}@v{version}' during preview: {error.message}"
        ),
        urn="",
        description=policy.description,
        enforcementLevel=servicer._map_enforcement_level(EnforcementLevel.ADVISORY),
    )


def _run(validate: Any, args: Any, report_violation: Any) -> None:
    result = validate(args, report_violation)
    if isawaitable(result):
        loop = asyncio.new_event_loop()
        task: asyncio.Task[Any] = asyncio.Task(result, loop=loop)  # type: ignore[arg-type]
        loop.run_until_complete(task)
        loop.close()


class _StackResource(NamedTuple):
    resource: PolicyResource
    parent: str | None
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]


class SharedDeserializationServicer(_BASE):  # type: ignore[misc,valid-type]
    """`Analyze` and `AnalyzeStack` with one conversion per resource per request."""

    def pack_identity(self) -> tuple[str, str]:
        return (
            self._PolicyAnalyzerServicer__policy_pack_name,
            self._PolicyAnalyzerServicer__policy_pack_version,
        )

    def _stack_tags(self) -> Any:
        return self._PolicyAnalyzerServicer__stack_tags

    def _enabled(self, kind: type[Any]) -> list[Any]:
        """The policies of this kind the SDK runs, in its order (disabled ones skipped)."""
        return [
            policy
            for policy in self._PolicyAnalyzerServicer__policies
            if isinstance(policy, kind)
            and self._get_enforcement_level(policy) != EnforcementLevel.DISABLED
        ]

    def _reporter(self, policy: Any, response: Any) -> Any:
        """The SDK's violation reporter; `remediate` is reported as mandatory, as it does."""
        level = self._get_enforcement_level(policy)
        if level == EnforcementLevel.REMEDIATE:
            level = EnforcementLevel.MANDATORY
        return self._create_report_violation(
            response, policy.name, policy.description, level, policy.severity
        )

    def Analyze(self, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        converted: tuple[Any, Any, Any] | None = None
        for policy in self._enabled(ResourceValidationPolicy):
            if not policy.has_validation():
                response.not_applicable.append(
                    proto.PolicyNotApplicable(
                        policy_name=policy.name, reason="Policy does not implement validate"
                    )
                )
                continue
            report_violation = self._reporter(policy, response)
            if converted is None:
                converted = (
                    unknown_checking_proxy(
                        deserialize_properties(json_format.MessageToDict(request.properties))
                    ),
                    self._get_resource_options(request),
                    self._get_provider_resource(request),
                )
            props, opts, provider = converted
            args = ResourceValidationArgs(
                request.type,
                props,
                request.urn,
                request.name,
                opts,
                provider,
                self._get_policy_config(policy.name),
                self._stack_tags(),
            )
            self._validate(policy, args, report_violation, response)
        return response

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        resources: list[PolicyResource] | None = None
        for policy in self._enabled(StackValidationPolicy):
            report_violation = self._reporter(policy, response)
            if resources is None:
                resources = self._stack_resources(request)
            args = StackValidationArgs(
                resources, self._get_policy_config(policy.name), self._stack_tags()
            )
            self._validate(policy, args, report_violation, response)
        return response

    def _stack_resources(self, request: Any) -> list[PolicyResource]:
        """The SDK's conversion of `AnalyzeStack`'s resources, parents and dependencies linked."""
        intermediates: list[_StackResource] = []
        for r in request.resources:
            props = unknown_checking_proxy(
                deserialize_properties(json_format.MessageToDict(r.properties))
            )
            resource = PolicyResource(
                r.type,
                props,
                r.urn,
                r.name,
                self._get_resource_options(r),
                self._get_provider_resource(r),
                None,
                [],
                {},
            )
            property_dependencies = {k: list(v.urns) for k, v in r.propertyDependencies.items()}
            intermediates.append(
                _StackResource(resource, r.parent, list(r.dependencies), property_dependencies)
            )
        by_urn = {i.resource.urn: i.resource for i in intermediates}
        for i in intermediates:
            if i.parent is not None and i.parent in by_urn:
                i.resource.parent = by_urn[i.parent]
            i.resource.dependencies.extend(by_urn[d] for d in i.dependencies if d in by_urn)
            for key, urns in i.property_dependencies.items():
                i.resource.property_dependencies[key] = [by_urn[d] for d in urns if d in by_urn]
        return [i.resource for i in intermediates]

    def _validate(self, policy: Any, args: Any, report_violation: Any, response: Any) -> None:
        try:
            _run(policy.validate, args, report_violation)
        except UnknownValueError as error:
            response.diagnostics.append(_not_evaluated(self, policy, error))
        except sdk_policy._NotApplicableError as error:
            response.not_applicable.append(
                proto.PolicyNotApplicable(policy_name=policy.name, reason=error.reason or "")
            )


def install() -> bool:
    """Make `PolicyPack` serve `SharedDeserializationServicer`; False on another SDK version."""
    if VERSION != SDK_VERSION:
        return False
    sdk_policy._PolicyAnalyzerServicer = SharedDeserializationServicer  # type: ignore[misc]
    return True
