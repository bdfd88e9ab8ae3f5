"""Launch a Python policy pack exactly as the Pulumi CLI does and talk to it over its gRPC protocol.

The CLI (pulumi v3.259.0 sdk/python/cmd/pulumi-language-python/main.go RunPlugin, with
pulumi-policy 1.21) starts
`<python> -u -m pulumi.policy <engine-address> <pack-dir>` with cwd = the pack folder and the
stack's identity in the environment (`PULUMI_ORGANIZATION`, `PULUMI_PROJECT`, `PULUMI_STACK`,
`PULUMI_DRY_RUN`, `PULUMI_CONFIG`). The pack prints its port on the first stdout line and then
serves the Analyzer service on 127.0.0.1; the engine address is never dialled back.

`LaunchedPolicyPack.start(...)` returns as soon as the subprocess exists, so a caller can overlap
the pack's start-up (imports, ~0.3 s) with other work; the first RPC waits for the port.

Usage:

    with LaunchedPolicyPack.start(Path("policy"), project="retraining", stack="dev",
                                  config={"aws:region": "us-east-1"}) as pack:
        info = pack.get_analyzer_info()
        pack.configure({policy.name: PolicySettings(policy.enforcementLevel, {})
                        for policy in info.policies})
        response = pack.analyze(type_token, properties, urn=urn, name=name)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, plugin_pb2

ENGINE_ADDRESS = "127.0.0.1:0"
"""What the CLI passes as `<engine-address>`; the Python analyzer never dials it."""

DEFAULT_START_TIMEOUT_SECONDS = 60.0
DEFAULT_RPC_TIMEOUT_SECONDS = 60.0

ENFORCEMENT_LEVEL_NAMES: dict[int, str] = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
ENFORCEMENT_LEVELS: dict[str, int] = {
    name: value for value, name in ENFORCEMENT_LEVEL_NAMES.items()
}


class PolicyPackError(Exception):
    """The policy pack could not be started or did not answer."""


@dataclass(frozen=True)
class PolicySettings:
    """One policy's entry in `Configure`: its enforcement level and its config properties."""

    enforcement_level: int
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalyzerResourceView:
    """A resource as `AnalyzeStack` receives it (in a preview, `properties` are the inputs)."""

    type: str
    urn: str
    name: str
    properties: Mapping[str, Any]
    parent: str = ""
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    options: analyzer_pb2.AnalyzerResourceOptions | None = None
    provider: analyzer_pb2.AnalyzerProviderResource | None = None


def resource_request(
    type_token: str,
    properties: Mapping[str, Any],
    *,
    urn: str,
    name: str,
    options: analyzer_pb2.AnalyzerResourceOptions | None = None,
    provider: analyzer_pb2.AnalyzerProviderResource | None = None,
) -> analyzer_pb2.AnalyzeRequest:
    """The request `Remediate` and `Analyze` both take: one resource, its inputs."""
    return analyzer_pb2.AnalyzeRequest(
        type=type_token,
        properties=to_struct(properties),
        urn=urn,
        name=name,
        options=options,
        provider=provider,
    )


@dataclass(frozen=True)
class PackInterpreter:
    """The interpreter a pack runs with here, and the one the CLI would run it with."""

    python: str
    declared_venv: Path | None
    """`runtime.options.virtualenv` of PulumiPolicy.yaml, resolved against the pack folder."""

    @property
    def cli_python(self) -> Path | None:
        return None if self.declared_venv is None else self.declared_venv / "bin" / "python"

    @property
    def as_the_cli(self) -> bool:
        """True when this is the interpreter `pulumi preview --policy-pack` would start."""
        return self.cli_python is not None and self.python == str(self.cli_python)

    def difference(self, pack_dir: Path) -> str | None:
        """Why the CLI would not start the pack as this plan does (None: it would)."""
        if self.as_the_cli:
            return None
        if self.cli_python is None:
            return (
                f"{pack_dir / 'PulumiPolicy.yaml'} declares no runtime.options.virtualenv: the "
                f"CLI would run the pack with the python on its PATH; this plan used {self.python}"
            )
        return (
            f"the policy pack's virtualenv {self.declared_venv} does not exist, so `pulumi "
            "preview --policy-pack` would fail to start the pack (it runs "
            f"{self.cli_python} and does not create it); create it with `pulumi install` in "
            f"{pack_dir}. This plan used its own interpreter instead: {self.python}"
        )


