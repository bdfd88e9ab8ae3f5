"""The two profiles of the test suite: `fast` by default, `thorough` in CI.

`nox -s tests` on a workstation runs the fast profile:
- every Hypothesis property with a tenth of its examples (at least 10);
- every test except those marked `thorough`: the costliest checks that a plan comes out the
  same when made another way (in worker processes, as 2 shards besides the 3 a fast test
  merges, with or without the authorization proof's early requests), and the policy-by-policy
  scaling measure (the fast profile measures the whole AnalyzeStack, every policy at once).

CI sets TEST_PROFILE=thorough (`.ci/run`): each property runs the example count it was tuned for
and the `thorough` tests run too; the fast profile reports them as skipped, with this reason.
`TEST_PROFILE=thorough nox -s tests` runs what CI runs. tests/conftest.py imports this module
before any test module is collected.
"""

from __future__ import annotations

import os

from hypothesis import settings

THOROUGH = os.environ.get("TEST_PROFILE") == "thorough"
SKIPPED_REASON = "thorough profile only: CI runs it (TEST_PROFILE=thorough nox -s tests)"

settings.register_profile("fast", max_examples=10)
settings.register_profile("thorough", max_examples=100)  # hypothesis's own default
settings.load_profile("thorough" if THOROUGH else "fast")


def examples(thorough: int) -> int:
    """`max_examples` for a property tuned to `thorough` examples, under the loaded profile."""
    return thorough if THOROUGH else max(10, thorough // 10)
