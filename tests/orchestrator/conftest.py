"""Fixtures for the orchestrator tests: a moto account with the team topic and an SQS subscriber,
AWS-like SageMaker behaviour, and recording of every AWS call the Lambda handler makes.

Shared names, specs and events live in `orchestrator_support` (test modules import them from
there, never from this file: see that module's docstring).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from orchestrator_fakes import AwsLikeSageMaker, CallRecorder
from orchestrator_support import (
    GOLDEN_ACTIONS_FILE,
    JOB_NAME_PREFIX,
    KMS_KEY_ARN,
    REGION,
    SECURITY_GROUP_IDS,
    SUBNET_IDS,
    TOPIC_ARN,
    AwsAccount,
    HandlerClients,
    moto_account,
    orchestrator,
    training_spec,
)


@pytest.fixture(autouse=True)
def _aws_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def aws_like_sagemaker(monkeypatch: pytest.MonkeyPatch) -> AwsLikeSageMaker:
    fake = AwsLikeSageMaker()
    fake.install(monkeypatch)
    return fake


@pytest.fixture
def aws(aws_like_sagemaker: AwsLikeSageMaker) -> Iterator[AwsAccount]:
    """A moto account with the team topic and an SQS subscriber; SageMaker answers like AWS."""
    with moto_account() as account:
        yield account


@pytest.fixture
def sfn_aws(aws_like_sagemaker: AwsLikeSageMaker) -> Iterator[AwsAccount]:
    """The same account where Step Functions really executes state machines (moto's ASL
    interpreter). moto 5.2 can run one execution per account and region: a second
    StartExecution deep-copies the backend, threads of the first execution included, and fails."""
    with moto_account({"stepfunctions": {"execute_state_machine": True}}) as account:
        yield account


@pytest.fixture(scope="session")
def session_recorder() -> Iterator[CallRecorder]:
    """Every AWS call the handler makes in this test session (per xdist worker).

    At the end, each action must be one the committed golden file lists: a new call in the
    handler fails the run until the golden file, and with it the role policy, is updated.
    """
    recorder = CallRecorder()
    yield recorder
    golden = json.loads(GOLDEN_ACTIONS_FILE.read_text())
    allowed = set(golden["handler"])
    unexpected = recorder.actions() - allowed
    if unexpected:
        raise AssertionError(
            f"the handler made AWS calls needing {sorted(unexpected)}, which "
            f"{GOLDEN_ACTIONS_FILE.name} does not list"
        )


@pytest.fixture
def handler_clients(aws: AwsAccount, session_recorder: CallRecorder) -> Iterator[HandlerClients]:
    """The clients the handler uses (its cached defaults), created inside moto and recorded."""
    orchestrator.default_aws_clients.cache_clear()
    clients = orchestrator.default_aws_clients()
    recorder = CallRecorder()
    for client in (clients.sagemaker, clients.sns):
        recorder.attach(client)
        session_recorder.attach(client)
    yield HandlerClients(clients, recorder)
    orchestrator.default_aws_clients.cache_clear()


@pytest.fixture
def orchestrator_environment(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The function's environment as the stack sets it: the spec, the prefix, the topic and the
    network and output key the orchestrator role requires (the volume key is optional)."""
    environment = {
        orchestrator.ENV_TRAINING_SPEC: json.dumps(training_spec()),
        orchestrator.ENV_JOB_NAME_PREFIX: JOB_NAME_PREFIX,
        orchestrator.ENV_TOPIC_ARN: TOPIC_ARN,
        orchestrator.ENV_SUBNET_IDS: ",".join(SUBNET_IDS),
        orchestrator.ENV_SECURITY_GROUP_IDS: ",".join(SECURITY_GROUP_IDS),
        orchestrator.ENV_OUTPUT_KMS_KEY: KMS_KEY_ARN,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(orchestrator.ENV_VOLUME_KMS_KEY, raising=False)
    return environment
