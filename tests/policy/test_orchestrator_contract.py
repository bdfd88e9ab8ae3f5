"""The orchestrator contract has one home: the pack's `orchestrator_contract.py`.

The pack is published alone (`pulumi policy publish` uploads policy/) and links to nothing outside
it (test_catalogue.py), so the pack holds the file;
the Lambda package (whose zip holds the file's content) and the shared library link to it, as
they do to the schedule grammar. No other file spells the orchestrator's environment variable
names: the stack, the function, the state machine, the pack and the tools read them from there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from retraining_policies import orchestrator_contract as contract

REPO = Path(__file__).resolve().parents[2]
HOME = REPO / "policy" / "retraining_policies" / "orchestrator_contract.py"
LINKS = (
    "stacks/retraining/retraining_stack/lambda_function/contract.py",
    "shared/retraining_shared/orchestrator_contract.py",
)
NOT_OURS = {"node_modules", "__pycache__", "venv", ".venv"}


@pytest.mark.parametrize("link", LINKS)
def test_the_lambda_package_and_the_shared_library_link_to_the_packs_file(link: str) -> None:
    path = REPO / link
    assert path.is_symlink(), f"{link} must be a symlink to {HOME.relative_to(REPO)}"
    assert path.resolve() == HOME


def test_no_other_file_spells_an_environment_variable_name() -> None:
    names = {value for key, value in vars(contract).items() if key.startswith("ENV_")}
    assert {"NOTIFICATION_TOPIC_ARN", "TRAINING_SPEC", "TRAINING_JOB_NAME_PREFIX"} <= names
    holders: dict[str, list[str]] = {}
    for folder in ("policy", "shared", "stacks", "tools"):
        for path in (REPO / folder).rglob("*.py"):
            if path.is_symlink() or path == HOME or NOT_OURS & set(path.parts):
                continue
            text = path.read_text(encoding="utf-8")
            spelled = sorted(name for name in names if f'"{name}"' in text or f"'{name}'" in text)
            if spelled:
                holders[path.relative_to(REPO).as_posix()] = spelled
    assert holders == {}, "these files spell contract names instead of importing them"