def pack_interpreter(pack_dir: Path) -> PackInterpreter:
    """The interpreter for the pack: its declared virtualenv's python when it exists, else this
    process's, which has the pack's requirements (requirements-dev.txt includes them).

    The CLI runs a local Python pack with `<pack>/<virtualenv>/bin/python -u -m pulumi.policy`
    (pulumi v3.259.0 sdk/python/cmd/pulumi-language-python/main.go:1528-1620 with toolchain
    pip.Command, sdk/python/toolchain/pip.go:178) and creates that virtualenv only in `pulumi
    install` (pkg/cmd/pulumi/install/install.go:65-83), never in preview or up.
    """
    manifest = pack_dir / "PulumiPolicy.yaml"
    try:
        document = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return PackInterpreter(sys.executable, None)
    runtime = document.get("runtime") if isinstance(document, dict) else None
    options = runtime.get("options") if isinstance(runtime, dict) else None
    virtualenv = options.get("virtualenv") if isinstance(options, dict) else None
    if not isinstance(virtualenv, str) or not virtualenv:
        return PackInterpreter(sys.executable, None)
    declared = (pack_dir / virtualenv).resolve()
    candidate = declared / "bin" / "python"
    python = str(candidate) if candidate.is_file() else sys.executable
    return PackInterpreter(python, declared)


def pack_manifest_version(pack_dir: Path) -> str | None:
    """`version:` of PulumiPolicy.yaml. The CLI reports it instead of the version the pack's
    GetAnalyzerInfo/Analyze/Remediate answers carry (pulumi-policy's Python SDK always answers
    "0.0.1"): pulumi v3.259.0 pkg/resource/plugin/analyzer_plugin.go:466-470, 555-559, 905-909."""
    try:
        document = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    version = document.get("version") if isinstance(document, dict) else None
    return str(version) if isinstance(version, str | int | float) and str(version) else None


def pack_python(pack_dir: Path) -> str:
    """The interpreter a pack runs with here (`pack_interpreter(pack_dir).python`)."""
    return pack_interpreter(pack_dir).python


