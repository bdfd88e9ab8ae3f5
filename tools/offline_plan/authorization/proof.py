"""Evaluate the catalogue with the IAM engine and turn the answers into verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from offline_plan.authorization.catalogue import Edge, build_catalogue
from offline_plan.authorization.documents import PlanDocuments, plan_documents
from offline_plan.authorization.engine import (
    Decision,
    EarlyRequests,
    EngineUnavailable,
    evaluate,
    request_json,
)
from offline_plan.report import PlanReport, StackPlan

PASSED, FAILED, NOT_PROVEN = "proven", "failed", "not-proven"


@dataclass(frozen=True)
class EdgeVerdict:
    edge: Edge
    decision: str
    """The engine's answer, or `not evaluated` when the edge is not proven."""
    status: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        edge = self.edge
        return {
            "id": edge.id,
            "expected": edge.expected,
            "principal": edge.principal,
            "action": edge.action,
            "resource": edge.resource,
            "context": dict(edge.context),
            "policies": [n.name for n in edge.governing()],
            "fact": str(edge.fact),
            "decision": self.decision,
            "status": self.status,
            "reason": self.reason,
        }


@dataclass
class AuthorizationProof:
    """The verdict of every edge, or why there is none (`error`)."""

    verdicts: list[EdgeVerdict] = field(default_factory=list)
    engine: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    def _count(self, expected: str, status: str | None = None) -> int:
        return sum(
            1
            for v in self.verdicts
            if v.edge.expected == expected and (status is None or v.status == status)
        )

    @property
    def failed(self) -> list[EdgeVerdict]:
        return [v for v in self.verdicts if v.status == FAILED]

    @property
    def not_proven(self) -> list[EdgeVerdict]:
        return [v for v in self.verdicts if v.status == NOT_PROVEN]

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "engine": self.engine,
            "error": self.error,
            "edges": [v.to_json() for v in self.verdicts],
        }

    def summary(self) -> str:
        if self.error:
            return f"authorization: not evaluated — {self.error}"
        line = (
            f"authorization: {self._count('allow', PASSED)}/{self._count('allow')} required "
            f"calls allowed, {self._count('deny', PASSED)}/{self._count('deny')} forbidden calls "
            "denied"
        )
        if self.not_proven:
            line += f", {len(self.not_proven)} not proven (unknown at preview)"
        return line


def _request_context(edge: Edge) -> dict[str, Any]:
    """The edge's keys plus those AWS puts in every signed request ("AWS global condition context
    keys", IAM user guide: aws:PrincipalArn and aws:PrincipalAccount are always present for an
    IAM principal)."""
    context = dict(edge.context)
    if edge.principal.startswith("arn:"):
        context.setdefault("aws:PrincipalArn", edge.principal)
        context.setdefault("aws:PrincipalAccount", edge.principal.split(":")[4])
    # aws:ResourceAccount: the account that owns the resource, present when the request acts on
    # one (the same page); S3 ARNs carry no account and `*` is no resource.
    parts = edge.resource.split(":")
    if len(parts) > 4 and parts[4]:
        context.setdefault("aws:ResourceAccount", parts[4])
    return context


def _simulation(edge: Edge, docs: PlanDocuments) -> dict[str, Any]:
    simulation: dict[str, Any] = {
        "request": {
            "principal": edge.principal,
            "action": edge.action,
            "resource": {"resource": edge.resource, "accountId": docs.account_id},
            "contextVariables": _request_context(edge),
        },
        "identityPolicies": [
            {"name": n.name, "policy": n.document} for n in edge.identity if n.document
        ],
        "serviceControlPolicies": [],
        "resourceControlPolicies": [],
    }
    if edge.resource_policy is not None and edge.resource_policy.document is not None:
        simulation["resourcePolicy"] = edge.resource_policy.document
    if edge.endpoint_policies:
        simulation["vpcEndpointPolicies"] = [
            {"name": n.name, "policy": n.document} for n in edge.endpoint_policies if n.document
        ]
    return simulation


