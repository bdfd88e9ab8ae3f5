"""The authorization proof: the shipped stacks prove every edge, and the catalogue notices when a
document stops allowing a required call or starts allowing a forbidden one.

The mutations edit the plan's own documents (as a regression in `retraining_shared.iam` would)
and evaluate them with the real engine (@cloud-copilot/iam-simulate).
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from offline_plan.authorization import engine
from offline_plan.authorization.catalogue import build_catalogue
from offline_plan.authorization.documents import Named, PlanDocuments, plan_documents
from offline_plan.authorization.proof import (
    FAILED,
    PASSED,
    AuthorizationProof,
    EarlyProof,
    _simulation,
    prove,
    verdicts,
)
from offline_plan.discovery import StackSelection
from offline_plan.planner import PlanRequest, plan
from offline_plan.report import EXIT_INPUT, EXIT_MANDATORY, PlanReport
from plan_harness import PlanOutcome, run_cli

# The module-scoped plans run once per test run: `nox -s tests` passes --dist loadgroup, so
# every test of this module runs on one xdist worker.
pytestmark = pytest.mark.xdist_group(__name__)

REPOSITORY = Path(__file__).parents[2]
STACKS = REPOSITORY / "stacks"


PRODUCERS = """      dataProducers:
        - fraud-feature-export
      modelConsumers:
        - fraud-scoring-service
