"""The per-team `teams` exports: written by network-iam and notifications, read by retraining.

One shape per stack, typed here: the writer builds its dict as the TypedDict (mypy checks every
key and type), the reader checks the keys listed here (`retraining_stack.upstream`). Values are
deterministic names and ARNs, known at preview (key ARNs are exported apart, in
`team_kms_key_arns`).
"""

from __future__ import annotations

from typing import Final, TypedDict


class NetworkIamTeamExport(TypedDict):
    """network-iam's `teams.<team>`."""

    sagemaker_execution_role_arn: str
    lambda_orchestrator_role_arn: str
    step_functions_orchestrator_role_arn: str
    schedule_invoker_role_arn: str
    data_bucket_name: str
    artifact_bucket_name: str
    training_job_name_prefix_pattern: str


class NotificationsTeamExport(TypedDict):
    """notifications' `teams.<team>`."""

    topic_arn: str
    topic_name: str


NETWORK_IAM_TEAM_KEYS: Final = tuple(NetworkIamTeamExport.__annotations__)
NOTIFICATIONS_TEAM_KEYS: Final = tuple(NotificationsTeamExport.__annotations__)
