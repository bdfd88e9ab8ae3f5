"""lambda-permission-source-arn: service permissions name the invoking resource."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    Finding,
    PolicyDoc,
    Resource,
    RetrainingStackPolicy,
    Stack,
    cannot_verify,
    describe,
)
from retraining_policies.iam import documents as docs
from retraining_policies.iam.identity import (
    FAMILY,
)

_SOURCE_TYPES: Final[Mapping[str, tuple[str, ...]]] = {
    "events": (types.EVENT_RULE,),
    "sns": (types.SNS_TOPIC,),
    "s3": (types.S3_BUCKET, types.S3_BUCKET_V2),
}


def check_lambda_permission(stack: Stack, config: Mapping[str, Any]) -> Iterator[Finding]:
    del config
    for permission in stack.of_type(types.LAMBDA_PERMISSION):
        yield from (Finding(m, permission.urn) for m in _permission_problems(stack, permission))


def _permission_problems(stack: Stack, permission: Resource) -> Iterator[str]:
    principal = permission.get("principal")
    if principal is UNKNOWN:
        yield cannot_verify("who may invoke the function", "principal")
        return
    if principal == "*":
        yield "principal '*' lets anyone invoke the function; name the service principal"
        return
    if not isinstance(principal, str) or not principal.endswith(
        (".amazonaws.com", ".amazonaws.com.cn")
    ):
        return
    service = principal.split(".", 1)[0]
    source = permission.get("sourceArn")
    if source is None:
        yield (
            f"the permission lets {principal} invoke the function on behalf of any resource "
            "(confused deputy): set source_arn to the rule, topic or bucket that invokes it"
        )
        return
    if source is UNKNOWN:
        expected = _SOURCE_TYPES.get(service)
        origins = stack.dependencies_of(permission, "sourceArn")
        if not origins or (expected and not any(origin.type in expected for origin in origins)):
            yield cannot_verify(f"that sourceArn names a {service} resource", "sourceArn")
        return
    if not isinstance(source, str) or not source.startswith("arn:"):
        yield f"sourceArn {describe(source)} is not an ARN"
        return
    parts = source.split(":", 5)
    if len(parts) == 6 and parts[2] != service and service in _SOURCE_TYPES:
        yield f"sourceArn {source!r} is a {parts[2]} ARN but the principal is {principal}"
    problem = docs.wildcard_resource_problem(source)
    if problem or (len(parts) == 6 and parts[5].endswith("/*")):
        yield f"sourceArn {source!r} matches more than one resource; name the invoking resource"
    if service == "s3" and permission.get("sourceAccount") is None:
        yield "S3 bucket ARNs carry no account: set source_account as well"


LAMBDA_PERMISSION_SOURCE = PolicyDoc(
    name="lambda-permission-source-arn",
    family=FAMILY,
    description="Lambda permissions for AWS services name the invoking resource (source_arn).",
    why=(
        "A permission for events.amazonaws.com without source_arn lets any EventBridge rule - "
        "in any account - invoke the orchestrator and start training jobs."
    ),
    remediation=(
        "Set `source_arn=rule.arn` on the aws.lambda.Permission (plus `source_account` for S3); "
        "never use principal '*'."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)

POLICY = RetrainingStackPolicy(LAMBDA_PERMISSION_SOURCE, check_lambda_permission)