def _statement_name(edge: Edge, entry: dict[str, Any]) -> str:
    kind = entry.get("policyType", "?")
    sid = entry.get("statementId") or (
        f"statement {entry['statementIndex']}" if "statementIndex" in entry else "no statement"
    )
    where = entry.get("policyIdentifier") or (
        edge.resource_policy.name if kind == "resource" and edge.resource_policy else kind
    )
    return f"{where} {sid}"


def _reason(edge: Edge, decision: Decision) -> str:
    if decision.decision == "InvalidRequest":
        return f"the engine refused the request: {decision.errors}"
    if decision.decision == "Allowed":
        granted = ", ".join(_statement_name(edge, g) for g in decision.grants) or "allowed"
        return f"allowed by {granted}"
    if decision.decision == "ExplicitlyDenied":
        denied = [d for d in decision.denials if d.get("denialType") == "Explicit"]
        return "explicitly denied by " + ", ".join(_statement_name(edge, d) for d in denied)
    where = sorted({d.get("policyType", "?") for d in decision.denials})
    return f"no statement allows it (implicit deny in: {', '.join(where) or 'all policies'})"


def verdicts(
    edges: list[Edge], docs: PlanDocuments, sent_early: EarlyRequests | None = None
) -> AuthorizationProof:
    """Evaluate the provable edges with the engine."""
    provable = {
        f"e{index}": edge for index, edge in enumerate(edges) if not edge.not_proven_because
    }
    simulations = {k: _simulation(e, docs) for k, e in provable.items()}
    decisions, engine = evaluate(simulations, sent_early)
    proof = AuthorizationProof(engine=engine)
    by_edge = {id(edge): key for key, edge in provable.items()}
    for edge in edges:
        key = by_edge.get(id(edge))
        if key is None:
            proof.verdicts.append(
                EdgeVerdict(edge, "not evaluated", NOT_PROVEN, str(edge.not_proven_because))
            )
            continue
        decision = decisions[key]
        allowed = decision.decision == "Allowed"
        ok = decision.decision != "InvalidRequest" and allowed == (edge.expected == "allow")
        reason = _reason(edge, decision)
        if edge.unknown_values:
            reason += f" (unknown at preview, compared by no statement: {edge.unknown_values})"
        proof.verdicts.append(
            EdgeVerdict(edge, decision.decision, PASSED if ok else FAILED, reason)
        )
    return proof


def prove(report: PlanReport, early: EarlyProof | None = None) -> AuthorizationProof | None:
    """The authorization proof of a plan; None when the plan has no network-iam stack (a toy or a
    single-stack review without its base)."""
    try:
        docs = plan_documents(report)
        if docs is None:
            return None
        return verdicts(build_catalogue(docs), docs, early.requests if early else None)
    except EngineUnavailable as error:
        return AuthorizationProof(error=str(error))
    finally:
        if early is not None:
            early.requests.close()


class EarlyProof:
    """Sends the engine each retraining stack's requests as soon as the stack is planned.

    The requests are those of the proof of the base stacks planned so far plus this one stack (the
    same catalogue and documents code, over a smaller report); the proof proper, after the plan,
    builds every edge from the whole report and takes the answers of identical requests from
    here (`engine.EarlyRequests`), evaluating only the others. With 200 retraining stacks the
    engine's ~5,000 requests are then answered while programs run, not after the last one.
    """

    def __init__(self) -> None:
        self.requests = EarlyRequests()
        self._edge_ids: set[str] = set()
        """Edges already sent: the team's edges come again with each of its stacks. Skipping one
        by its id only ever costs speed (the proof proper evaluates any request not sent)."""

    def stack_planned(self, report: PlanReport, stack: StackPlan) -> None:
        if stack.project != "retraining" or stack.status != "planned":
            return
        partial = PlanReport(environment=report.environment)
        partial.stacks = [
            s for s in report.stacks if s.project != "retraining" and s.status == "planned"
        ]
        partial.stacks.append(stack)
        try:
            docs = plan_documents(partial)
            if docs is None:
                return
            edges = [
                e
                for e in build_catalogue(docs)
                if not e.not_proven_because and e.id not in self._edge_ids
            ]
        except Exception:  # only a head start: the proof proper builds and reports every edge
            return
        self._edge_ids.update(e.id for e in edges)
        self.requests.send(request_json(_simulation(e, docs)) for e in edges)
