"""notifications: per-team encrypted SNS topics, their policies and subscriptions."""
