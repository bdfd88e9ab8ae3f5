"""`python -m offline_plan.ci_matrix`: the CI preview matrix, from the `Pulumi.<stack>.yaml` files.

The workflow's real `pulumi preview` job runs once per stack of an environment. The stacks are
the ones the offline plan finds (`offline_plan.discovery`, the same rule as `nox -s preview`), in
its dependency order (network-iam -> notifications -> retraining), so a pull request that onboards
a team previews its new stack without anyone editing the workflow.

Each entry also says whether a stack it reads (or the `shared/` library every stack runs) changed
in the pull request: a real preview reads the *deployed* upstream exports, so a retraining stack
whose team is added to network-iam in the same pull request cannot be previewed for real until
the upstream is deployed. The workflow says so in the job's output instead of failing obscurely;
the offline plan, which plans upstream and downstream together, still judges it.

Output (`--github-output FILE` appends `matrix=` and `count=` lines, as GitHub's `$GITHUB_OUTPUT`
expects; otherwise the matrix is printed):

    {"include": [{"project": "network-iam", "stack": "dev", "work_dir": "stacks/network-iam",
                  "stack_name": "acme/network-iam/dev", "policy_pack": "../../policy",
                  "policy_pack_config": "../../policy/policy-config.example.json",
                  "upstream_changed": false,
                  "upstream_changed_reason": ""}, ...]}

Exit 2 when a stack cannot be resolved (bad config, an upstream that matches no stack file).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from offline_plan.discovery import StackSelection, StackTarget, discover

POLICY_PACK = "policy"
POLICY_PACK_CONFIG = "policy/policy-config.example.json"
SHARED_LIBRARY = "shared/"
"""Changes here change every stack's program (installed with `-e ../../shared`)."""


def git_lines(repository: Path, *arguments: str) -> list[str]:
    """The non-empty output lines of `git -C repository ARGUMENTS`; ValueError if git fails."""
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        ["git", "-C", str(repository), *arguments],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ValueError(f"git {' '.join(arguments)} failed: {result.stderr.strip()}")
    return [line for line in result.stdout.splitlines() if line]


def changed_files(repository: Path, base: str) -> list[str]:
    """Paths changed between `base` and HEAD (the pull request's own changes: `base...HEAD`)."""
    return git_lines(repository, "diff", "--name-only", f"{base}...HEAD")


def changes_of(target: StackTarget, repository: Path, changed: Iterable[str]) -> list[str]:
    """Changed files that change what this stack deploys: its project's program and its own
    stack file (another stack's `Pulumi.<other>.yaml` of the same project does not)."""
    folder = target.project_dir.resolve().relative_to(repository.resolve()).as_posix() + "/"
    own_stack_file = folder + f"Pulumi.{target.stack}.yaml"
    hits = []
    for path in changed:
        if path.startswith(SHARED_LIBRARY):
            hits.append(path)
        elif path.startswith(folder):
            name = path[len(folder) :]
            is_stack_file = name.startswith("Pulumi.") and name != "Pulumi.yaml"
            if not is_stack_file or path == own_stack_file:
                hits.append(path)
    return hits


def build_matrix(
    repository: Path,
    *,
    environment: str,
    organization: str,
    changed: Sequence[str] = (),
) -> tuple[dict[str, Any], list[str]]:
    """The matrix and the problems that stop it (each naming its file and key)."""
    stacks_dir = repository / "stacks"
    found = discover(stacks_dir, StackSelection(environment=environment, organization=organization))
    problems = [problem.render() for problem in found.problems]
    problems += [p.render() for target in found.targets for p in target.problems]
    by_name = {target.full_name: target for target in found.targets}
    include = []
    for target in found.targets:
        reasons = []
        for key, upstream in sorted(target.upstreams.items()):
            upstream_target = by_name.get(upstream)
            if upstream_target is None:
                continue
            hits = changes_of(upstream_target, repository, changed)
            if hits:
                reasons.append(f"{key} = {upstream} changes in this pull request ({hits[0]})")
        work_dir = target.project_dir.resolve().relative_to(repository.resolve()).as_posix()
        include.append(
            {
                "project": target.project,
                "stack": target.stack,
                "work_dir": work_dir,
                "stack_name": target.full_name,
                # pulumi/actions runs the CLI in work-dir: the pack's paths are relative to it.
                "policy_pack": os.path.relpath(POLICY_PACK, work_dir),
                "policy_pack_config": os.path.relpath(POLICY_PACK_CONFIG, work_dir),
                "upstream_changed": bool(reasons),
                "upstream_changed_reason": "; ".join(reasons),
            }
        )
    return {"include": include}, problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m offline_plan.ci_matrix",
        description="The CI preview matrix: every stack of an environment in dependency order.",
    )
    parser.add_argument("--env", default="dev", help="environment (default: %(default)s)")
    parser.add_argument(
        "--organization",
        required=True,
        help="organization of the stack names: the workflow's PULUMI_ORG variable",
    )
    parser.add_argument(
        "--changed-since",
        metavar="REF",
        default=None,
        help="mark stacks whose upstream changed between REF and HEAD (e.g. origin/main)",
    )
    parser.add_argument("--repository", type=Path, default=Path.cwd(), help=argparse.SUPPRESS)
    parser.add_argument(
        "--github-output",
        type=Path,
        default=None,
        metavar="FILE",
        help="append matrix=<json> and count=<n> to FILE ($GITHUB_OUTPUT)",
    )
    arguments = parser.parse_args(argv)
    try:
        changed = (
            changed_files(arguments.repository, arguments.changed_since)
            if arguments.changed_since
            else []
        )
    except ValueError as error:
        print(f"ci_matrix: {error}", file=sys.stderr)
        return 2
    matrix, problems = build_matrix(
        arguments.repository,
        environment=arguments.env,
        organization=arguments.organization,
        changed=changed,
    )
    if problems:
        for problem in problems:
            print(f"ci_matrix: {problem}", file=sys.stderr)
        return 2
    document = json.dumps(matrix, separators=(",", ":"))
    if arguments.github_output is None:
        print(document)
        return 0
    with arguments.github_output.open("a", encoding="utf-8") as output:
        output.write(f"matrix={document}\ncount={len(matrix['include'])}\n")
    for entry in matrix["include"]:  # the job's log says what it will preview
        reason = entry["upstream_changed_reason"]
        print(
            entry["stack_name"] + (f"  (upstream changed: {reason})" if reason else ""),
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
