"""network-iam: the training network and every onboarded team's roles, key and buckets.

All configuration is validated first: a bad value stops the program with one message listing
every problem, before any resource is registered. The logic lives in the `network_iam` package.
"""

from network_iam.config import load_settings
from network_iam.stack import build

build(load_settings())
