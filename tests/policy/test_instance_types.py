"""The pack's instance-type facts: in sync with botocore, sourced sizes, one home for stacks."""

from __future__ import annotations

import sys
from pathlib import Path

import botocore
import pytest
from retraining_policies import sagemaker_instance_data as data
from retraining_policies import sagemaker_instance_types as facts

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import generate_instance_data  # noqa: E402


def test_the_bundled_types_are_those_of_the_pinned_botocore() -> None:
    assert botocore.__version__ == data.BOTOCORE_VERSION, (
        "botocore changed: run python tools/generate_instance_data.py"
    )
    assert sorted(data.TRAINING_INSTANCE_TYPES) == generate_instance_data.training_instance_types()
    assert generate_instance_data.main(["--check"]) == 0


def test_the_check_fails_when_the_module_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "sagemaker_instance_data.py"
    current = generate_instance_data.MODULE.read_text(encoding="utf-8")
    stale.write_text(current.replace('"ml.g5.2xlarge",\n', ""), encoding="utf-8")
    monkeypatch.setattr(generate_instance_data, "MODULE", stale)
    assert generate_instance_data.main(["--check"]) == 1


def test_the_instance_store_table_is_parsed_from_the_ec2_user_guide_markdown() -> None:
    sample = "\n".join(
        [
            "| Instance type | Instance store volumes | Type | Needs initialization\\* |",
            "| --- | --- | --- | --- |",
            "| g5\\.48xlarge | 2 x 3800 GB | NVMe SSD |   | ✔ | ",
            "|  `i3.16xlarge`  |  8 x 1,900 GB \\(15\\.2 TB\\)  | NVMe SSD |  | ✔ | ",
            "|  `d2.xlarge`  |  3 x 2,000 GB \\(6 TB\\)  | HDD |  |  | ",
        ]
    )
    assert generate_instance_data.parse_instance_store_doc(sample) == {
        "g5.48xlarge": 7600,
        "i3.16xlarge": 15200,
    }


def test_every_sized_type_is_a_training_type_classified_as_local() -> None:
    assert data.LOCAL_STORAGE_GB
    for instance_type, size in data.LOCAL_STORAGE_GB.items():
        assert instance_type in data.TRAINING_INSTANCE_TYPES
        assert facts.has_local_instance_storage(instance_type), instance_type
        assert size > 0


def test_the_source_of_the_sizes_is_named() -> None:
    assert "InstanceStorage.md" in data.LOCAL_STORAGE_SOURCE
    assert "d289961421fa79447add68ca26e3ec5ae96fdf41" in data.LOCAL_STORAGE_SOURCE


@pytest.mark.parametrize(
    ("instance_type", "family"),
    [("ml.g5.2xlarge", "g5"), ("ml.p6-b200.48xlarge", "p6-b200"), ("g5.2xlarge", ""), ("", "")],
)
def test_instance_family(instance_type: str, family: str) -> None:
    assert facts.instance_family(instance_type) == family


def test_the_stacks_read_the_same_file() -> None:
    shared = REPO / "shared" / "retraining_shared"
    for name in ("sagemaker_instance_types.py", "sagemaker_instance_data.py"):
        link = shared / name
        assert link.is_symlink(), f"{link} must be a symlink to the pack's module"
        assert link.resolve() == (REPO / "policy" / "retraining_policies" / name).resolve()


def test_no_other_copy_of_the_local_storage_families_exists() -> None:
    needle = '"g6e", "gr6"'
    holders = [
        path.relative_to(REPO).as_posix()
        for folder in ("policy", "shared", "stacks")
        for path in (REPO / folder).rglob("*.py")
        if not path.is_symlink() and needle in path.read_text(encoding="utf-8")
    ]
    assert holders == ["policy/retraining_policies/sagemaker_instance_types.py"]
