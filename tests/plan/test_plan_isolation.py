"""Two projects shipping a package of the same name are each planned with their own code."""

from __future__ import annotations

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
