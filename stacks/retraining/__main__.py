"""retraining: one team's scheduled SageMaker retraining of one model in one environment.

Every setting is validated first and both upstream stacks are checked next: a problem stops the
program with one message listing all of them, before any resource is registered. The logic lives
in the `retraining_stack` package.
"""

from retraining_stack.config import load_settings
from retraining_stack.stack import build

build(load_settings())
