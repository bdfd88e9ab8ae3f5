"""SageMaker training instance types: which exist, which train on local NVMe storage, how much.

The one home of these facts. The pack owns them (it must stay self-contained for `pulumi policy
publish`); the stacks import this very file through the symlink
`shared/retraining_shared/sagemaker_instance_types.py` (as they do the schedule grammar), so the
stack's config check and the pack's policies can never disagree. The data is generated into
`sagemaker_instance_data.py` by `tools/generate_instance_data.py`, which names its sources.

- **Which types exist**: the `TrainingInstanceType` enum of the SageMaker API model botocore
  ships. CreateTrainingJob rejects any other value, so `ml.m5.3xlarge` (no such size) fails at
  deploy time unless it is caught here.
- **Local NVMe storage**: SageMaker's ResourceConfig reference: "Certain Nitro-based instances
  include local storage, dependent on the instance type. Local storage volumes are encrypted
  using a hardware module on the instance. You can't request a VolumeKmsKeyId when using an
  instance type with local storage." and "You can't request a VolumeSizeInGB greater than the
  total size of the local instance storage." The sizes come from the EC2 user guide's instance
  store tables (`LOCAL_STORAGE_SOURCE`). Families newer than that source (g6, g6e, p5, trn2, ...)
  are known to train on local storage from the families named below, but their sizes are not in
  the source: for them the volume size is not checked against the local storage.
"""

from __future__ import annotations

import difflib
import re
from typing import Final

from .sagemaker_instance_data import (
    BOTOCORE_VERSION,
    LOCAL_STORAGE_GB,
    LOCAL_STORAGE_SOURCE,
    TRAINING_INSTANCE_TYPES,
)

__all__ = [
    "BOTOCORE_VERSION",
    "LOCAL_STORAGE_GB",
    "LOCAL_STORAGE_SOURCE",
    "TRAINING_INSTANCE_TYPES",
    "has_local_instance_storage",
    "instance_family",
    "instance_type_problem",
    "local_storage_gb",
    "volume_size_problem",
]

# Families whose training volume is local NVMe storage. Families with a `d` after the generation
# (m5d, r5d, g4dn, p3dn, p4d, p4de, ...) all carry instance storage; the others are named.
_LOCAL_STORAGE_FAMILY: Final = re.compile(r"[a-z]+[0-9]+[a-z]*d[a-z]*")
_LOCAL_STORAGE_FAMILIES: Final = frozenset(
    {"g5", "g6", "g6e", "gr6", "p5", "p5e", "p5en", "p6", "trn1", "trn1n", "trn2"}
)
_SUGGESTIONS: Final = 3


def instance_family(instance_type: str) -> str:
    """`ml.g5.2xlarge` -> `g5`; `ml.p6-b200.48xlarge` -> `p6-b200`; '' when not ml.<f>.<size>."""
    parts = instance_type.split(".")
    return parts[1] if len(parts) == 3 and parts[0] == "ml" else ""


def has_local_instance_storage(instance_type: str) -> bool:
    """True for instance types whose training volume is local NVMe storage (no VolumeKmsKeyId).

    Variant families (`p6-b200`, `p6e-gb200`, `c7i-flex`) match only when named: whether the
    P6 variants train on local storage is not in our source, so they keep the behaviour they had.
    """
    if instance_type in LOCAL_STORAGE_GB:
        return True
    family = instance_family(instance_type)
    return family in _LOCAL_STORAGE_FAMILIES or bool(_LOCAL_STORAGE_FAMILY.fullmatch(family))


def local_storage_gb(instance_type: str) -> int | None:
    """Total local NVMe storage of the type in GB; None if it has none or the source lacks it."""
    return LOCAL_STORAGE_GB.get(instance_type)


def instance_type_problem(instance_type: str) -> str | None:
    """Why `instance_type` is not a SageMaker training instance type (with the closest real
    ones), or None when it is one."""
    if instance_type in TRAINING_INSTANCE_TYPES:
        return None
    close = difflib.get_close_matches(
        instance_type, sorted(TRAINING_INSTANCE_TYPES), n=_SUGGESTIONS, cutoff=0.6
    )
    hint = f"; did you mean {', '.join(repr(name) for name in close)}?" if close else ""
    return (
        f"{instance_type!r} is not a SageMaker training instance type (CreateTrainingJob's "
        f"TrainingInstanceType in botocore {BOTOCORE_VERSION}){hint}"
    )


def volume_size_problem(instance_type: str, volume_size_gb: int) -> str | None:
    """Why SageMaker would refuse `volume_size_gb` on `instance_type`, or None."""
    local = local_storage_gb(instance_type)
    if local is None or volume_size_gb <= local:
        return None
    return (
        f"{volume_size_gb} GB is more than the {local} GB of local NVMe storage of "
        f"{instance_type}: SageMaker trains on that storage and refuses a larger VolumeSizeInGB"
    )