def pack_environment(
    *,
    organization: str,
    project: str,
    stack: str,
    config: Mapping[str, str],
    dry_run: bool = True,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment the CLI gives the pack process: the stack's identity and config."""
    environment = dict(os.environ if base is None else base)
    environment.update(
        {
            "PULUMI_ORGANIZATION": organization,
            "PULUMI_PROJECT": project,
            "PULUMI_STACK": stack,
            "PULUMI_DRY_RUN": "true" if dry_run else "false",
            "PULUMI_CONFIG": json.dumps(dict(config), sort_keys=True),
        }
    )
    return environment


def to_struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    """A JSON-shaped mapping as a protobuf Struct (numbers become floats, as on the wire)."""
    struct = struct_pb2.Struct()
    struct.update(dict(properties))
    return struct


class LaunchedPolicyPack:
    """A policy pack subprocess plus a gRPC Analyzer stub to it."""

    def __init__(self, process: subprocess.Popen[bytes], pack_dir: Path) -> None:
        self.process = process
        self.pack_dir = pack_dir
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._port: int | None = None
        self._port_ready = threading.Event()
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        if process.stdout is None or process.stderr is None:
            raise PolicyPackError("the policy pack must be started with piped stdout and stderr")
        self._stdout_thread = threading.Thread(
            target=self._drain_stdout,
            args=(process.stdout,),
            daemon=True,
            name=f"policy-pack-stdout-{process.pid}",
        )
        self._stderr_thread = threading.Thread(
            target=self._drain,
            args=(process.stderr, self.stderr_lines),
            daemon=True,
            name=f"policy-pack-stderr-{process.pid}",
        )
        self._stdout_thread.start()
        self._stderr_thread.start()

    # ---------------------------------------------------------------------------------------
    # Process life cycle
    # ---------------------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        pack_dir: Path | str,
        *,
        project: str,
        stack: str,
        config: Mapping[str, str] | None = None,
        organization: str = "organization",
        dry_run: bool = True,
        python: str | None = None,
        extra_environment: Mapping[str, str] | None = None,
    ) -> Self:
        """Start the pack as the CLI does; returns without waiting for it to listen."""
        pack_path = Path(pack_dir).resolve()
        if not (pack_path / "__main__.py").is_file():
            raise PolicyPackError(f"{pack_path}: not a Python policy pack (no __main__.py)")
        environment = pack_environment(
            organization=organization,
            project=project,
            stack=stack,
            config=config or {},
            dry_run=dry_run,
        )
        environment.update(extra_environment or {})
        command = [
            python or pack_python(pack_path),
            "-u",
            "-m",
            "pulumi.policy",
            ENGINE_ADDRESS,
            str(pack_path),
        ]
        try:
            process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                command,
                cwd=pack_path,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as error:
            raise PolicyPackError(f"cannot start the policy pack {pack_path}: {error}") from error
        return cls(process, pack_path)

    def _drain_stdout(self, stream: IO[bytes]) -> None:
        for raw in stream:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            if self._port is None and not self._port_ready.is_set():
                try:
                    self._port = int(line.strip())
                except ValueError:
                    self.stdout_lines.append(line)
                    continue
                self._port_ready.set()
                continue
            self.stdout_lines.append(line)
        self._port_ready.set()  # the process ended: wake any waiter so it reports why

    @staticmethod
    def _drain(stream: IO[bytes], sink: list[str]) -> None:
        for raw in stream:
            sink.append(raw.decode("utf-8", errors="replace").rstrip("\n"))

    def wait_ready(self, timeout: float = DEFAULT_START_TIMEOUT_SECONDS) -> int:
        """Block until the pack has printed its port; return it."""
        if not self._port_ready.wait(timeout):
            self.close()
            raise PolicyPackError(
                f"the policy pack {self.pack_dir} printed no port within {timeout:.0f} s"
                + self._output_tail()
            )
        if self._port is None:
            self.process.wait(timeout=5)
            self._stderr_thread.join(timeout=5)
            raise PolicyPackError(
                f"the policy pack {self.pack_dir} exited with code {self.process.returncode} "
                "before it listened" + self._output_tail()
            )
        return self._port

    @property
    def port(self) -> int:
        return self.wait_ready()

    @property
    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is None:
            port = self.wait_ready()
            self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self._stub

    def _output_tail(self, lines: int = 30) -> str:
        tail = (self.stdout_lines + self.stderr_lines)[-lines:]
        return (":\n" + "\n".join(tail)) if tail else ""

    def output(self) -> str:
        """Everything the pack wrote (stdout after the port line, then stderr)."""
        return "\n".join(self.stdout_lines + self.stderr_lines)

    def close(self) -> None:
        """Stop the pack (the CLI kills the plugin when the preview ends)."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
            self._stub = None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._stdout_thread.join(timeout=5)
        self._stderr_thread.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ---------------------------------------------------------------------------------------
    # The Analyzer protocol, in the order the engine calls it
    # ---------------------------------------------------------------------------------------

    def _call(self, method: str, request: Any, timeout: float) -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=timeout)
        except grpc.RpcError as error:
            details = error.details() if hasattr(error, "details") else str(error)
            raise PolicyPackError(
                f"the policy pack {self.pack_dir} failed {method}: {details}" + self._output_tail()
            ) from error

    def handshake(self, timeout: float = DEFAULT_RPC_TIMEOUT_SECONDS) -> bool:
        """`Handshake`; False when the pack does not implement it (the CLI tolerates that)."""
        request = analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address=ENGINE_ADDRESS,
            root_directory=str(self.pack_dir),
            program_directory=str(self.pack_dir),
        )
        try:
            self.stub.Handshake(request, timeout=timeout)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNIMPLEMENTED:
                return False
            raise PolicyPackError(
                f"the policy pack {self.pack_dir} failed Handshake: "
                f"{error.details()}" + self._output_tail()
            ) from error
        return True

    def configure_stack(
        self,
        *,
        organization: str,
        project: str,
        stack: str,
        config: Mapping[str, str] | None = None,
        config_secret_keys: Iterable[str] = (),
        tags: Mapping[str, str] | None = None,
        dry_run: bool = True,
        timeout: float = DEFAULT_RPC_TIMEOUT_SECONDS,
    ) -> None:
        request = analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=stack,
            project=project,
            organization=organization,
            dry_run=dry_run,
            config=dict(config or {}),
            config_secret_keys=list(config_secret_keys),
            tags=dict(tags or {}),
        )
        self._call("ConfigureStack", request, timeout)

    def get_plugin_info(
        self, timeout: float = DEFAULT_RPC_TIMEOUT_SECONDS
    ) -> plugin_pb2.PluginInfo:
        return self._call("GetPluginInfo", empty_pb2.Empty(), timeout)  # type: ignore[no-any-return]

    def get_analyzer_info(
        self, timeout: float = DEFAULT_RPC_TIMEOUT_SECONDS
    ) -> analyzer_pb2.AnalyzerInfo:
        return self._call("GetAnalyzerInfo", empty_pb2.Empty(), timeout)  # type: ignore[no-any-return]

    def configure(
        self,
        settings: Mapping[str, PolicySettings],
        timeout: float = DEFAULT_RPC_TIMEOUT_SECONDS,
    ) -> None:
        """`Configure` with an entry per policy (the CLI sends one for every policy)."""
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, entry in settings.items():
            policy_config = analyzer_pb2.PolicyConfig(enforcementLevel=entry.enforcement_level)  # type: ignore[arg-type]
            policy_config.properties.update(dict(entry.properties))
            request.policyConfig[name].CopyFrom(policy_config)
        self._call("Configure", request, timeout)

    def remediate(
        self,
        type_token: str,
        properties: Mapping[str, Any],
        *,
        urn: str,
        name: str,
        options: analyzer_pb2.AnalyzerResourceOptions | None = None,
        provider: analyzer_pb2.AnalyzerProviderResource | None = None,
        timeout: float = DEFAULT_RPC_TIMEOUT_SECONDS,
    ) -> analyzer_pb2.RemediateResponse:
        request = resource_request(
            type_token, properties, urn=urn, name=name, options=options, provider=provider
        )
        return self._call("Remediate", request, timeout)  # type: ignore[no-any-return]

    def analyze(
        self,
        type_token: str,
        properties: Mapping[str, Any],
        *,
        urn: str,
        name: str,
        options: analyzer_pb2.AnalyzerResourceOptions | None = None,
        provider: analyzer_pb2.AnalyzerProviderResource | None = None,
        timeout: float = DEFAULT_RPC_TIMEOUT_SECONDS,
    ) -> analyzer_pb2.AnalyzeResponse:
        request = resource_request(
            type_token, properties, urn=urn, name=name, options=options, provider=provider
        )
        return self._call("Analyze", request, timeout)  # type: ignore[no-any-return]

    def analyze_stack(
        self,
        resources: Iterable[AnalyzerResourceView],
        timeout: float = DEFAULT_RPC_TIMEOUT_SECONDS,
    ) -> analyzer_pb2.AnalyzeResponse:
        request = analyzer_pb2.AnalyzeStackRequest()
        for view in resources:
            resource = request.resources.add()
            resource.type = view.type
            resource.urn = view.urn
            resource.name = view.name
            resource.properties.CopyFrom(to_struct(view.properties))
            resource.parent = view.parent
            resource.dependencies.extend(view.dependencies)
            for key, urns in view.property_dependencies.items():
                resource.propertyDependencies[key].urns.extend(urns)
            if view.options is not None:
                resource.options.CopyFrom(view.options)
            if view.provider is not None:
                resource.provider.CopyFrom(view.provider)
        return self._call("AnalyzeStack", request, timeout)  # type: ignore[no-any-return]


def diagnostics_as_dicts(response: analyzer_pb2.AnalyzeResponse) -> list[dict[str, Any]]:
    """The response's diagnostics as plain dicts with the enforcement level by name."""
    result = []
    for diagnostic in response.diagnostics:
        entry = json_format.MessageToDict(diagnostic, preserving_proto_field_name=True)
        entry["enforcementLevel"] = ENFORCEMENT_LEVEL_NAMES.get(
            diagnostic.enforcementLevel, str(diagnostic.enforcementLevel)
        )
        result.append(entry)
    return result
