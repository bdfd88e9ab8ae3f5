"""Every command and config snippet the READMEs show works as written.

The fenced `bash` blocks of README.md and the stack READMEs are walked line by line from the
repository root (a `cd` moves on, `&&` chains): every `nox -s SESSION` names a session of the
noxfile and `nox -s plan -- ...` parses with the planner's own parser, every file it names
exists, and its `--upstream-outputs` stack names are the ones the selected stack reads; every
`pulumi` command runs in a Pulumi project or policy pack folder, its `--policy-pack` and
`--policy-pack-config` exist from there, a stack it selects without `--create` has its
`Pulumi.<stack>.yaml`, and the pack's venv is installed (`pulumi install`) before a command
runs the pack. Commands of other tools (aws, jq) and installers are not checked. The `yaml`
blocks whose first line names a stack file are merged into a copy of that file and planned.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from offline_plan import new_team
from offline_plan.cli import build_parser
from offline_plan.discovery import StackSelection, discover
from plan_harness import run_cli

REPOSITORY = Path(__file__).resolve().parents[2]
READMES = [REPOSITORY / "README.md", *sorted((REPOSITORY / "stacks").glob("*/README.md"))]
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)


def _blocks(path: Path, language: str) -> list[str]:
    """Fenced blocks of `language`, dedented (a block may sit inside a list item)."""
    return [
        textwrap.dedent(body)
        for _, lang, body in FENCE.findall(path.read_text())
        if lang == language
    ]


def _commands(block: str) -> list[list[str]]:
    """Each command of a bash block as argv, continuation lines joined, `&&` split."""
    commands: list[list[str]] = []
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        current: list[str] = []
        for word in [*words, "&&"]:
            if word == "&&":
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(word)
    return commands


def _session_name(node: ast.FunctionDef) -> str | None:
    """The session a function declares: its `name=` if the decorator gives one, else its own."""
    for decorator in node.decorator_list:
        if "nox.session" not in ast.unparse(decorator):
            continue
        keywords = decorator.keywords if isinstance(decorator, ast.Call) else []
        named = [k.value for k in keywords if k.arg == "name"]
        if named and isinstance(named[0], ast.Constant):
            return str(named[0].value)
        return node.name
    return None


def _nox_sessions() -> set[str]:
    tree = ast.parse((REPOSITORY / "noxfile.py").read_text())
    names = (_session_name(n) for n in tree.body if isinstance(n, ast.FunctionDef))
    return {name for name in names if name is not None}


def _option(argv: list[str], name: str) -> str | None:
    for index, word in enumerate(argv):
        if word == name and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    return None


# Options of the pulumi root command that take a value (pulumi/pulumi pkg/cmd/pulumi/pulumi.go,
# NewPulumiCmd: `--cwd`/`-C`, `--tracing`, `--tracing-header`, `--profiling`, `--verbose`/`-v`,
# `--color`, `--memprofilerate`); its other global options are booleans.
_PULUMI_VALUE_OPTIONS = frozenset(
    {"--cwd", "-C", "--tracing", "--tracing-header", "--profiling", "--verbose", "-v", "--color"}
    | {"--memprofilerate"}
)


def _pulumi_words(argv: list[str]) -> list[str]:
    """The command and its arguments: argv after `pulumi` and its leading global options."""
    index = 1
    while index < len(argv) and argv[index].startswith("-"):
        index += 2 if argv[index] in _PULUMI_VALUE_OPTIONS else 1
    return argv[index:]


@dataclass
class _Walk:
    readme: Path
    cwd: Path = REPOSITORY
    produced: set[Path] = field(default_factory=set)
    """Files an earlier command of the block writes (`> file`)."""
    pack_installed: bool = False
    problems: list[str] = field(default_factory=list)

    def problem(self, argv: list[str], text: str) -> None:
        self.problems.append(f"{self.readme.relative_to(REPOSITORY)}: `{shlex.join(argv)}`: {text}")

    def exists(self, argv: list[str], relative: str, what: str) -> Path:
        path = (self.cwd / relative).resolve()
        if not path.exists() and path not in self.produced:
            self.problem(argv, f"{what} {relative} does not exist (from {self.cwd})")
        return path

    def run(self, argv: list[str]) -> None:
        if ">" in argv:
            self.produced.add((self.cwd / argv[argv.index(">") + 1]).resolve())
            argv = argv[: argv.index(">")]
        handlers = {"cd": self.cd, "nox": self.nox, "pulumi": self.pulumi}
        handler = handlers.get(argv[0])
        if handler is not None:
            handler(argv)

    def cd(self, argv: list[str]) -> None:
        self.cwd = self.exists(argv, argv[1], "folder")

    def nox(self, argv: list[str]) -> None:
        session = _option(argv, "-s") or _option(argv, "--session")
        if session is None:
            return  # `nox -l`, `nox` (the default sessions): nothing to look up
        if session not in _nox_sessions():
            self.problem(argv, f"the noxfile has no session {session!r}")
        if session == "new-team" and "--" in argv:
            new_team.build_parser().parse_args(argv[argv.index("--") + 1 :])
        if session != "plan" or "--" not in argv:
            return
        arguments = argv[argv.index("--") + 1 :]
        parsed = build_parser().parse_args(arguments)
        for path in parsed.stack_config:
            self.exists(argv, str(path), "--stack-config file")
        given: dict[str, Path] = {}
        for entry in parsed.upstream_outputs:
            name, _, file = entry.rpartition("=")
            given[name] = self.exists(argv, file, "--upstream-outputs file")
        if parsed.stack_config and given:
            selection = StackSelection(
                stack_config_files=tuple((self.cwd / p).resolve() for p in parsed.stack_config),
                organization=parsed.organization,
            )
            found = discover(
                REPOSITORY / "stacks", selection, {name: str(f) for name, f in given.items()}
            )
            problems = [p.render() for p in found.problems]
            problems += [p.render() for t in found.targets for p in t.problems]
            if problems:
                self.problem(argv, "; ".join(problems))
            for name, readers in found.readers.items():
                if not readers:
                    self.problem(argv, f"no selected stack reads {name} (its --organization?)")

    def pulumi(self, argv: list[str]) -> None:
        words = _pulumi_words(argv)
        if not words:
            self.problem(argv, "no pulumi command")
            return
        # `--cwd X` is a chdir before the command runs (NewPulumiCmd's PersistentPreRun), so
        # every relative path of the command is read from X.
        outer = self.cwd
        if (cwd := _option(argv, "--cwd") or _option(argv, "-C")) is not None:
            self.cwd = self.exists(argv, cwd, "--cwd folder")
        try:
            self._pulumi_command(argv, words)
        finally:
            self.cwd = outer

    def _pulumi_command(self, argv: list[str], words: list[str]) -> None:
        command, folder = words[0], self.cwd
        is_project = (folder / "Pulumi.yaml").is_file()
        is_pack = (folder / "PulumiPolicy.yaml").is_file()
        if command == "install":
            if not (is_project or is_pack):
                self.problem(argv, f"{folder} is neither a Pulumi project nor a policy pack")
            self.pack_installed |= is_pack
            return
        if command == "stack" and words[1:2] == ["output"]:
            return  # reads a deployed stack: any folder
        if not is_project:
            self.problem(argv, f"{folder} is not a Pulumi project (no Pulumi.yaml)")
            return
        if command == "stack" and words[1:2] == ["select"] and "--create" not in argv:
            stack = next(w for w in words[2:] if not w.startswith("-"))
            self.exists(argv, f"Pulumi.{stack}.yaml", "stack config")
        if (pack := _option(argv, "--policy-pack")) is not None:
            pack_dir = self.exists(argv, pack, "--policy-pack folder")
            if not (pack_dir / "PulumiPolicy.yaml").is_file():
                self.problem(argv, f"{pack} has no PulumiPolicy.yaml")
            if not self.pack_installed:
                self.problem(argv, "runs the pack before `pulumi install` created its venv")
        if (config := _option(argv, "--policy-pack-config")) is not None:
            self.exists(argv, config, "--policy-pack-config file")


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(REPOSITORY)))
def test_every_command_works_as_written(readme: Path) -> None:
    blocks = _blocks(readme, "bash")
    assert blocks, f"{readme} shows no command"
    pack_installed = False
    problems: list[str] = []
    for block in blocks:
        walk = _Walk(readme, pack_installed=pack_installed)
        for argv in _commands(block):
            walk.run(argv)
        pack_installed = walk.pack_installed
        problems += walk.problems
    assert problems == []


def _walk_problems(block: str) -> list[str]:
    """What the walk reports for a block of commands, as if written in the root README."""
    walk = _Walk(REPOSITORY / "README.md")
    for argv in _commands(block):
        walk.run(argv)
    return walk.problems


def test_the_walk_catches_what_it_claims_to() -> None:
    text = "\n".join(
        _walk_problems(
            "nox -s plan -- --stack-config Pulumi.fraud-scoring-dev.yaml\n"
            "nox -s deploy\n"
            "cd stacks/retraining && pulumi up --policy-pack policy\n"
            "cd ../network-iam && pulumi stack select prod\n"
        )
    )
    assert "--stack-config file Pulumi.fraud-scoring-dev.yaml does not exist" in text
    assert "no session 'deploy'" in text
    assert "--policy-pack folder policy does not exist" in text
    assert "runs the pack before `pulumi install`" in text
    assert "stack config Pulumi.prod.yaml does not exist" in text


def test_the_walk_reads_the_command_after_leading_options() -> None:
    problems = _walk_problems(
        "pulumi --cwd stacks/network-iam stack select prod\n"
        "pulumi --non-interactive -C stacks/retraining up --policy-pack ../../policy\n"
        "pulumi -v 3 --cwd stacks/nowhere preview\n"
        "nox -l\n"
        "nox --session deploy\n"
    )
    text = "\n".join(problems)
    network_iam = REPOSITORY / "stacks" / "network-iam"
    assert f"stack config Pulumi.prod.yaml does not exist (from {network_iam})" in text
    # read from --cwd (the pack exists there), but run before `pulumi install`
    assert "--policy-pack folder" not in text
    assert "runs the pack before `pulumi install`" in text
    assert "--cwd folder stacks/nowhere does not exist" in text
    assert "no session 'deploy'" in text
    assert len(problems) == 5, problems  # the last: stacks/nowhere is no project


def test_the_review_command_names_the_upstreams_the_stack_reads() -> None:
    # Without --organization acme the stack would read organization/..., not the given files.
    walk = _Walk(REPOSITORY / "README.md")
    walk.produced = {REPOSITORY / "network-iam.json", REPOSITORY / "notifications.json"}
    walk.run(
        shlex.split(
            "nox -s plan -- --stack-config stacks/retraining/Pulumi.fraud-scoring-dev.yaml "
            "--upstream-outputs acme/network-iam/dev=network-iam.json "
            "--upstream-outputs acme/notifications/dev=notifications.json"
        )
    )
    assert any("no selected stack reads acme/network-iam/dev" in p for p in walk.problems)


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def test_the_onboarding_snippets_plan_cleanly(tmp_path: Path) -> None:
    stacks = tmp_path / "stacks"
    shutil.copytree(REPOSITORY / "stacks", stacks)
    snippets = [
        block
        for readme in READMES
        for block in _blocks(readme, "yaml")
        if block.startswith("# stacks/")
    ]
    assert len(snippets) >= 2
    teams: set[str] = set()
    for snippet in snippets:
        target = tmp_path / snippet.splitlines()[0].removeprefix("# ").strip()
        assert target.is_file(), target
        document = yaml.safe_load(snippet)
        teams |= {
            team
            for key, value in document["config"].items()
            if key.endswith(":teams")
            for team in value
        }
        target.write_text(yaml.safe_dump(_deep_merge(yaml.safe_load(target.read_text()), document)))
    outcome = run_cli(
        ["--stacks-dir", str(stacks), "--stack", "notifications/dev", "--no-policy-pack"],
        tmp_path / "report.json",
    )
    assert outcome.exit_code == 0, outcome.report["errors"]
    network = outcome.stack("dev", project="network-iam")
    notifications = outcome.stack("dev", project="notifications")
    for team in teams:
        assert team in network["outputs"]["teams"]
        assert team in notifications["outputs"]["teams"]


def test_no_comment_cites_a_document_outside_the_repository() -> None:
    tracked: list[Path] = []
    for directory, subdirectories, names in os.walk(REPOSITORY):
        # Not the repository's own text: hidden folders (.git, .nox), virtualenvs, builds and
        # the authorization engine's installed npm packages (pruned, not walked).
        subdirectories[:] = [
            name
            for name in subdirectories
            if not name.startswith(".") and name not in {"venv", "build", "node_modules"}
        ]
        tracked.extend(
            Path(directory) / name
            for name in names
            if name.endswith((".py", ".md", ".yaml", ".yml", ".json"))
        )
    offenders = [
        str(path.relative_to(REPOSITORY))
        for path in tracked
        if path != Path(__file__)
        and re.search(r"\bBRIEF\b|\bthe seed\b|\bseed's\b", path.read_text(errors="replace"))
    ]
    assert offenders == []
