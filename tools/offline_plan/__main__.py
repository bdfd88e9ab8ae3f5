"""`python -m offline_plan` (see `offline_plan.cli`)."""

import sys

from offline_plan.cli import main

sys.exit(main())
