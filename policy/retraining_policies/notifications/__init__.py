"""Required notifications: every scheduled retraining reports failures to someone."""

from __future__ import annotations

from typing import Final

from retraining_policies.framework import RetrainingPolicy
from retraining_policies.notifications import notifications_required, topic_subscribed

POLICIES: Final[list[RetrainingPolicy]] = [
    notifications_required.POLICY,
    topic_subscribed.POLICY,
]
