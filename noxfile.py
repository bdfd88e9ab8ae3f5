"""Every task of the monorepo, one command each: `nox -s tests|lint|plan|bench|preview|up`.

`plan` runs offline (no Pulumi CLI, no AWS account); `preview` and `up` need the real Pulumi
CLI and credentials, and walk the stacks in dependency order: network-iam -> notifications ->
retraining.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests", "plan"]

REPO = Path(__file__).parent
PYTHON = "3.11"
STACK_ORDER = ("network-iam", "notifications", "retraining")
# Type-checked one Pulumi project at a time: each has its own `__main__.py`.
TYPED_PROJECTS = ("stacks/network-iam", "stacks/notifications", "stacks/retraining")


def _install(session: nox.Session) -> None:
    session.install("-r", "requirements-dev.txt")
    # Some machines export PYTHONDONTWRITEBYTECODE=1; then every run recompiles pulumi_aws
    # (seconds). An empty value lets Python cache bytecode in the session's venv.
    session.env["PYTHONDONTWRITEBYTECODE"] = ""


AUTHORIZATION_ENGINE = "tools/offline_plan/authorization/engine"


def _install_authorization_engine(session: nox.Session) -> None:
    """The IAM evaluation engine of the authorization proof (Node, exact versions from the
    lockfile). Without npm the plan itself reports what to install (exit 2), never a pass."""
    if shutil.which("npm") is None:
        session.warn(f"npm not found: cannot install {AUTHORIZATION_ENGINE} (needs Node.js 20+)")
        return
    session.run(
        "npm", "ci", "--prefix", AUTHORIZATION_ENGINE, "--no-audit", "--no-fund", external=True
    )


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """All pytest suites: unit (mocks), orchestrator (moto), policy (gRPC), plan (offline)."""
    _install(session)
    _install_authorization_engine(session)
    # pytest exits 5 when it collected nothing: that is a failure here, never a pass.
    session.run("pytest", *(session.posargs or ["-n", "2", "-q"]))


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format), mypy --strict per project, and the CI workflow's schema."""
    _install(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run(
        "mypy", "shared/retraining_shared", "tools/offline_plan", env={"MYPYPATH": "shared:tools"}
    )
    session.run("mypy", "policy", env={"MYPYPATH": "policy"})
    for project in TYPED_PROJECTS:
        # The project folder is on sys.path when the CLI runs its __main__.py.
        session.run("mypy", project, env={"MYPYPATH": f"shared:{project}"})
    workflows = sorted(str(p) for p in (REPO / ".github" / "workflows").glob("*.yml"))
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)


@nox.session(python=PYTHON)
def plan(session: nox.Session) -> None:
    """Offline plan of every stack of an environment, judged by the policy pack (default: dev).

    Extra arguments go to the planner, e.g. `nox -s plan -- --env dev --json plan.json`.
    """
    _install(session)
    _install_authorization_engine(session)
    session.run("python", "-m", "offline_plan", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks: the offline plan (and its scaling) and the Lambda orchestrator."""
    _install(session)
    session.run("python", "tools/bench_plan.py", *session.posargs)
    session.run("python", "tools/bench_orchestrator.py")


def _require_pulumi_cli(session: nox.Session) -> str:
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        session.error(
            "the Pulumi CLI is not on PATH (install it: https://www.pulumi.com/docs/install/); "
            "without it, run the offline plan instead: nox -s plan"
        )
    return pulumi


def _stacks_of_environment(environment: str) -> list[tuple[str, str]]:
    """(project folder, stack name) in dependency order, from the Pulumi.<stack>.yaml files."""
    ordered: list[tuple[str, str]] = []
    for project in STACK_ORDER:
        folder = REPO / "stacks" / project
        for config_file in sorted(folder.glob("Pulumi.*.yaml")):
            stack = config_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
            if stack == environment or stack.endswith(f"-{environment}"):
                ordered.append((project, stack))
    return ordered


def _walk_stacks(session: nox.Session, command: list[str]) -> None:
    pulumi = _require_pulumi_cli(session)
    environment = session.posargs[0] if session.posargs else "dev"
    stacks = _stacks_of_environment(environment)
    if not stacks:
        session.error(f"no Pulumi.<stack>.yaml for environment {environment!r} under stacks/")
    policy_pack = str(REPO / "policy")
    for project, stack in stacks:
        folder = REPO / "stacks" / project
        session.log(f"{project}/{stack}: pulumi {' '.join(command)}")
        session.run(
            pulumi, "stack", "select", "--create", stack, "--cwd", str(folder), external=True
        )
        session.run(
            pulumi,
            *command,
            "--stack",
            stack,
            "--cwd",
            str(folder),
            "--policy-pack",
            policy_pack,
            external=True,
        )


@nox.session(python=False)
def preview(session: nox.Session) -> None:
    """Real `pulumi preview --policy-pack policy` over an environment's stacks, in order."""
    _walk_stacks(session, ["preview", "--diff"])


@nox.session(python=False)
def up(session: nox.Session) -> None:
    """Real `pulumi up` over an environment's stacks, in order, each guarded by the pack."""
    _walk_stacks(session, ["up", "--yes"])
