"""Judge planned stacks with the policy pack, speaking to it as the engine does during a preview.

Per stack the engine sends `ConfigureStack`, then for each resource it registers (the stack
resource, default providers, components and custom resources, in registration order)
`Remediate` (only meaningful when a policy is at `remediate` level) and `Analyze` with the
resource's inputs, and finally `AnalyzeStack` with every resource of the stack (in a preview, a
resource's outputs are its inputs; reads such as StackReferences included).

One pack process or one per stack: pulumi-policy 1.21's server ignores the stack identity and
config in `ConfigureStack` (it keeps only the tags) and serves `pulumi.get_stack()`,
`get_project()`, `pulumi.Config` and friends from the environment it was started with. A pack
whose own source never reads them judges every stack identically from one process; otherwise
each stack gets its own process, started with that stack's environment, as the CLI would do.
`pack_reads_stack_identity` decides by reading the pack's source.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from offline_plan.discovery import StackTarget
from offline_plan.mock_runtime import (
    PlanInputError,
    RegisteredResource,
    StackRun,
    load_yaml,
    unwrap_secrets,
)
from offline_plan.policy_client import (
    ENFORCEMENT_LEVEL_NAMES,
    ENFORCEMENT_LEVELS,
    AnalyzerResourceView,
    LaunchedPolicyPack,
    PolicySettings,
    pack_manifest_version,
    to_struct,
)
from offline_plan.policy_config import (
    PolicyConfigEntry,
    PolicyDescription,
    describe_policies,
    initial_config,
    reconcile,
    unknown_policy_names,
)

STACK_TYPE = "pulumi:pulumi:Stack"
NOT_EVALUATED_PREFIX = "can't run policy"
"""How pulumi-policy words its advisory for a policy that read a value unknown in preview."""

_STACK_DEPENDENT_SOURCE = re.compile(
    r"\b(get_stack|get_project|get_organization|get_config_env|get_config|is_dry_run|"
    r"environ|getenv)\b|\bConfig\s*\(|PULUMI_(STACK|PROJECT|CONFIG|ORGANIZATION|DRY_RUN)"
)
_POLICY_ARGS_CONFIG = re.compile(r"\.get_config\s*\(\s*\)")
MAX_LIVE_PACKS = 3
"""Per-stack mode: pack processes alive at once (booting or judging), on a 2-core machine."""
_SKIPPED_DIRECTORIES = {"venv", ".venv", "__pycache__", "site-packages", "node_modules", ".git"}


def _pack_sources(pack_dir: Path) -> Iterator[Path]:
    for path in sorted(pack_dir.rglob("*.py")):
        if not _SKIPPED_DIRECTORIES.intersection(path.relative_to(pack_dir).parts):
            yield path


def pack_reads_stack_identity(pack_dir: Path) -> list[str]:
    """Where the pack's own source may read the stack's identity or config ("file:line").

    A policy's `args.get_config()` (its policy configuration, sent by `Configure`) is not stack
    configuration and does not count; anything else that could read the stack, project,
    organization, Pulumi config or the process environment does.
    """
    findings = []
    for path in _pack_sources(pack_dir):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            code = _POLICY_ARGS_CONFIG.sub("", code)
            if _STACK_DEPENDENT_SOURCE.search(code):
                findings.append(f"{path.relative_to(pack_dir)}:{number}")
    return findings


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    policy_pack: str
    policy_pack_version: str
    level: str
    project: str
    stack: str
    """The stack's full name (organization/project/stack)."""
    urn: str | None
    resource_type: str | None
    resource_name: str | None
    message: str
    description: str
    remediation: str
    severity: str
    kind: str
    """`violation`, or `not-evaluated`: the policy read a value unknown during a preview."""


@dataclass
class StackAnalysis:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    resources_analyzed: int = 0
    seconds: float = 0.0
    """Wall time of the stack's analysis, waiting for the pack to start included."""
    rpc_seconds: float = 0.0
    """Time spent in Remediate/Analyze/AnalyzeStack calls only: the cost of judging."""


@dataclass
class PackInfo:
    name: str
    version: str
    policies: list[PolicyDescription]
    settings: dict[str, PolicySettings]
    warnings: list[str]


def _stack_tags(target: StackTarget) -> dict[str, str]:
    """The tags the CLI computes from the project for every stack."""
    try:
        document = load_yaml(target.project_dir / "Pulumi.yaml")
    except PlanInputError:
        document = {}
    document = document if isinstance(document, dict) else {}
    runtime = document.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    tags = {"pulumi:project": target.project}
    if isinstance(runtime_name, str):
        tags["pulumi:runtime"] = runtime_name
    if isinstance(document.get("description"), str):
        tags["pulumi:description"] = document["description"]
    return tags


