"""`nox -s new-team -- <team> <model> [--env dev]`: onboard a team in one command.

Adds the team to network-iam's and notifications' stack config of the environment (round-trip
YAML: their comments, key order and quoting stay as they are), writes the team's retraining
stack file from a commented template that is valid as written, and plans that stack with the
policy pack. All files change or none does: every text is computed first, then written through
temporary files and swapped in; a failure in the middle, or a plan that does not pass, puts
back what was there.
"""

from __future__ import annotations

import argparse
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from retraining_shared import naming
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from offline_plan import cli, config_schema
from offline_plan.stack_file_positions import StackFilePositions
from offline_plan.stack_template import (
    DEFAULT_SCHEDULE,
    render_stack_file,
    retraining_stack_name,
)

NETWORK_IAM = "network-iam"
NOTIFICATIONS = "notifications"
RETRAINING = "retraining"
TEAMS_KEY = "teams"
EXIT_REFUSED = 2
EXIT_PLAN_FAILED = 1


class Refused(Exception):
    """The team cannot be onboarded as asked; no file was touched."""


@dataclass(frozen=True)
class Edit:
    path: Path
    text: str
    original: str | None
    """None: the file is created."""


def _round_trip() -> YAML:
    """ruamel.yaml in round-trip mode, indented as the shipped stack files are."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long value
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _name_problems(team: str, model: str, environment: str) -> list[str]:
    problems = [
        f"{what} {value!r} {problem} (allowed: {rule})"
        for what, value, problem, rule in (
            ("team", team, naming.team_problem(team), naming.TEAM_RULE),
            ("model", model, naming.model_problem(model), naming.MODEL_RULE),
            (
                "environment",
                environment,
                naming.environment_problem(environment),
                naming.ENVIRONMENT_RULE,
            ),
        )
        if problem
    ]
    if problems:
        return problems
    # Every name the stack derives must fit AWS's limits (naming.py owns their shape).
    derived = (
        naming.orchestrator_function_name,
        naming.orchestrator_log_group_name,
        naming.state_machine_name,
        naming.schedule_rule_name,
        naming.schedule_name,
        naming.job_state_rule_name,
        naming.schedule_dead_letter_queue_name,
        naming.orchestrator_dead_letter_queue_name,
    )
    for name in derived:
        try:
            name(team, model, environment)
        except naming.NamingError as error:
            problems.append(str(error))
    try:
        naming.training_job_name(team, model, environment, datetime(2026, 1, 1, tzinfo=UTC))
    except naming.NamingError as error:
        problems.append(str(error))
    return problems


def _teams_of(document: Any, project: str, path: Path) -> CommentedMap:
    config = document.get("config") if isinstance(document, CommentedMap) else None
    if not isinstance(config, CommentedMap):
        raise Refused(f"{path}: has no `config:` mapping")
    for key in (f"{project}:{TEAMS_KEY}", TEAMS_KEY):
        teams = config.get(key)
        if isinstance(teams, CommentedMap):
            return teams
    raise Refused(f"{path}: has no `{project}:{TEAMS_KEY}` mapping to add the team to")


def _already_there(path: Path, project: str, team: str) -> str:
    where = StackFilePositions(path, project).locate(f"{project}:{TEAMS_KEY}", (team,))
    line = f":{where.line}" if where is not None and where.exact else ""
    return (
        f"team {team!r} is already onboarded in {os.path.relpath(path)}{line}; for another "
        "model of an onboarded team, copy one of its stacks/retraining/Pulumi.<stack>.yaml"
    )


def _with_team(path: Path, project: str, team: str, entry: CommentedMap, comment: str) -> Edit:
    yaml = _round_trip()
    original = path.read_text(encoding="utf-8")
    document = yaml.load(original)
    teams = _teams_of(document, project, path)
    if team in teams:
        raise Refused(_already_there(path, project, team))
    teams[team] = entry
    teams.yaml_add_eol_comment(comment, team)
    output = io.StringIO()
    yaml.dump(document, output)
    return Edit(path, output.getvalue(), original)


def _region_of(path: Path) -> str:
    document = _round_trip().load(path.read_text(encoding="utf-8"))
    config = document.get("config") if isinstance(document, CommentedMap) else None
    region = config.get("aws:region") if isinstance(config, CommentedMap) else None
    if not isinstance(region, str):
        raise Refused(f"{path}: sets no aws:region for the new stack to use")
    return region


def onboarding_edits(
    stacks_dir: Path, team: str, model: str, environment: str, notify: str
) -> list[Edit]:
    """Every file change that onboards the team, computed without touching a file."""
    problems = _name_problems(team, model, environment)
    if problems:
        raise Refused("; ".join(problems))
    network_file = stacks_dir / NETWORK_IAM / f"Pulumi.{environment}.yaml"
    notifications_file = stacks_dir / NOTIFICATIONS / f"Pulumi.{environment}.yaml"
    for path in (network_file, notifications_file):
        if not path.is_file():
            raise Refused(f"{path} does not exist: environment {environment!r} has no such stack")
    stack = retraining_stack_name(team, model, environment)
    stack_file = stacks_dir / RETRAINING / f"Pulumi.{stack}.yaml"
    if stack_file.exists():
        raise Refused(
            f"{os.path.relpath(stack_file)} already exists: model {model!r} of team {team!r}"
        )
    network_entry = CommentedMap()
    subscription = CommentedMap([("protocol", "email"), ("endpoint", notify)])
    notifications_entry = CommentedMap([(("subscriptions"), CommentedSeq([subscription]))])
    edits = [
        _with_team(
            network_file,
            NETWORK_IAM,
            team,
            network_entry,
            "added by nox -s new-team; optional: costCenter, tags, dataProducers, modelConsumers",
        ),
        _with_team(
            notifications_file,
            NOTIFICATIONS,
            team,
            notifications_entry,
            "added by nox -s new-team; EDIT: who hears of failed trainings",
        ),
    ]
    text = render_stack_file(
        team=team,
        model=model,
        environment=environment,
        region=_region_of(network_file),
        schema_comment=config_schema.MODELINE,
    )
    return [*edits, Edit(stack_file, text, None)]


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.new-team")


def _restore(done: Sequence[Edit]) -> None:
    for edit in reversed(done):
        if edit.original is None:
            edit.path.unlink(missing_ok=True)
        else:
            temporary = _temporary(edit.path)
            temporary.write_text(edit.original, encoding="utf-8")
            os.replace(temporary, edit.path)


def write_all(edits: Sequence[Edit]) -> None:
    """Write every edit or none: all texts go to temporary files beside their target first,
    then each is swapped in (os.replace is atomic per file); on any failure the files already
    swapped get their old text back and the temporary files are removed."""
    done: list[Edit] = []
    try:
        for edit in edits:
            _temporary(edit.path).write_text(edit.text, encoding="utf-8")
        for edit in edits:
            os.replace(_temporary(edit.path), edit.path)
            done.append(edit)
    except BaseException:
        _restore(done)
        raise
    finally:
        for edit in edits:
            _temporary(edit.path).unlink(missing_ok=True)


def _next_steps(edits: Sequence[Edit], stacks_dir: Path, stack: str) -> list[str]:
    stack_file, notifications_file = edits[2].path, edits[1].path
    image = StackFilePositions(stack_file, RETRAINING).locate(f"{RETRAINING}:training", ("image",))
    schedule = StackFilePositions(stack_file, RETRAINING).locate(f"{RETRAINING}:schedule")
    team = stack.split("-", 1)[0]
    email = StackFilePositions(notifications_file, NOTIFICATIONS).locate(
        f"{NOTIFICATIONS}:{TEAMS_KEY}", (team, "subscriptions", 0, "endpoint")
    )

    def at(path: Path, position: Any) -> str:
        shown = os.path.relpath(path)
        return f"{shown}:{position.line}" if position is not None else shown

    return [
        f"1. {at(stack_file, image)}  training.image: your training image in ECR (tag or digest)",
        f"2. {at(notifications_file, email)}  the address that hears of failed trainings",
        f"3. {at(stack_file, schedule)}  the schedule (now {DEFAULT_SCHEDULE}, UTC), instance "
        "type, input channels",
        f"4. nox -s plan -- --stack {RETRAINING}/{stack}   then open a pull request: CI plans it",
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nox -s new-team --",
        description="Onboard a team: add it to network-iam and notifications, write its "
        "retraining stack from a commented template, and plan it. All files or none.",
    )
    parser.add_argument("team", help=naming.TEAM_RULE)
    parser.add_argument("model", help=naming.MODEL_RULE)
    parser.add_argument("--env", default="dev", help="environment (default: %(default)s)")
    parser.add_argument(
        "--notify",
        default=None,
        metavar="EMAIL",
        help="email subscribed to the team's notifications (default: <team>-ml@example.com, "
        "to be edited)",
    )
    parser.add_argument(
        "--stacks-dir", type=Path, default=cli.default_repository() / "stacks", metavar="DIR"
    )
    parser.add_argument(
        "--no-policy-pack", action="store_true", help="plan without the policy pack"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    team, model, environment = arguments.team, arguments.model, arguments.env
    notify = arguments.notify or f"{team}-ml@example.com"
    stacks_dir: Path = arguments.stacks_dir.resolve()
    try:
        edits = onboarding_edits(stacks_dir, team, model, environment, notify)
    except Refused as refusal:
        print(f"new-team: refused, no file changed: {refusal}")
        return EXIT_REFUSED
    write_all(edits)
    stack = retraining_stack_name(team, model, environment)
    for edit in edits:
        verb = "created" if edit.original is None else "added the team to"
        print(f"new-team: {verb} {os.path.relpath(edit.path)}")
    plan_arguments = ["--env", environment, "--stack", f"{RETRAINING}/{stack}"]
    plan_arguments += ["--stacks-dir", str(stacks_dir)]
    if arguments.no_policy_pack:
        plan_arguments.append("--no-policy-pack")
    exit_code = cli.main(plan_arguments)
    if exit_code != 0:
        _restore(edits)
        print(f"new-team: the plan of {stack} did not pass (exit {exit_code}); every file is back")
        return EXIT_PLAN_FAILED
    print(f"new-team: team {team} is onboarded in {environment}; what to edit next:")
    for step in _next_steps(edits, stacks_dir, stack):
        print(f"  {step}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
