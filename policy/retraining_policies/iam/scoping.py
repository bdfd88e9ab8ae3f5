"""Resource ARNs that only look narrow: every resource of a type, or other teams' or other
environments' resources.

`training-job/*`, `function:*`, `key/*` name every training job, function or key of the account
although they are not `"*"`. For resource types whose names carry the team and environment prefix
(the naming contract in docs/architecture.md), a wildcard ARN must also start with `<team>-<env>-`
after the type, or the role can act on other teams' jobs, functions and topics, or on its own
team's prod resources from dev. ECR repositories are the documented exception (`<team>-`, see
retraining_policies.naming.CROSS_ENVIRONMENT).
"""

from __future__ import annotations

from typing import Final

from retraining_policies.iam import documents as docs
from retraining_policies.naming import NameScope

# (service, resource type) whose resource names start with the team prefix. Types are as in the
# Service Authorization Reference ARN formats; "" is a service whose resource part is the name.
TEAM_NAMED: Final = frozenset(
    {
        ("sagemaker", "training-job"),
        ("sagemaker", "processing-job"),
        ("sagemaker", "model-package-group"),
        ("sagemaker", "model-package"),
        ("lambda", "function"),
        ("states", "stateMachine"),
        ("states", "execution"),
        ("events", "rule"),
        ("scheduler", "schedule"),
        ("ecr", "repository"),
        ("sns", ""),
        ("sqs", ""),
        ("s3", ""),
    }
)

# Resource types whose ids AWS picks when a service creates them for the role (SageMaker creates
# the training job's network interfaces: "Give SageMaker Access to Resources in your Amazon VPC"),
# so no ARN narrower than the type exists. Any other type can be named.
AWS_PICKED_IDS: Final = frozenset({("ec2", "network-interface")})


def split_resource(arn: str) -> tuple[str, str, str] | None:
    """(service, resource type, resource id) of an ARN; type "" when the resource part is a name."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    service, resource = parts[2], parts[5]
    if service == "s3":  # bucket[/key]: the bucket name is the resource's name
        return service, "", resource
    for separator in ("/", ":"):
        kind, found, rest = resource.partition(separator)
        if found and kind and not docs.is_wildcard(kind):
            return service, kind, rest
    return service, "", resource


def breadth_problem(arn: str, scope: NameScope | None) -> str | None:  # noqa: PLR0911 - one per rule
    """Why `arn` covers more than the team's resources in its environment (None: it does not,
    or cannot tell)."""
    split = split_resource(arn)
    if split is None:
        return None
    service, kind, name = split
    if (service, kind) in AWS_PICKED_IDS:
        return None
    if kind and docs.is_wildcard(name) and not name.strip("*?/"):
        return f"resource {arn!r} is every {service} {kind} of the account"
    if kind and name[:1] in ("*", "?"):
        return f"resource {arn!r} matches {service} {kind}s of any name"
    if scope is None or (service, kind) not in TEAM_NAMED or not docs.is_wildcard(name):
        return None
    if service == "sagemaker" and kind == "model-package":
        name = name.split("/", 1)[0]
    literal = name.split("*", 1)[0].split("?", 1)[0]
    prefix = scope.prefix_for(service, kind)
    if literal.startswith(prefix):
        return None
    what = f"{service} {kind}s" if kind else f"{service} resources"
    others = "other teams" if prefix == scope.team_prefix else "other teams or environments"
    return (
        f"resource {arn!r} matches {what} of {others}: scope it to names starting with {prefix!r}"
    )
