"""What every part of the stack builds from: settings, names, ARNs, upstream exports, tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from retraining_shared.arns import ArnBuilder

from retraining_stack.config import RetrainingSettings
from retraining_stack.names import StackNames
from retraining_stack.upstream import Upstream


@dataclass(frozen=True)
class StackContext:
    settings: RetrainingSettings
    names: StackNames
    arns: ArnBuilder
    """Partition, region and account of the deployment: deterministic ARNs, known at preview."""
    upstream: Upstream
    resource_tags: Mapping[str, str]

    def tags(self) -> dict[str, str]:
        """A fresh copy for one resource's `tags`."""
        return dict(self.resource_tags)
