"""One onboarded team: its four roles, its KMS key, its data and artifact buckets.

Order matters for AWS, not just for Pulumi: KMS rejects a key policy naming a role that does not
exist yet, so the roles are created first (with their trust policies only), then the key, then the
buckets encrypted with it, and last the roles' permission policies. The role ARNs used everywhere
are the deterministic strings from `TeamScope`, known at preview; explicit `depends_on` keeps the
creation order the ARN strings alone would not imply. Every policy document here is known at
preview, so the policy pack judges all of them before anything exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pulumi
import pulumi_aws as aws
from retraining_shared import iam, naming
from retraining_shared.team_exports import NetworkIamTeamExport

ROLE_POLICY_NAME = "least-privilege"
ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS = 7

# Each team role: key (also its logical-name suffix), name, who uses it, trust policy.
_TEAM_ROLES: tuple[
    tuple[str, Callable[[str, str], str], str, Callable[[iam.TeamScope], iam.PolicyDocument]], ...
] = (
    (
        "sagemaker-execution",
        naming.sagemaker_execution_role_name,
        "SageMaker training jobs",
        iam.sagemaker_execution_trust_policy,
    ),
    (
        "lambda-orchestrator",
        naming.lambda_orchestrator_role_name,
        "Lambda orchestrators",
        iam.lambda_orchestrator_trust_policy,
    ),
    (
        "sfn-orchestrator",
        naming.step_functions_orchestrator_role_name,
        "Step Functions orchestrators",
        iam.step_functions_orchestrator_trust_policy,
    ),
    (
        "schedule-invoker",
        naming.schedule_invoker_role_name,
        "EventBridge rules and schedules",
        iam.schedule_invoker_trust_policy,
    ),
)


class TeamBaseline(pulumi.ComponentResource):
    """Roles, key and buckets of one team in one environment."""

    def __init__(
        self,
        name: str,
        *,
        scope: iam.TeamScope,
        data_producers: Sequence[str],
        model_consumers: Sequence[str],
        kms_key_deletion_window_days: int,
        artifact_noncurrent_version_days: int,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("retraining:networkiam:TeamBaseline", name, None, opts)
        self.scope = scope
        self._tags = dict(tags)
        child = pulumi.ResourceOptions(parent=self)
        team, environment = scope.team, scope.environment

        # 1. Roles, trust only. Permissions come last, once the key and buckets exist.
        roles = {
            key: aws.iam.Role(
                f"{team}-{key}",
                name=role_name(team, environment),
                description=f"{purpose} of team {team} ({environment})",
                assume_role_policy=iam.to_json(trust_policy(scope)),
                tags=self._tags,
                opts=child,
            )
            for key, role_name, purpose, trust_policy in _TEAM_ROLES
        }

        # 2. The key names the SageMaker role as a principal: the role must exist first.
        self.key = aws.kms.Key(
            f"{team}-key",
            description=f"Training data, artifacts and volumes of team {team} ({environment})",
            enable_key_rotation=True,
            deletion_window_in_days=kms_key_deletion_window_days,
            policy=iam.to_json(
                iam.team_key_policy(
                    scope, data_producers=data_producers, model_consumers=model_consumers
                )
            ),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[roles["sagemaker-execution"]]),
        )
        aws.kms.Alias(
            f"{team}-key",
            name=naming.team_kms_alias_name(team, environment),
            target_key_id=self.key.key_id,
            opts=child,
        )

        # 3. Buckets.
        self.data_bucket = self._bucket(
            f"{team}-data",
            scope.data_bucket_name,
            policy=iam.data_bucket_policy(scope.arns, scope.data_bucket_name, data_producers),
            noncurrent_version_days=None,
        )
        self.artifact_bucket = self._bucket(
            f"{team}-artifacts",
            scope.artifact_bucket_name,
            policy=iam.artifact_bucket_policy(
                scope.arns, scope.artifact_bucket_name, model_consumers
            ),
            noncurrent_version_days=artifact_noncurrent_version_days,
        )

        # 4. Permissions, all plain JSON known at preview (deterministic names, the network by
        # its tag, the key through its own key policy).
        policies = {
            "sagemaker-execution": iam.to_json(iam.sagemaker_execution_role_policy(scope)),
            "lambda-orchestrator": iam.to_json(iam.lambda_orchestrator_role_policy(scope)),
            "sfn-orchestrator": iam.to_json(iam.step_functions_orchestrator_role_policy(scope)),
            "schedule-invoker": iam.to_json(iam.schedule_invoker_role_policy(scope)),
        }
        for role_key, document in policies.items():
            aws.iam.RolePolicy(
                f"{team}-{role_key}",
                name=ROLE_POLICY_NAME,
                role=roles[role_key].name,
                policy=document,
                opts=child,
            )

        # Known at preview: deterministic names and ARNs only (the key ARN is exported apart).
        self.outputs: NetworkIamTeamExport = {
            "sagemaker_execution_role_arn": scope.sagemaker_execution_role_arn,
            "lambda_orchestrator_role_arn": scope.lambda_orchestrator_role_arn,
            "step_functions_orchestrator_role_arn": scope.step_functions_orchestrator_role_arn,
            "schedule_invoker_role_arn": scope.schedule_invoker_role_arn,
            "data_bucket_name": scope.data_bucket_name,
            "artifact_bucket_name": scope.artifact_bucket_name,
            "training_job_name_prefix_pattern": naming.training_job_name_prefix_pattern(
                team, environment
            ),
        }
        self.register_outputs({**self.outputs, "kms_key_arn": self.key.arn})

    def _bucket(
        self,
        name: str,
        bucket_name: str,
        *,
        policy: iam.PolicyDocument,
        noncurrent_version_days: int | None,
    ) -> aws.s3.Bucket:
        """A private, versioned, SSE-KMS (team key, bucket key), TLS-only bucket."""
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(name, bucket=bucket_name, tags=self._tags, opts=child)
        # ACLs off: the bucket owner owns every object, access is policy-only.
        aws.s3.BucketOwnershipControls(
            name,
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": self.key.arn,
                    },
                    # One data key per bucket instead of a KMS call per object.
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            name,
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        # S3 rejects some policies while the public access block is being applied: order them.
        aws.s3.BucketPolicy(
            name,
            bucket=bucket.id,
            policy=iam.to_json(policy),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )
        rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
            {
                "id": "abort-incomplete-multipart-uploads",
                "status": "Enabled",
                "filter": {},
                "abort_incomplete_multipart_upload": {
                    "days_after_initiation": ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS
                },
            }
        ]
        if noncurrent_version_days is not None:
            # Checkpoints are rewritten many times per job: keep replaced versions for a while
            # (recovery), not forever (cost).
            rules.append(
                {
                    "id": "expire-replaced-versions",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {"noncurrent_days": noncurrent_version_days},
                }
            )
        aws.s3.BucketLifecycleConfiguration(
            name,
            bucket=bucket.id,
            rules=rules,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        return bucket
