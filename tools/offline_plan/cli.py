"""`python -m offline_plan`: the offline plan of an environment's stacks, judged by the pack.

Exit codes: 0 no mandatory violation; 1 mandatory violations; 2 the input could not be planned
(bad YAML or config, a program's error, a missing upstream stack or output, an invalid policy
configuration); 3 the planner itself failed (a bug: please report it with the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from offline_plan import changed_stacks, github, shards
from offline_plan.discovery import StackSelection
from offline_plan.parallel import AUTO_MIN_STACKS
from offline_plan.planner import PACK_PROCESS_MODES, PlanRequest, ProgressListener, plan
from offline_plan.render import RichProgress, render
from offline_plan.report import PlanReport

EXIT_PLANNER_FAILED = 3


def default_repository() -> Path:
    """The checkout to plan: the working directory if it holds stacks/, else this tool's repo."""
    for candidate in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (candidate / "stacks").is_dir():
            return candidate
    return Path.cwd()


def build_parser() -> argparse.ArgumentParser:
    repository = default_repository()
    parser = argparse.ArgumentParser(
        prog="python -m offline_plan",
        description=(
            "Preview the monorepo's stacks offline (Pulumi's mock runtime, preview mode) in "
            "dependency order, resolving StackReferences from the stacks planned in the same "
            "run (or from --upstream-outputs files of deployed stacks), and judge them with "
            "the policy pack over its gRPC protocol, as `pulumi preview --policy-pack policy` "
            "would."
        ),
        epilog="Exit codes: 0 no mandatory violation, 1 mandatory violations, 2 input could not "
        "be planned, 3 the planner failed.",
    )
    parser.add_argument("environment", nargs="?", help="environment to plan (same as --env)")
    parser.add_argument("-e", "--env", default=None, help="environment to plan (default: dev)")
    parser.add_argument(
        "--stack",
        action="append",
        default=[],
        metavar="NAME",
        help="plan only this stack (`stack` or `project/stack`) and the stacks it reads; "
        "repeatable",
    )
    parser.add_argument(
        "--changed-since",
        default=None,
        metavar="REF",
        help="plan only the stacks of the environment whose stack file or project changed since "
        "the git ref REF (REF...HEAD, plus uncommitted and untracked files), every stack when "
        "shared code, the policy pack or the planner changed, and the stacks reading them; with "
        "the stacks they read",
    )
    parser.add_argument(
        "--stack-config",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="plan the stack described by this Pulumi.<stack>.yaml (e.g. a team's stack under "
        "review, anywhere on disk) and the stacks it reads; repeatable",
    )
    parser.add_argument(
        "--upstream-outputs",
        action="append",
        default=[],
        metavar="[ORG/PROJECT/STACK=]FILE",
        help="exports of a deployed stack: ORG/PROJECT/STACK=FILE with FILE exactly as printed "
        "by `pulumi stack output --json --show-secrets --stack ORG/PROJECT/STACK`, or a FILE "
        'wrapped as {"stack": ..., "outputs": ...} (optional "secretOutputNames") or as '
        '{"ORG/PROJECT/STACK": outputs, ...}: StackReferences to it read the file and the '
        "stack is not planned; repeatable",
    )
    parser.add_argument(
        "--project",
        default=None,
        help="project of the --stack-config files outside a project folder (default: retraining)",
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="[PROJECT:]KEY=VALUE",
        help="set a config value, e.g. a plaintext stand-in for a `secure:` value; repeatable",
    )
    parser.add_argument(
        "--policy-pack",
        type=Path,
        default=repository / "policy",
        metavar="DIR",
        help="policy pack folder (default: %(default)s)",
    )
    parser.add_argument(
        "--no-policy-pack", action="store_true", help="plan without judging (no policy pack)"
    )
    parser.add_argument(
        "--cli-parity",
        action="store_true",
        help="start the pack only as `pulumi preview` would (its PulumiPolicy.yaml virtualenv, "
        "created by `pulumi install` in the pack folder); without it a missing virtualenv is a "
        "warning and the pack runs with this interpreter",
    )
    parser.add_argument(
        "--policy-pack-config",
        type=Path,
        default=None,
        metavar="FILE",
        help="policy configuration JSON, as for `pulumi preview --policy-pack-config`",
    )
    parser.add_argument(
        "--stacks-dir",
        type=Path,
        default=repository / "stacks",
        metavar="DIR",
        help="folder holding one folder per Pulumi project (default: %(default)s)",
    )
    parser.add_argument(
        "--organization",
        default="organization",
        help="organization of the stack names (default: %(default)s, a self-managed backend's)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the report as JSON ('-' for stdout, then no plan text)",
    )
    parser.add_argument(
        "--github",
        action="store_true",
        help="also write a Markdown summary to $GITHUB_STEP_SUMMARY and print workflow "
        "annotations (::error file=…,line=…::) for config errors and policy findings; on by "
        "itself when GITHUB_ACTIONS=true",
    )
    parser.add_argument("--details", action="store_true", help="show every resource's inputs")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show upstream stacks in full and each check a preview could not run",
    )
    parser.add_argument(
        "--pack-processes",
        choices=PACK_PROCESS_MODES,
        default="auto",
        help="one policy pack process for the whole plan, or one per stack; auto: shared unless "
        "the pack's source reads the stack's identity or config (default: %(default)s)",
    )
    parser.add_argument(
        "--jobs",
        default="auto",
        type=_jobs,
        metavar="N|auto",
        help="worker processes running the stacks' programs once their upstream stacks are "
        f"planned; auto: one per CPU from {AUTO_MIN_STACKS} stacks on, else 1 (default: "
        "%(default)s); the output is the same for every N",
    )
    parser.add_argument(
        "--shard",
        default=None,
        type=_shard,
        metavar="I/N",
        help="judge only shard I of N: every N-th selected target stack from the I-th, in plan "
        "order, with the stacks they read planned as upstream stacks; join the shards' --json "
        "reports with `python -m offline_plan merge`",
    )
    return parser


