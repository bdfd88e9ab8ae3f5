"""What the resource-policy checks share: a statement open to everyone or to a service."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from retraining_policies.iam import conditions
from retraining_policies.iam import documents as docs


def scope_problems(
    where: str, statement: docs.Statement, unconditioned_services: Collection[str] = ()
) -> Iterator[str]:
    """Why an Allow statement is open: '*' or a service principal without a constraining key.

    `unconditioned_services` are service principals AWS documents as unable to carry the
    confused-deputy keys for this resource (they are accepted without a condition).
    """
    keys = conditions.RESOURCE_POLICY_SCOPING_KEYS
    if conditions.constrained(statement, keys):
        return
    why = conditions.why_not_constrained(statement, keys)
    if docs.is_public_principal(statement.principal) or statement.not_principal is not None:
        yield (
            f"{where} lets anyone in any account use the resource{why}; name the principals or "
            "add aws:SourceAccount / aws:PrincipalOrgID"
        )
    services, _others = docs.service_principals(statement.principal)
    open_services = [s for s in services if s not in unconditioned_services]
    if open_services:
        yield (
            f"{where} lets {', '.join(open_services)} act on behalf of any account{why}: add "
            "aws:SourceAccount (or aws:SourceArn naming the resources of this account)"
        )
