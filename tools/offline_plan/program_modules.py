"""A stack's program imports its own project's modules and leaves `sys.modules` as it found it.

The Pulumi CLI runs every program in a fresh interpreter. The offline plan runs many programs in
one process (and a test session runs many plans in one process), so:

- before a program runs, modules of its project's top-level names that another folder provided
  are set aside: two projects, or a copy of `stacks/`, may ship a package of the same name;
- after it, the project's modules leave `sys.modules` and what was set aside comes back. They are
  kept for the project's next program (`keep`): importing the retraining package again for each
  of 200 stacks would cost more than the program. Kept modules serve a later plan in the same
  process only if no source file of the project changed since they were imported (the paths,
  sizes and modification times of its `.py` files, checked once per plan: `forget()` ends a
  plan), as Python's own bytecode cache decides whether a source changed.

Third-party modules a program imports (pulumi_aws loads its submodules lazily) stay: they are the
same for every program. Only names are compared while choosing: no path is resolved per module.
"""

from __future__ import annotations

import os
import sys
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

KEPT_PROJECTS = 8
"""Projects whose modules are kept between plans (the shipped three, and a test's copies)."""


@dataclass(frozen=True)
class _Kept:
    sources: tuple[tuple[str, int, int], ...]
    """(path, size, mtime_ns) of every `.py` file of the project when its modules were imported."""
    modules: dict[str, ModuleType]


_kept: OrderedDict[str, _Kept] = OrderedDict()
"""Project folder -> its modules, between two programs of the project."""
_checked: dict[str, tuple[tuple[str, int, int], ...]] = {}
"""Project folder -> its sources, as read once in this plan."""
_top_level_names: dict[str, frozenset[str]] = {}


def _sources(folder: str) -> tuple[tuple[str, int, int], ...]:
    """The project's importable sources: its top-level modules and its packages' files."""
    found = _checked.get(folder)
    if found is None:
        paths = [Path(folder, f"{name}.py") for name in _local_names(folder)]
        paths += [p for name in _local_names(folder) for p in Path(folder, name).rglob("*.py")]
        entries = []
        for path in sorted(p for p in paths if p.is_file()):
            status = path.stat()
            entries.append((str(path), status.st_size, status.st_mtime_ns))
        found = _checked[folder] = tuple(entries)
    return found


def _local_names(folder: str) -> frozenset[str]:
    """The modules and packages a program in `folder` imports from it (`sys.path[0]`)."""
    names = _top_level_names.get(folder)
    if names is None:
        modules = {p.stem for p in Path(folder).glob("*.py") if p.stem != "__main__"}
        packages = {p.parent.name for p in Path(folder).glob("*/__init__.py")}
        names = _top_level_names[folder] = frozenset(modules | packages)
    return names


def _origin(module: ModuleType) -> str | None:
    origin = getattr(module, "__file__", None)
    return origin if isinstance(origin, str) else None


def _restore_kept(folder: str) -> None:
    kept = _kept.pop(folder, None)
    if kept is None or kept.sources != _sources(folder):
        return  # a source changed since: the program imports the files as they are now
    for name, module in kept.modules.items():
        sys.modules.setdefault(name, module)


@contextmanager
def project_modules(project_dir: Path, *, keep: bool = True) -> Iterator[None]:
    """Run a program of `project_dir` inside this block (`keep=False`: keep nothing after it)."""
    folder = str(project_dir.resolve())
    inside = folder + os.sep
    names = _local_names(folder)
    before = {n: m for n, m in sys.modules.items() if n.partition(".")[0] in names}
    for name, module in before.items():
        origin = _origin(module)
        if origin is not None and not origin.startswith(inside):
            del sys.modules[name]  # another folder's module of the same name
    if keep:
        _restore_kept(folder)
    try:
        yield
    finally:
        after = [n for n in sys.modules if n.partition(".")[0] in names]
        own = {}
        for name in after:
            module = sys.modules.pop(name)
            origin = _origin(module)
            if origin is not None and origin.startswith(inside):
                own[name] = module
        if keep:
            _kept[folder] = _Kept(_sources(folder), own)
            while len(_kept) > KEPT_PROJECTS:
                _kept.popitem(last=False)
        sys.modules.update(before)


def forget() -> None:
    """The plan ended: check the projects' sources again before the next plan uses kept modules."""
    _checked.clear()
    _top_level_names.clear()
