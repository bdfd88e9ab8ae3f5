"""Every task of the monorepo, one command each: `nox -s tests|lint|plan|new-team|bench|preview|up`.

`plan` runs offline (no Pulumi CLI, no AWS account); `preview` and `up` need the real Pulumi
CLI and credentials, and walk the stacks in dependency order: network-iam -> notifications ->
retraining.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests", "plan"]

REPO = Path(__file__).parent
PYTHON = "3.11"
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
    # `npm ci` deletes node_modules and installs again on every run (~2 s); a warm run whose
    # lockfile is the one the last `npm ci` here installed keeps that tree.
    engine = REPO / AUTHORIZATION_ENGINE
    lock_digest = hashlib.sha256((engine / "package-lock.json").read_bytes()).hexdigest()
    stamp = engine / "node_modules" / ".installed-from-lock-sha256"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == lock_digest:
        session.log(f"{AUTHORIZATION_ENGINE}: installed from this package-lock.json already")
        return
    session.run(
        "npm", "ci", "--prefix", AUTHORIZATION_ENGINE, "--no-audit", "--no-fund", external=True
    )
    stamp.write_text(lock_digest, encoding="utf-8")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """All pytest suites: unit (mocks), orchestrator (moto), policy (gRPC), plan (offline)."""
    _install(session)
    _install_authorization_engine(session)
    # pytest exits 5 when it collected nothing: that is a failure here, never a pass.
    # loadgroup: tests are shared out one by one, except the modules marked xdist_group, which
    # keep their module-scoped fixtures (whole plans) on one worker instead of one per worker.
    session.run("pytest", *(session.posargs or ["-n", "2", "--dist", "loadgroup", "-q"]))


# The Lambda runtimes the function may run on (orchestrators.LAMBDA_RUNTIME pins python3.13).
LAMBDA_PYTHONS = ("3.12", "3.13")
LAMBDA_TESTS = (
    "tests/orchestrator/test_handler.py",
    "tests/orchestrator/test_lambda_message_matrix.py",
)


@nox.session(name="lambda-runtime", python=LAMBDA_PYTHONS)
def lambda_runtime(session: nox.Session) -> None:
    """The Lambda orchestrator's tests on the runtime's Python versions (.ci/run runs it)."""
    _install(session)
    session.run("pytest", "-q", "-p", "no:cacheprovider", *(session.posargs or LAMBDA_TESTS))


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format), mypy --strict per project, the workflows' schema and zizmor."""
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
    # zizmor parses the workflows' GitHub expressions (template injection, excessive
    # permissions, unpinned actions, dangerous triggers); --offline: no GitHub API calls.
    session.run("zizmor", "--offline", "--config", str(REPO / ".github" / "zizmor.yml"), *workflows)


@nox.session(python=PYTHON)
def plan(session: nox.Session) -> None:
    """Offline plan of every stack of an environment, judged by the policy pack (default: dev).

    Extra arguments go to the planner, e.g. `nox -s plan -- --env dev --json plan.json`.
    """
    _install(session)
    _install_authorization_engine(session)
    session.run("python", "-m", "offline_plan", *session.posargs)


@nox.session(name="new-team", python=PYTHON)
def new_team(session: nox.Session) -> None:
    """Onboard a team: `nox -s new-team -- <team> <model> [--env dev]` adds it to network-iam
    and notifications, writes its retraining stack file and plans it (all files or none)."""
    _install(session)
    _install_authorization_engine(session)  # the plan it runs includes the authorization proof
    session.run("python", "-m", "offline_plan.new_team", *session.posargs)


@nox.session(python=PYTHON)
def schemas(session: nox.Session) -> None:
    """Regenerate stacks/<project>/stack-config.schema.json from the settings models."""
    _install(session)
    session.run("python", "-m", "offline_plan.config_schema", *session.posargs)


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
    pinned = (REPO / ".pulumi.version").read_text(encoding="utf-8").strip()
    reported = session.run(pulumi, "version", external=True, silent=True)
    if isinstance(reported, str) and reported.strip().lstrip("v") != pinned:
        session.warn(
            f"this Pulumi CLI is {reported.strip()}, CI runs {pinned} (.pulumi.version); "
            "the pack install and config checks were verified against the pinned version"
        )
    return pulumi


def _stacks_of_environment(session: nox.Session, environment: str) -> list[dict[str, str]]:
    """The CI preview matrix's entries: every stack of the environment, in dependency order."""
    organization = os.environ.get("PULUMI_ORG", "organization")
    document = session.run(
        "python",
        "-m",
        "offline_plan.ci_matrix",
        "--env",
        environment,
        "--organization",
        organization,
        silent=True,
        stderr=None,  # problems go to the console; only the JSON on stdout is captured
    )
    entries: list[dict[str, str]] = json.loads(str(document))["include"]
    return entries


def _walk_stacks(session: nox.Session, command: list[str]) -> None:
    pulumi = _require_pulumi_cli(session)
    _install(session)
    environment = session.posargs[0] if session.posargs else "dev"
    stacks = _stacks_of_environment(session, environment)
    if not stacks:
        session.error(f"no Pulumi.<stack>.yaml for environment {environment!r} under stacks/")
    # `pulumi preview/up --policy-pack DIR` runs a local pack with DIR/venv's python but does
    # not create that venv; `pulumi install` in the pack's folder does (see PulumiPolicy.yaml).
    session.run(pulumi, "install", "--cwd", str(REPO / "policy"), external=True)
    for folder in sorted({entry["work_dir"] for entry in stacks}):
        session.run(pulumi, "install", "--cwd", str(REPO / folder), external=True)
    for entry in stacks:
        folder = str(REPO / entry["work_dir"])
        session.log(f"{entry['stack_name']}: pulumi {' '.join(command)}")
        session.run(
            pulumi, "stack", "select", "--create", entry["stack_name"], "--cwd", folder,
            external=True,
        )  # fmt: skip
        session.run(
            pulumi,
            *command,
            "--stack",
            entry["stack_name"],
            "--cwd",
            folder,
            "--policy-pack",
            str(REPO / "policy"),
            "--policy-pack-config",
            str(REPO / "policy" / "policy-config.example.json"),
            *session.posargs[1:],
            external=True,
        )


@nox.session(python=PYTHON)
def matrix(session: nox.Session) -> None:
    """The CI preview matrix as JSON (`python -m offline_plan.ci_matrix --help`)."""
    _install(session)
    session.run("python", "-m", "offline_plan.ci_matrix", *session.posargs)


@nox.session(python=PYTHON)
def preview(session: nox.Session) -> None:
    """Real `pulumi preview` with the policy pack over an environment's stacks, in order."""
    _walk_stacks(session, ["preview", "--diff"])


@nox.session(python=PYTHON)
def up(session: nox.Session) -> None:
    """Real `pulumi up` over an environment's stacks, in order, each guarded by the pack."""
    _walk_stacks(session, ["up", "--yes"])