def _shard(value: str) -> shards.Shard:
    try:
        return shards.Shard.parse(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _merge(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m offline_plan merge",
        description="Join the --json reports of `--shard 1/N` ... `--shard N/N` into the report "
        "the unsharded plan writes; print its summary line and exit with its exit code.",
    )
    parser.add_argument("reports", nargs="+", type=Path, metavar="REPORT.json")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write it here")
    arguments = parser.parse_args(argv)
    return shards.merge_files(arguments.reports, arguments.json)


def _jobs(value: str) -> str:
    if value == "auto" or (value.isdigit() and int(value) >= 1):
        return value
    raise argparse.ArgumentTypeError(f"--jobs takes a positive number or 'auto', not {value!r}")


def _changed_stacks(arguments: argparse.Namespace, environment: str) -> tuple[str, ...]:
    stacks_dir = arguments.stacks_dir.resolve()
    repository = changed_stacks.repository_root(stacks_dir)
    changed = changed_stacks.changed_since(repository, arguments.changed_since)
    selection = StackSelection(environment=environment, organization=arguments.organization)
    names = changed_stacks.affected_stacks(repository, stacks_dir, selection, changed)
    print(
        f"offline plan: changed since {arguments.changed_since}: "
        + (", ".join(names) if names else "no stack")
    )
    return tuple(names)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["merge"]:
        return _merge(argv[1:])
    arguments = build_parser().parse_args(argv)
    environment = arguments.env or arguments.environment or "dev"
    stacks = tuple(arguments.stack)
    if arguments.changed_since is not None:
        try:
            stacks += _changed_stacks(arguments, environment)
        except ValueError as error:
            print(f"offline plan: --changed-since: {error}", file=sys.stderr)
            return 2
        if not stacks:
            print(
                f"offline plan: no stack of environment {environment} changed since "
                f"{arguments.changed_since}; nothing to plan"
            )
            if arguments.json is not None and str(arguments.json) != "-":
                empty = PlanReport(environment=environment).to_json()
                arguments.json.write_text(json.dumps(empty, indent=2) + "\n", encoding="utf-8")
            return 0
    request = PlanRequest(
        stacks_dir=arguments.stacks_dir.resolve(),
        selection=StackSelection(
            environment=environment,
            stacks=stacks,
            stack_config_files=tuple(arguments.stack_config),
            review_project=arguments.project,
            overrides=tuple(arguments.config),
            organization=arguments.organization,
        ),
        policy_pack=None if arguments.no_policy_pack else arguments.policy_pack.resolve(),
        policy_pack_config=arguments.policy_pack_config,
        pack_processes=arguments.pack_processes,
        upstream_outputs=tuple(arguments.upstream_outputs),
        cli_parity=arguments.cli_parity,
        jobs=arguments.jobs,
        shard=arguments.shard,
    )
    json_to_stdout = arguments.json is not None and str(arguments.json) == "-"
    console = Console(stderr=json_to_stdout, highlight=False)
    progress_console = Console(stderr=True)
    try:
        if progress_console.is_terminal:
            with RichProgress(progress_console) as progress:
                report = plan(request, progress)
        else:
            report = plan(request, ProgressListener())
    except Exception:
        traceback.print_exc()
        print("offline plan: the planner itself failed (exit 3)", file=sys.stderr)
        return EXIT_PLANNER_FAILED
    if arguments.json is not None:
        document = json.dumps(report.to_json(), indent=2)
        if json_to_stdout:
            sys.stdout.write(document + "\n")
        else:
            arguments.json.write_text(document + "\n", encoding="utf-8")
    render(report, console, details=arguments.details, verbose=arguments.verbose)
    if github.enabled(arguments.github, os.environ):
        # Workflow commands are read from the step's output; stderr when stdout is the JSON.
        github.publish(report.to_json(), os.environ, sys.stderr if json_to_stdout else sys.stdout)
    return report.exit_code
