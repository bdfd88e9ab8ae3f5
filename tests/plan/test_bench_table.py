"""The README's cost table is what `nox -s bench -- --markdown README.md` wrote, untouched.

The generator records the run's numbers beside the table (an HTML comment); the table must be
exactly what `bench_plan.markdown_table` makes of them, so a figure typed by hand, or a table
left from another format, fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench_plan import README_END, README_START, markdown_table, write_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def _block(text: str) -> str:
    assert text.count(README_START) == text.count(README_END) == 1
    return README_START + text.split(README_START, 1)[1].split(README_END, 1)[0] + README_END


def _results(block: str) -> dict[str, object]:
    recorded = block.splitlines()[1]
    assert recorded.startswith("<!-- "), "the generator's recorded numbers are missing"
    assert recorded.endswith(" -->")
    results: dict[str, object] = json.loads(recorded[len("<!-- ") : -len(" -->")])
    return results


def test_the_readme_cost_table_is_the_generators_output_for_its_recorded_numbers() -> None:
    block = _block(README.read_text(encoding="utf-8"))
    results = _results(block)
    assert block == markdown_table(results)
    assert f"Measured {results['date']} on {results['machine']}" in block


def test_writing_the_table_replaces_only_the_marked_block(tmp_path: Path) -> None:
    results = _results(_block(README.read_text(encoding="utf-8")))
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{README_START}\nold table\n{README_END}\nafter\n")
    write_markdown(readme, results)
    assert readme.read_text() == f"before\n{markdown_table(results)}\nafter\n"
