"""`python -m offline_plan` (see `offline_plan.cli`)."""

import gc
import logging
import os
import sys

# The Pulumi SDK allocates many short-lived objects per resource; the default first-generation
# threshold (700) makes the collector rescan the growing heap of planned stacks hundreds of times.
# A larger one costs a few MB and saves ~10% of a plan (tools/bench_plan.py).
gc.set_threshold(50_000, 50, 100)

from offline_plan.cli import main  # noqa: E402 - the threshold must precede the SDK imports

exit_code = main()
# Everything is written and the pack processes are stopped: leave without tearing down the
# interpreter, whose clean-up of the Pulumi SDKs' object graph costs ~0.5 s after every plan.
sys.stdout.flush()
sys.stderr.flush()
logging.shutdown()
os._exit(exit_code)
