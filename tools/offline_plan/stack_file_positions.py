"""Where a config key is written in a `Pulumi.<stack>.yaml`: line and column, from YAML marks.

The program only sees key paths (`retraining:training.spot.maxWaitSeconds`, see
`retraining_shared.config.format_key`); the Pulumi CLI hands it values without positions. The
offline plan knows which file it loaded, so it maps each path back to the node that wrote it,
through PyYAML's node marks (`yaml.compose`, 0-based; reported 1-based as editors count).

A problem about a value points at the value; an unknown key points at the key; a missing key
points at the nearest mapping that should hold it (the `config:` line for a top-level key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # PyYAML without libyaml
    from yaml import SafeLoader  # type: ignore[assignment,unused-ignore]


@dataclass(frozen=True)
class Position:
    line: int
    """1-based."""
    column: int
    """1-based."""
    exact: bool
    """False: the key is not written; this is where it belongs (its parent mapping)."""


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class StackFilePositions:
    """The positions of every key and value under `config:` of one stack file."""

    def __init__(self, path: Path, project: str) -> None:
        self.path = path
        self.project = project
        self._config_key: yaml.Node | None = None
        self._config_value: yaml.Node | None = None
        try:
            root = yaml.compose(path.read_text(encoding="utf-8"), Loader=SafeLoader)
        except (OSError, yaml.YAMLError):
            root = None  # reported where the file is loaded; no positions then
        if isinstance(root, yaml.MappingNode):
            for key, value in root.value:
                if isinstance(key, yaml.ScalarNode) and key.value == "config":
                    self._config_key, self._config_value = key, value

    def _qualified(self, key: str) -> str:
        return key if ":" in key else f"{self.project}:{key}"

    def locate(
        self, qualified_key: str, path: Sequence[str | int] = (), *, at_key: bool = False
    ) -> Position | None:
        """Where `qualified_key` (e.g. `retraining:training`) and then `path` inside its value
        are written; `at_key`: the key itself rather than its value (an unknown key)."""
        if self._config_key is None:
            return None
        if not isinstance(self._config_value, yaml.MappingNode):
            return Position(*_mark(self._config_key), exact=False)
        entry = next(
            (
                (key, value)
                for key, value in self._config_value.value
                if isinstance(key, yaml.ScalarNode)
                and self._qualified(str(key.value)) == qualified_key
            ),
            None,
        )
        if entry is None:
            return Position(*_mark(self._config_key), exact=False)
        key_node: yaml.Node = entry[0]
        value_node: yaml.Node = entry[1]
        for part in path:
            child = _child(value_node, part)
            if child is None:
                return Position(*_mark(key_node), exact=False)
            key_node, value_node = child
        return Position(*_mark(key_node if at_key else value_node), exact=True)


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of `part` in a mapping, or (item, item) of an index in a list."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None
