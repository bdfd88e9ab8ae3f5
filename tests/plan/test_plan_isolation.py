"""Two projects shipping a package of the same name are each planned with their own code."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from plan_harness import run_cli


def _project(root: Path, name: str, marker: str, upstream: str | None) -> None:
    folder = root / name
    (folder / "stackpkg").mkdir(parents=True)
    (folder / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    reference = f"  {name}:upstreamStack: {upstream}\n" if upstream else ""
    (folder / "Pulumi.dev.yaml").write_text(f"config:\n{reference}")
    (folder / "stackpkg" / "__init__.py").write_text(f"MARKER = {marker!r}\n")
    (folder / "__main__.py").write_text(
        "import pulumi\nfrom stackpkg import MARKER\n\npulumi.export('marker', MARKER)\n"
    )


def test_same_named_packages_of_two_projects_do_not_leak(tmp_path: Path) -> None:
    stacks = tmp_path / "stacks"
    _project(stacks, "first", "from first", None)
    _project(stacks, "second", "from second", "organization/first/dev")
    outcome = run_cli(["--stacks-dir", str(stacks), "--no-policy-pack"], tmp_path / "report.json")
    assert outcome.exit_code == 0, outcome.text
    markers = {s["project"]: s["outputs"]["marker"] for s in outcome.report["stacks"]}
    assert markers == {"first": "from first", "second": "from second"}


def test_a_plan_leaves_the_modules_it_found_and_takes_its_own_away(tmp_path: Path) -> None:
    """What a test session relies on: after planning a copy of a project, a package of the same
    name imported before the plan is back, and nothing of the copy stays importable."""
    stacks = tmp_path / "stacks"
    _project(stacks, "first", "from the plan", None)
    mine = tmp_path / "mine" / "stackpkg"
    mine.mkdir(parents=True)
    (mine / "__init__.py").write_text("MARKER = 'imported before the plan'\n")
    sys.path.insert(0, str(mine.parent))
    try:
        before = importlib.import_module("stackpkg")
        outcome = run_cli(
            ["--stacks-dir", str(stacks), "--no-policy-pack"], tmp_path / "report.json"
        )
        assert outcome.exit_code == 0, outcome.text
        assert outcome.report["stacks"][0]["outputs"]["marker"] == "from the plan"
        assert sys.modules["stackpkg"] is before
    finally:
        sys.path.remove(str(mine.parent))
        sys.modules.pop("stackpkg", None)
    copy = str(stacks.resolve())
    leftovers = [
        name
        for name, module in sys.modules.items()
        if str(getattr(module, "__file__", None) or "").startswith(copy)
    ]
    assert leftovers == []


def test_a_project_is_imported_once_for_two_plans_and_again_once_its_source_changes(
    tmp_path: Path,
) -> None:
    stacks = tmp_path / "stacks"
    _project(stacks, "first", "before the edit", None)
    package = stacks / "first" / "stackpkg" / "__init__.py"
    imports = tmp_path / "imports.log"
    counting = f"with open({str(imports)!r}, 'a') as log:\n    log.write('imported\\n')\n"
    package.write_text(counting + package.read_text())

    def marker() -> str:
        outcome = run_cli(
            ["--stacks-dir", str(stacks), "--no-policy-pack"], tmp_path / "report.json"
        )
        assert outcome.exit_code == 0, outcome.text
        return str(outcome.report["stacks"][0]["outputs"]["marker"])

    assert [marker(), marker()] == ["before the edit", "before the edit"]
    assert imports.read_text().splitlines() == ["imported"]
    package.write_text(package.read_text().replace("before the edit", "after the edit"))
    assert marker() == "after the edit"
    assert imports.read_text().splitlines() == ["imported", "imported"]