def _duration_seconds(text: str) -> float:
    """A Go duration ("1h30m", "5m", "90s") in seconds, as the engine parses custom timeouts."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    total = 0.0
    for amount, unit in re.findall(r"([0-9.]+)(ms|h|m|s)", text):
        total += float(amount) * units[unit]
    return total


def _options(resource: RegisteredResource) -> analyzer_pb2.AnalyzerResourceOptions:
    options = analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=list(resource.ignore_changes),
        additionalSecretOutputs=list(resource.additional_secret_outputs),
        aliases=list(resource.alias_urns),
        parent=resource.parent,
    )
    if resource.delete_before_replace is not None:
        options.deleteBeforeReplace = resource.delete_before_replace
        options.deleteBeforeReplaceDefined = True
    if resource.custom_timeouts:
        options.customTimeouts.create = _duration_seconds(
            resource.custom_timeouts.get("create", "")
        )
        options.customTimeouts.update = _duration_seconds(
            resource.custom_timeouts.get("update", "")
        )
        options.customTimeouts.delete = _duration_seconds(
            resource.custom_timeouts.get("delete", "")
        )
    return options


@dataclass(frozen=True)
class ProviderView:
    type: str
    urn: str
    name: str
    properties: Mapping[str, Any]

    def message(self) -> analyzer_pb2.AnalyzerProviderResource:
        return analyzer_pb2.AnalyzerProviderResource(
            type=self.type, urn=self.urn, name=self.name, properties=to_struct(self.properties)
        )


def default_provider(
    package: str, version: str, run: StackRun, config: Mapping[str, str]
) -> ProviderView:
    """The default provider the engine registers for a package: `default_<version>`, its
    inputs taken from the stack config in the package's namespace plus the version.

    Every value is the config's string, a structured one (`aws:defaultTags`) as its JSON text:
    the engine builds them with `property.New(c.Value(decrypter))`, a string (pulumi v3.259.0
    pkg/resource/deploy/target.go GetPackageConfig)."""
    name = f"default_{version.replace('.', '_').replace('-', '_')}" if version else "default"
    provider_type = f"pulumi:providers:{package}"
    properties: dict[str, Any] = {
        key.split(":", 1)[1]: value
        for key, value in sorted(config.items())
        if key.startswith(f"{package}:")
    }
    if version:
        properties["version"] = version
    urn = f"urn:pulumi:{run.stack}::{run.project}::{provider_type}::{name}"
    return ProviderView(provider_type, urn, name, properties)


@dataclass(frozen=True)
class EngineResource:
    """A resource as the engine hands it to analyzers."""

    type: str
    urn: str
    name: str
    properties: Mapping[str, Any]
    parent: str
    dependencies: Sequence[str]
    property_dependencies: Mapping[str, Sequence[str]]
    options: analyzer_pb2.AnalyzerResourceOptions
    provider: ProviderView | None
    analyzed: bool
    """Registered resources go through `Analyze`; reads only appear in `AnalyzeStack`."""
    custom: bool = True


def engine_resources(run: StackRun, config: Mapping[str, str]) -> list[EngineResource]:
    """The stack's resources in registration order, default providers inserted where the
    engine registers them (just before their first user)."""
    stack_resource = EngineResource(
        type=STACK_TYPE,
        urn=run.stack_urn,
        name=f"{run.project}-{run.stack}",
        properties={},
        parent="",
        dependencies=(),
        property_dependencies={},
        options=analyzer_pb2.AnalyzerResourceOptions(),
        provider=None,
        analyzed=True,
        custom=False,
    )
    resources = [stack_resource]
    providers_by_urn: dict[str, ProviderView] = {}
    defaults: dict[tuple[str, str], ProviderView] = {}
    for resource in run.resources:
        if resource.type.startswith("pulumi:providers:"):
            providers_by_urn[resource.urn] = ProviderView(
                resource.type, resource.urn, resource.name, unwrap_secrets(dict(resource.inputs))
            )
    for resource in [*run.resources, *run.reads]:
        analyzed = resource in run.resources
        provider: ProviderView | None = None
        package = resource.type.split(":", 1)[0]
        if resource.custom and package != "pulumi":
            if resource.provider:
                provider = providers_by_urn.get(resource.provider.split("::")[0]) or (
                    providers_by_urn.get(resource.provider.rsplit("::", 1)[0])
                )
            else:
                key = (package, resource.version)
                if key not in defaults:
                    defaults[key] = default_provider(package, resource.version, run, config)
                    default = defaults[key]
                    resources.append(
                        EngineResource(
                            type=default.type,
                            urn=default.urn,
                            name=default.name,
                            properties=default.properties,
                            parent="",
                            dependencies=(),
                            property_dependencies={},
                            options=analyzer_pb2.AnalyzerResourceOptions(),
                            provider=None,
                            analyzed=True,
                        )
                    )
                provider = defaults[key]
        resources.append(
            EngineResource(
                type=resource.type,
                urn=resource.urn,
                name=resource.name,
                properties=unwrap_secrets(dict(resource.inputs)),
                parent=resource.parent,
                dependencies=resource.dependencies,
                property_dependencies=resource.property_dependencies,
                options=_options(resource),
                provider=provider,
                analyzed=analyzed,
                custom=resource.custom,
            )
        )
    return resources


class PolicyAnalysis:
    """The policy pack for one plan: its process(es), its configuration, the calls."""

    def __init__(
        self,
        pack_dir: Path,
        *,
        policy_config: Mapping[str, PolicyConfigEntry],
        policy_config_source: str,
        shared_process: bool,
        python: str | None = None,
    ) -> None:
        # Absolute: programs change the working directory while packs may be started.
        self.pack_dir = pack_dir.resolve()
        self.policy_config = policy_config
        self.policy_config_source = policy_config_source
        self.shared_process = shared_process
        self.python = python
        self._shared: LaunchedPolicyPack | None = None
        self._per_stack: dict[str, LaunchedPolicyPack] = {}
        self._info: PackInfo | None = None
        self._info_lock = threading.Lock()
        self._configured: set[int] = set()
        # Per-stack packs are started ahead of their analysis; at most this many live at once,
        # or a fast run of many small programs would start one process per stack in parallel.
        self._live_packs = threading.BoundedSemaphore(MAX_LIVE_PACKS)
        self._per_stack_lock = threading.Lock()
        self.processes_started = 0

    # Process management ---------------------------------------------------------------------

    def _launch(self, target: StackTarget) -> LaunchedPolicyPack:
        config = target.config.values if target.config is not None else {}
        self.processes_started += 1
        return LaunchedPolicyPack.start(
            self.pack_dir,
            project=target.project,
            stack=target.stack,
            config=config,
            organization=target.organization,
            dry_run=True,
            python=self.python,
        )

    def prepare(self, target: StackTarget) -> None:
        """Start the process that will judge `target` now, so it boots while programs run.

        Per-stack mode blocks while `MAX_LIVE_PACKS` packs are alive, until one finishes."""
        if self.shared_process:
            if self._shared is None:
                self._shared = self._launch(target)
            return
        with self._per_stack_lock:
            if target.full_name in self._per_stack:
                return
        self._live_packs.acquire()
        try:
            pack = self._launch(target)
        except BaseException:
            self._live_packs.release()
            raise
        with self._per_stack_lock:
            self._per_stack[target.full_name] = pack

    def discard(self, target: StackTarget) -> None:
        """The stack will not be judged (its program failed): stop its own pack, if any."""
        if self.shared_process:
            return
        with self._per_stack_lock:
            pack = self._per_stack.pop(target.full_name, None)
        if pack is not None:
            pack.close()
            self._live_packs.release()

    def _pack_for(self, target: StackTarget) -> LaunchedPolicyPack:
        self.prepare(target)
        if self.shared_process:
            assert self._shared is not None  # noqa: S101 - prepare() started it
            return self._shared
        with self._per_stack_lock:
            return self._per_stack[target.full_name]

    def close(self) -> None:
        with self._per_stack_lock:
            packs = [self._shared, *self._per_stack.values()]
            self._shared = None
            self._per_stack.clear()
        for pack in packs:
            if pack is not None:
                pack.close()

    # Protocol -------------------------------------------------------------------------------

    def _configure(self, pack: LaunchedPolicyPack) -> PackInfo:
        """`GetAnalyzerInfo` then `Configure`, reconciled once per plan (same pack, same file)."""
        pack.handshake()
        pack.get_plugin_info()
        info = pack.get_analyzer_info()
        with self._info_lock:
            if self._info is None:
                policies = describe_policies(info)
                settings = reconcile(
                    policies,
                    initial_config(info),
                    self.policy_config,
                    source=self.policy_config_source,
                )
                warnings = [
                    f"{self.policy_config_source}: {name!r} names no policy of the pack "
                    f"{info.name} (the CLI ignores it)"
                    for name in unknown_policy_names(policies, self.policy_config)
                ]
                version = pack_manifest_version(self.pack_dir) or info.version
                self._info = PackInfo(info.name, version, policies, settings, warnings)
        pack.configure(self._info.settings)
        return self._info

    @property
    def info(self) -> PackInfo | None:
        return self._info

    def analyze(self, target: StackTarget, run: StackRun) -> StackAnalysis:
        """Judge one planned stack. Runs on a worker thread, overlapping the next program."""
        started = time.perf_counter()
        try:
            analysis = self._analyze(target, run)
        finally:
            self.discard(target)  # per-stack mode: this stack's pack has done its job
        analysis.seconds = time.perf_counter() - started
        return analysis

    def _analyze(self, target: StackTarget, run: StackRun) -> StackAnalysis:
        pack = self._pack_for(target)
        if id(pack) not in self._configured:
            self._configure(pack)
            self._configured.add(id(pack))
        info = self._info
        assert info is not None  # noqa: S101 - _configure() set it
        config = target.config.values if target.config is not None else {}
        pack.configure_stack(
            organization=target.organization,
            project=target.project,
            stack=target.stack,
            config=config,
            config_secret_keys=target.config.secret_keys if target.config is not None else (),
            tags=_stack_tags(target),
            dry_run=True,
        )
        remediating = any(
            s.enforcement_level == ENFORCEMENT_LEVELS["remediate"] for s in info.settings.values()
        )
        analysis = StackAnalysis()
        resources = engine_resources(run, config)
        by_urn = {r.urn: r for r in resources}
        descriptions = {p.name: p for p in info.policies}

        def collect(response: analyzer_pb2.AnalyzeResponse, subject: EngineResource | None) -> None:
            for diagnostic in response.diagnostics:
                urn = diagnostic.urn or (subject.urn if subject is not None else "")
                about = by_urn.get(urn) if urn else None
                policy = descriptions.get(diagnostic.policyName)
                analysis.diagnostics.append(
                    Diagnostic(
                        policy=diagnostic.policyName,
                        policy_pack=diagnostic.policyPackName,
                        policy_pack_version=info.version,  # PulumiPolicy.yaml's, as the CLI
                        level=ENFORCEMENT_LEVEL_NAMES.get(diagnostic.enforcementLevel, "advisory"),
                        project=target.project,
                        stack=target.full_name,
                        urn=urn or None,
                        resource_type=about.type if about else None,
                        resource_name=about.name if about else None,
                        message=diagnostic.message,
                        description=diagnostic.description,
                        remediation=policy.remediation_steps if policy else "",
                        severity=analyzer_pb2.PolicySeverity.Name(diagnostic.severity),
                        kind=(
                            "not-evaluated"
                            if diagnostic.message.startswith(NOT_EVALUATED_PREFIX)
                            else "violation"
                        ),
                    )
                )

        final_properties: dict[str, Mapping[str, Any]] = {}
        for resource in resources:
            if not resource.analyzed:
                continue
            properties = resource.properties
            provider = resource.provider.message() if resource.provider else None
            call_started = time.perf_counter()
            if remediating:
                remediation = pack.remediate(
                    resource.type,
                    properties,
                    urn=resource.urn,
                    name=resource.name,
                    options=resource.options,
                    provider=provider,
                )
                # As the engine (pulumi v3.259.0 pkg/resource/deploy/step_generator.go:1442-1460):
                # a remediation with a diagnostic is reported as an advisory violation and its
                # properties are not applied; otherwise its properties replace the inputs.
                failed = analyzer_pb2.AnalyzeResponse()
                for applied in remediation.remediations:
                    if applied.diagnostic:
                        failed.diagnostics.add(
                            policyName=applied.policyName,
                            policyPackName=applied.policyPackName,
                            policyPackVersion=applied.policyPackVersion,
                            description=applied.description,
                            message=applied.diagnostic,
                            enforcementLevel=analyzer_pb2.ADVISORY,
                            urn=resource.urn,
                        )
                    elif applied.HasField("properties"):
                        properties = json_format.MessageToDict(applied.properties)
                collect(failed, resource)
            final_properties[resource.urn] = properties
            response = pack.analyze(
                resource.type,
                properties,
                urn=resource.urn,
                name=resource.name,
                options=resource.options,
                provider=provider,
            )
            analysis.rpc_seconds += time.perf_counter() - call_started
            analysis.resources_analyzed += 1
            collect(response, resource)

        # As the engine's AnalyzeResources (pulumi v3.259.0 step_generator.go:3438-3518): the
        # resources it registered (`news`; reads such as StackReferences live in `reads` and
        # are not sent), each with its outputs; the Stack's outputs are the program's exports.
        stack_outputs = unwrap_secrets(dict(run.outputs))
        views = [
            AnalyzerResourceView(
                type=r.type,
                urn=r.urn,
                name=r.name,
                properties=stack_outputs
                if r.type == STACK_TYPE
                else final_properties.get(r.urn, r.properties),
                parent=r.parent,
                dependencies=r.dependencies,
                property_dependencies=r.property_dependencies,
                options=r.options,
                provider=r.provider.message() if r.provider else None,
            )
            for r in resources
            if r.analyzed
        ]
        call_started = time.perf_counter()
        stack_response = pack.analyze_stack(views)
        analysis.rpc_seconds += time.perf_counter() - call_started
        collect(stack_response, None)
        return analysis
