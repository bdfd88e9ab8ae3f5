"""A stack's program imports its own project's modules and leaves `sys.modules` as it found it.

The Pulumi CLI runs every program in a fresh interpreter. The offline plan runs many programs in
one process (and a test session runs many plans in one process), so:

- before a program runs, modules of its project's top-level names that another folder provided
  are set aside: two projects, or a copy of `stacks/`, may ship a package of the same name;
- after it, the project's modules leave `sys.modules` and what was set aside comes back. They are
  kept for the project's next program in the same plan (`keep`): importing the retraining package
  again for each of 200 stacks would cost more than the program. `forget()` drops them at the
  end of a plan, so the next plan imports the files as they are then.

Third-party modules a program imports (pulumi_aws loads its submodules lazily) stay: they are the
same for every program. Only names are compared while choosing: no path is resolved per module.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

_kept: dict[str, dict[str, ModuleType]] = {}
"""Project folder -> its modules, between two programs of the project in one plan."""
_top_level_names: dict[str, frozenset[str]] = {}


def _local_names(folder: str) -> frozenset[str]:
    """The modules and packages a program in `folder` imports from it (`sys.path[0]`)."""
    names = _top_level_names.get(folder)
    if names is None:
        names = frozenset(
            path.stem if path.suffix == ".py" else path.name
            for path in Path(folder).iterdir()
            if (path.suffix == ".py" and path.stem != "__main__")
            or (path / "__init__.py").is_file()
        )
        _top_level_names[folder] = names
    return names


def _origin(module: ModuleType) -> str | None:
    origin = getattr(module, "__file__", None)
    return origin if isinstance(origin, str) else None


@contextmanager
def project_modules(
    project_dir: Path, keep: dict[str, dict[str, ModuleType]] | None = _kept
) -> Iterator[None]:
    """Run a program of `project_dir` inside this block (`keep=None`: keep nothing after it)."""
    folder = str(project_dir.resolve())
    inside = folder + os.sep
    names = _local_names(folder)
    before = {n: m for n, m in sys.modules.items() if n.partition(".")[0] in names}
    for name, module in before.items():
        origin = _origin(module)
        if origin is not None and not origin.startswith(inside):
            del sys.modules[name]  # another folder's module of the same name
    if keep is not None:
        for name, module in keep.pop(folder, {}).items():
            sys.modules.setdefault(name, module)
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
        if keep is not None:
            keep[folder] = own
        sys.modules.update(before)


def forget() -> None:
    """Drop the modules kept between programs (the end of a plan)."""
    _kept.clear()
    _top_level_names.clear()
