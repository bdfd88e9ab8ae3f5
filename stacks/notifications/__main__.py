"""notifications: per-team encrypted SNS topics, their policies and subscriptions.

Own configuration first, then the network-iam stack it builds on: any problem stops the program
with one message listing all of them, before a resource is registered. The logic lives in the
`notifications_stack` package.
"""

from notifications_stack.config import load_settings
from notifications_stack.stack import build

build(load_settings())
