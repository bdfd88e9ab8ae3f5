"""Run the pack's policies through the SDK's own Analyzer servicer, in process.

Requests are real `AnalyzeRequest`/`AnalyzeStackRequest` protobufs, so properties go through the
SDK's deserialisation and its unknown-value proxy exactly as over gRPC (the gRPC test in
test_pack_grpc.py covers the process boundary). Fixtures mark unknown values with `UNKNOWN`, the
wire sentinel Pulumi sends during preview.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi.runtime.rpc import UNKNOWN
from pulumi_policy import EnforcementLevel
from retraining_policies.analyzer_servicer import SharedDeserializationServicer
from retraining_policies.catalogue import PACK_NAME, POLICIES

__all__ = ["UNKNOWN", "Diagnostic", "FixtureResource", "InProcessPack", "urn"]

LEVEL_NAMES = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
_LEVELS = {
    EnforcementLevel.ADVISORY: analyzer_pb2.ADVISORY,
    EnforcementLevel.MANDATORY: analyzer_pb2.MANDATORY,
    EnforcementLevel.DISABLED: analyzer_pb2.DISABLED,
    EnforcementLevel.REMEDIATE: analyzer_pb2.REMEDIATE,
}


def urn(type_token: str, name: str, project: str = "retraining", stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::{project}::{type_token}::{name}"


@dataclass(frozen=True)
class FixtureResource:
    """One resource as the engine describes it (props are inputs at preview)."""

    type: str
    name: str
    props: Mapping[str, Any]
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    project: str = "retraining"
    explicit_urn: str | None = None
    """The engine's URN when captured from a real program (parents make it differ)."""

    @property
    def urn(self) -> str:
        return self.explicit_urn or urn(self.type, self.name, self.project)


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    message: str
    urn: str


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(props))
    return struct


class InProcessPack:
    """The servicer the pack serves (`python -m pulumi.policy` runs `policy/__main__.py`, which
    installs it), configured like the CLI does: an entry per policy, config merged."""

    def __init__(
        self,
        config: Mapping[str, Mapping[str, Any]] | None = None,
        policies: Sequence[Any] = POLICIES,
        servicer_class: type[Any] = SharedDeserializationServicer,
    ) -> None:
        self.servicer = servicer_class(
            PACK_NAME, "0.0.1", list(policies), EnforcementLevel.MANDATORY
        )
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for policy in policies:
            entry = dict((config or {}).get(policy.name, {}))
            level = entry.pop("enforcementLevel", None)
            level_value = (
                {
                    "advisory": analyzer_pb2.ADVISORY,
                    "mandatory": analyzer_pb2.MANDATORY,
                    "disabled": analyzer_pb2.DISABLED,
                    "remediate": analyzer_pb2.REMEDIATE,
                }[level]
                if level
                else _LEVELS[policy.enforcement_level]
            )
            policy_config = analyzer_pb2.PolicyConfig(enforcementLevel=level_value)
            policy_config.properties.update(entry)
            request.policyConfig[policy.name].CopyFrom(policy_config)
        self.servicer.Configure(request, None)

    def analyze(self, resource: FixtureResource) -> list[Diagnostic]:
        request = analyze_request(resource)
        return self._diagnostics(self.servicer.Analyze(request, None), resource.urn)

    def analyze_stack(self, resources: Iterable[FixtureResource]) -> list[Diagnostic]:
        request = analyze_stack_request(resources)
        return self._diagnostics(self.servicer.AnalyzeStack(request, None), "")

    def preview(self, resources: Sequence[FixtureResource]) -> list[Diagnostic]:
        """What the engine does in a preview: Analyze every resource, then AnalyzeStack."""
        diagnostics: list[Diagnostic] = []
        for resource in resources:
            diagnostics.extend(self.analyze(resource))
        diagnostics.extend(self.analyze_stack(resources))
        return diagnostics

    @staticmethod
    def _diagnostics(response: analyzer_pb2.AnalyzeResponse, default_urn: str) -> list[Diagnostic]:
        found = []
        for diagnostic in response.diagnostics:
            entry = json_format.MessageToDict(diagnostic, preserving_proto_field_name=True)
            found.append(
                Diagnostic(
                    policy=entry.get("policyName", ""),
                    level=LEVEL_NAMES.get(diagnostic.enforcementLevel, "?"),
                    message=entry.get("message", ""),
                    urn=entry.get("urn") or default_urn,
                )
            )
        return found


def analyze_request(resource: FixtureResource) -> analyzer_pb2.AnalyzeRequest:
    return analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        properties=_struct(resource.props),
        urn=resource.urn,
        name=resource.name,
    )


def analyze_stack_request(resources: Iterable[FixtureResource]) -> analyzer_pb2.AnalyzeStackRequest:
    request = analyzer_pb2.AnalyzeStackRequest()
    for item in resources:
        resource = request.resources.add()
        resource.type = item.type
        resource.urn = item.urn
        resource.name = item.name
        resource.properties.CopyFrom(_struct(item.props))
        for key, urns in item.property_dependencies.items():
            resource.propertyDependencies[key].urns.extend(urns)
            resource.dependencies.extend(u for u in urns if u not in resource.dependencies)
    return request


def mandatory(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.level == "mandatory"]


def by_policy(diagnostics: Iterable[Diagnostic], policy: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.policy == policy]