"""


@pytest.fixture(scope="module")
def stacks_with_producers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped stacks, with a data producer and a model consumer for fraud (the example
    config names none: the roles must exist before a key policy may name them)."""
    copy_dir = tmp_path_factory.mktemp("stacks") / "stacks"
    shutil.copytree(STACKS, copy_dir, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    config = copy_dir / "network-iam" / "Pulumi.dev.yaml"
    text = config.read_text()
    anchor = "        owner: fraud-ml@example.com\n"
    assert anchor in text, "the fixture edit below no longer applies"
    config.write_text(text.replace(anchor, anchor + PRODUCERS))
    return copy_dir


@pytest.fixture(scope="module")
def report(stacks_with_producers: Path) -> PlanReport:
    """The dev environment, planned (without the pack: the proof needs only documents)."""
    request = PlanRequest(
        stacks_dir=stacks_with_producers,
        selection=StackSelection(environment="dev"),
        policy_pack=None,
    )
    # The copy's program packages leave sys.modules when the plan ends
    # (offline_plan/program_modules.py).
    return plan(request)


@pytest.fixture(scope="module")
def proof(report: PlanReport) -> AuthorizationProof:
    assert report.authorization is not None, "the dev plan has network-iam: there is a proof"
    return report.authorization


def _by_id(proof: AuthorizationProof) -> dict[str, Any]:
    return {v.edge.id: v for v in proof.verdicts}


class _MutatedVerdicts:
    """The verdict of one edge after a mutation of the documents, evaluated on lookup: only the
    edge a test reads goes to the engine (a whole catalogue per mutation cost ~1.5 s)."""

    def __init__(self, docs: PlanDocuments) -> None:
        self._docs = docs
        self._edges = {edge.id: edge for edge in build_catalogue(docs)}

    def __getitem__(self, edge_id: str) -> Any:
        (verdict,) = verdicts([self._edges[edge_id]], self._docs).verdicts
        return verdict


def _mutated(report: PlanReport, mutate: Callable[[PlanDocuments], None]) -> _MutatedVerdicts:
    docs = plan_documents(report)
    assert docs is not None
    docs = copy.deepcopy(docs)
    mutate(docs)
    return _MutatedVerdicts(docs)


def _statement(named: Named | None, sid: str) -> dict[str, Any]:
    assert named is not None
    assert named.document is not None
    (statement,) = [s for s in named.document["Statement"] if s.get("Sid") == sid]
    return statement


def _role_statement(docs: PlanDocuments, role_arn: str, sid: str) -> dict[str, Any]:
    (named,) = docs.role_policies[role_arn]
    return _statement(named, sid)


# --------------------------------------------------------------------------------------------
# The shipped stacks
# --------------------------------------------------------------------------------------------


def test_the_shipped_stacks_prove_every_edge(proof: AuthorizationProof) -> None:
    assert proof.error is None
    problems = [f"{v.edge.id}: {v.status} {v.reason}" for v in proof.verdicts if v.status != PASSED]
    assert problems == []
    expected = {v.edge.expected for v in proof.verdicts}
    assert expected == {"allow", "deny"}
    assert proof.engine["@cloud-copilot/iam-simulate"] == "0.1.173"


@pytest.mark.parametrize(
    "fragment",
    [
        # One per family the issue names; each id exists in the shipped catalogue.
        "schedule rule invokes the Lambda orchestrator",
        "Scheduler assumes the schedule-invoker role",
        "schedule-invoker role starts the orchestrator",
        "Lambda assumes the orchestrator role",
        "Step Functions assumes the orchestrator role",
        "orchestrator creates the training job",
        "orchestrator passes the team's SageMaker role",
        ".sync manages its rule (events:PutRule)",
        "SNS uses the topic key for alarm",
        "SNS generates the topic's data key for the orchestrator",
        "schedule rule sends undeliverable events to its DLQ",
        "Scheduler sends undeliverable events to its DLQ",
        "Lambda sends failed asynchronous invocations to the on-failure queue",
        "Lambda writes the function's logs (logs:PutLogEvents)",
        "job-state rule sends reports to the job-state queue",
        "another rule cannot send to the job-state queue",
        "Lambda polls the job-state queue (sqs:ReceiveMessage)",
        "orchestrator calls sagemaker:ListTags on its job",
        "Step Functions delivers execution logs and traces (logs:CreateLogDelivery)",
        "SNS moves an undeliverable notification to the subscription DLQ",
        "S3 uses the team key for the training job (kms:Decrypt)",
        "SageMaker grants the team key to the training volumes",
        "training job pulls its image (ecr:BatchGetImage)",
        "training job logs:CreateLogGroup on the training log group",
        "training job creates its ENI in a training subnet",
        "producer arn:aws:iam::123456789012:role/fraud-feature-export uploads training data",
        "S3 decrypts the model for consumer",
        "orchestrator creates the same team's prod job",
        "orchestrator creates team",
        "a rule of a foreign account publishes to the team topic",
        "SageMaker of a foreign account assumes the execution role",
        "orchestrator passes the SageMaker role to another service",
        # The quality gate (issue 12): on the Lambda report path (fraud) and as the gate function
        # the state machine invokes (churn), never in another team's group or function.
        "fraud-scoring-dev: the quality gate calls sagemaker:CreateModelPackage",
        "churn-forecast-dev: the quality gate calls sagemaker:CreateModelPackage",
        "churn-forecast-dev: the state machine invokes the gate function",
        "churn-forecast-dev: Lambda assumes the gate function's role",
        "churn-forecast-dev: Lambda writes the gate function's logs (logs:PutLogEvents)",
        "churn-forecast-dev: the gate function reads the completed job",
        "the quality gate registers a version in",
        "the state machine invokes team",
    ],
)
def test_the_catalogue_covers(proof: AuthorizationProof, fragment: str) -> None:
    assert [v for v in proof.verdicts if fragment in v.edge.id and v.status == PASSED]


def test_every_edge_cites_an_aws_fact_and_names_its_documents(proof: AuthorizationProof) -> None:
    for verdict in proof.verdicts:
        edge = verdict.edge
        assert edge.fact.page, edge.id
        assert edge.fact.says, edge.id
        assert edge.governing(), f"{edge.id}: no governing document"


# --------------------------------------------------------------------------------------------
# Mutations: a needed statement dropped, a resource widened
# --------------------------------------------------------------------------------------------

# Lambda mode: the job-state rule feeds a FIFO queue, not the topic.
JOB_STATE_QUEUE = (
    "organization/retraining/fraud-scoring-dev: job-state rule sends reports to the job-state queue"
)


def test_the_job_state_queue_admits_only_its_rule(report: PlanReport) -> None:
    def drop_source_arn(docs: PlanDocuments) -> None:
        arn = docs.arn("sqs", "fraud-dev-scoring-job-state.fifo")
        policy = docs.resource_policies[arn].document
        assert policy is not None
        del policy["Statement"][0]["Condition"]["ArnEquals"]

    verdicts_ = _mutated(report, drop_source_arn)
    assert verdicts_[JOB_STATE_QUEUE].status == PASSED
    foreign = (
        "organization/retraining/fraud-scoring-dev: another rule cannot send to the job-state queue"
    )
    assert verdicts_[foreign].status == FAILED


def test_no_rule_may_publish_to_a_team_topic(report: PlanReport) -> None:
    """Every job outcome is published by an orchestrator (one message per occurrence), so the
    topic policy admits no EventBridge rule at all; re-adding one is caught."""

    def admit_rules(docs: PlanDocuments) -> None:
        topic = docs.arn("sns", "fraud-dev-retraining-notifications")
        document = docs.resource_policies[topic].document
        assert document is not None
        document["Statement"].append(
            {
                "Sid": "PublishFromAnyRule",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic,
            }
        )

    edge = (
        "organization/retraining/fraud-scoring-dev: a rule of a foreign account publishes to the "
        "team topic"
    )
    assert _mutated(report, lambda docs: None)[edge].status != FAILED
    assert _mutated(report, admit_rules)[edge].status == FAILED


def test_a_log_group_arn_without_the_star_form_fails_create_log_group(report: PlanReport) -> None:
    def bare(docs: PlanDocuments) -> None:
        role = str(docs.teams["fraud"]["sagemaker_execution_role_arn"])
        statement = _role_statement(docs, role, "UseTrainingLogGroup")
        statement["Resource"] = [r.removesuffix(":*") for r in statement["Resource"]]

    verdicts_ = _mutated(report, bare)
    assert verdicts_[
        "fraud: training job logs:CreateLogGroup on the training log group"
    ].status == (FAILED)


def test_the_deprecated_output_key_condition_fails_create_training_job(report: PlanReport) -> None:
    def deprecated(docs: PlanDocuments) -> None:
        role = str(docs.teams["fraud"]["lambda_orchestrator_role_arn"])
        statement = _role_statement(docs, role, "StartTeamTrainingJobsInNetworkEncrypted")
        null = statement["Condition"]["Null"]
        null["sagemaker:OutputKmsKey"] = null.pop("sagemaker:OutputKmsKeyArn")

    edge = "organization/retraining/fraud-scoring-dev: orchestrator creates the training job"
    assert _mutated(report, deprecated)[edge].status == FAILED


def test_widening_the_job_resource_to_the_team_lets_dev_reach_prod(report: PlanReport) -> None:
    def widen(docs: PlanDocuments) -> None:
        role = str(docs.teams["fraud"]["lambda_orchestrator_role_arn"])
        statement = _role_statement(docs, role, "StartTeamTrainingJobsInNetworkEncrypted")
        statement["Resource"] = [r.replace("fraud-dev-*", "fraud-*") for r in statement["Resource"]]

    edge = (
        "organization/retraining/fraud-scoring-dev: orchestrator creates the same team's prod job"
    )
    verdict = _mutated(report, widen)[edge]
    assert verdict.status == FAILED
    assert verdict.decision == "Allowed"


def test_dropping_the_producer_bucket_deny_lets_an_aws_s3_upload_through(
    report: PlanReport,
) -> None:
    def drop(docs: PlanDocuments) -> None:
        bucket = docs.arn("s3", str(docs.teams["fraud"]["data_bucket_name"]), regional=False)
        document = docs.resource_policies[bucket].document
        assert document is not None
        document["Statement"] = [
            s
            for s in document["Statement"]
            if not str(s.get("Sid", "")).startswith("DenyUploadsChoosingTheirEncryption")
        ]

    edge = (
        "fraud: producer arn:aws:iam::123456789012:role/fraud-feature-export upload choosing "
        "aws/s3 is refused"
    )
    assert _mutated(report, drop)[edge].status == FAILED


def test_an_unknown_document_is_not_proven_never_passed(report: PlanReport) -> None:
    def unknown(docs: PlanDocuments) -> None:
        docs.notifications_key = Named("notifications key (unknown at preview)", None)

    verdict = _mutated(report, unknown)[
        "organization/retraining/fraud-scoring-dev: SNS generates the topic's data key for the "
        "orchestrator"
    ]
    assert verdict.status == "not-proven"
    assert verdict.decision == "not evaluated"


@pytest.fixture
def engine_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each batch of requests `engine.evaluate` sends to a Node process of its own."""
    batches: list[int] = []
    run_engine = engine._run_engine

    def counting(node: str, requests: list[str]) -> Any:
        batches.append(len(requests))
        return run_engine(node, requests)

    monkeypatch.setattr(engine, "_run_engine", counting)
    return batches


def test_the_engine_answers_each_request_as_alone_when_deduplicated_and_split(
    report: PlanReport, monkeypatch: pytest.MonkeyPatch, engine_batches: list[int]
) -> None:
    """`engine.evaluate` sends identical requests once and splits the rest over processes; every
    id must still get the answer its own request gets from one process evaluating them all."""
    docs = plan_documents(report)
    assert docs is not None
    edges = [e for e in build_catalogue(docs) if not e.not_proven_because]
    simulations = {f"e{i}": _simulation(e, docs) for i, e in enumerate(edges)}
    simulations.update({f"copy-{k}": copy.deepcopy(v) for k, v in simulations.items()})
    node = engine._node()
    alone, _ = engine._run_engine(
        node, [json.dumps(s, sort_keys=True) for s in simulations.values()]
    )
    expected = dict(zip(simulations, (item["decision"] for item in alone), strict=True))
    assert set(expected.values()) >= {"Allowed", "ExplicitlyDenied"}, "both kinds of answer"
    engine_batches.clear()  # from here on: what `evaluate` sends

    monkeypatch.setattr(engine, "MIN_REQUESTS_PER_PROCESS", 1)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 3)
    decisions, versions = engine.evaluate(simulations)

    assert {k: d.decision for k, d in decisions.items()} == expected
    assert list(decisions) == list(simulations), "answers in the order of the requests"
    distinct = {json.dumps(s, sort_keys=True) for s in simulations.values()}
    assert len(engine_batches) == 3
    assert sum(engine_batches) == len(distinct) <= len(simulations) // 2, "each request sent once"
    assert versions["@cloud-copilot/iam-simulate"]


@pytest.mark.thorough  # plans the environment twice more, with and without early requests
def test_requests_sent_while_the_plan_runs_change_no_verdict_and_are_not_sent_again(
    stacks_with_producers: Path, monkeypatch: pytest.MonkeyPatch, engine_batches: list[int]
) -> None:
    """The planner sends each retraining stack's requests to the engine when the stack is planned
    (proof.EarlyProof); the proof after the plan asks the engine only what was not sent then, and
    its verdicts are those of a proof that sent nothing early."""
    request = PlanRequest(
        stacks_dir=stacks_with_producers,
        selection=StackSelection(environment="dev"),
        policy_pack=None,
    )
    again = plan(request)
    assert again.authorization is not None
    assert sum(engine_batches) == 0, "every request of the shipped stacks was sent while planning"

    monkeypatch.setattr(EarlyProof, "stack_planned", lambda *_: None)
    at_the_end = plan(request)
    assert at_the_end.authorization is not None
    assert sum(engine_batches) > 0, (
        "without the early requests the proof asks the engine everything"
    )
    assert _in_order(at_the_end.authorization) == _in_order(again.authorization)


def _in_order(proof: AuthorizationProof) -> dict[str, Any]:
    """A proof's JSON with its edges sorted (they follow the programs' registration order, which
    is not the same from run to run: plan_harness.comparable_report)."""
    document = proof.to_json()
    document["edges"] = sorted(document["edges"], key=lambda e: json.dumps(e, sort_keys=True))
    return document


# --------------------------------------------------------------------------------------------
# In the plan: exit codes and the environment
# --------------------------------------------------------------------------------------------


def test_a_failed_edge_blocks_the_plan_and_a_missing_engine_is_an_input_error(
    report: PlanReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = copy.copy(report)
    assert report.authorization is not None
    failing.authorization = copy.copy(report.authorization)
    first = report.authorization.verdicts[0]
    failing.authorization.verdicts = [
        type(first)(first.edge, "ImplicitlyDenied", FAILED, "mutated for the test")
    ]
    assert failing.exit_code == EXIT_MANDATORY

    monkeypatch.setattr(engine.shutil, "which", lambda _name: None)
    missing = prove(report)
    assert missing is not None
    assert missing.error is not None
    assert "npm ci --prefix tools/offline_plan/authorization/engine" in missing.error
    assert "authorization: not evaluated" in missing.summary()
    without_engine = copy.copy(report)
    without_engine.authorization = missing
    assert without_engine.exit_code == EXIT_INPUT


def test_the_plan_prints_the_verdict_and_reports_every_edge(tmp_path: Path) -> None:
    outcome: PlanOutcome = run_cli(
        ["--stacks-dir", str(STACKS), "--no-policy-pack", "--env", "dev"], tmp_path / "r.json"
    )
    section = outcome.report["authorization"]
    edges = section["edges"]
    required = sum(1 for e in edges if e["expected"] == "allow")
    forbidden = len(edges) - required
    assert section["summary"] == (
        f"authorization: {required}/{required} required calls allowed, "
        f"{forbidden}/{forbidden} forbidden calls denied"
    )
    assert section["summary"] in " ".join(outcome.text.split())
    assert outcome.exit_code == 0
    assert {e["status"] for e in edges} == {"proven"}
    assert {"id", "principal", "action", "resource", "expected", "decision", "reason"} <= set(
        edges[0]
    )


def test_every_wiring_the_plan_registers_has_its_edges(
    report: PlanReport, proof: AuthorizationProof
) -> None:
    """Completeness against the plan itself: every alarm, DLQ, Lambda permission, schedule,
    rule target and team role the stacks register appears in the catalogue."""
    edges = [v.edge for v in proof.verdicts]
    principals = {e.principal for e in edges}
    resources = {e.resource for e in edges}
    ids = " | ".join(e.id for e in edges)
    for stack in report.stacks:
        for resource in stack.resources:
            inputs = resource.inputs
            if resource.type == "aws:cloudwatch/metricAlarm:MetricAlarm":
                assert f"alarm {inputs['name']} publishes to the team topic" in ids
            elif resource.type == "aws:lambda/permission:Permission":
                assert any(
                    e.principal == inputs["principal"] and e.action == inputs["action"]
                    for e in edges
                ), resource.name
            elif resource.type in (
                "aws:scheduler/schedule:Schedule",
                "aws:cloudwatch/eventTarget:EventTarget",
            ):
                target = inputs.get("target", inputs)
                dlq = (target.get("deadLetterConfig") or {}).get("arn")
                assert dlq in resources, f"{resource.name}: no edge delivers to {dlq}"
                if target.get("roleArn"):
                    assert target["roleArn"] in resources | principals, resource.name
            elif resource.type == "aws:iam/role:Role":
                arn = f"arn:aws:iam::123456789012:role/{inputs['name']}"
                assumed_by = {
                    e.principal for e in edges if e.action == "sts:AssumeRole" and e.resource == arn
                }
                trusted = {
                    statement["Principal"]["Service"]
                    for statement in json.loads(inputs["assumeRolePolicy"])["Statement"]
                }
                assert assumed_by == trusted, f"{arn}: trust of {trusted - assumed_by} unproven"
    used_roles = {
        str(r.inputs.get("role") or r.inputs.get("roleArn"))
        for stack in report.stacks
        for r in stack.resources
        if r.type in ("aws:lambda/function:Function", "aws:sfn/stateMachine:StateMachine")
    }
    assert used_roles <= principals, "every role a planned orchestrator runs with makes calls"
