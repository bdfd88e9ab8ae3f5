"""Hypothesis example counts: `fast` by default, `thorough` in CI.

`nox -s tests` on a workstation runs every property with a tenth of its examples (at least 10);
CI sets HYPOTHESIS_PROFILE=thorough (`.ci/run`) and runs the counts each property was tuned for.
The tests/conftest.py import loads the profile before any test module is collected.
"""

from __future__ import annotations

import os

from hypothesis import settings

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"

settings.register_profile("fast", max_examples=10)
settings.register_profile("thorough", max_examples=100)  # hypothesis's own default
settings.load_profile("thorough" if THOROUGH else "fast")


def examples(thorough: int) -> int:
    """`max_examples` for a property tuned to `thorough` examples, under the loaded profile."""
    return thorough if THOROUGH else max(10, thorough // 10)
