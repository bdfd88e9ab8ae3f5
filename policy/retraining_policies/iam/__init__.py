"""Least privilege: identity policies, PassRole, trust policies, managed policies, escalation."""

from __future__ import annotations

from typing import Final

from retraining_policies.framework import RetrainingPolicy
from retraining_policies.iam import (
    lambda_permission_source_arn,
    managed_policy_allowlist,
    no_privilege_escalation,
    no_wildcard_actions,
    passrole_scoped,
    resource_scoped,
    trust_policy_scoped,
)

POLICIES: Final[list[RetrainingPolicy]] = [
    no_wildcard_actions.POLICY,
    resource_scoped.POLICY,
    passrole_scoped.POLICY,
    trust_policy_scoped.POLICY,
    managed_policy_allowlist.POLICY,
    no_privilege_escalation.POLICY,
    lambda_permission_source_arn.POLICY,
]
