"""`python -m offline_plan` (see `offline_plan.cli`)."""

import logging
import os
import sys

from offline_plan.cli import main

exit_code = main()
# Everything is written and the pack processes are stopped: leave without tearing down the
# interpreter, whose clean-up of the Pulumi SDKs' object graph costs ~0.5 s after every plan.
sys.stdout.flush()
sys.stderr.flush()
logging.shutdown()
os._exit(exit_code)
