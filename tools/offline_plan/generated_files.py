"""Files generated from a source of truth and shipped in the repository (schemas, data tables).

Every generator has the same two modes: write the file, or (`--check`, as the tests and CI run
it) report that the shipped file differs from what the generator produces now.
"""

from __future__ import annotations

from pathlib import Path


def refresh(target: Path, text: str, *, check: bool) -> bool:
    """Whether `target` was stale (missing or different from `text`); rewritten unless `check`."""
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if current == text:
        return False
    if not check:
        target.write_text(text, encoding="utf-8")
    return True
