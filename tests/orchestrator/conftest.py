"""Fixtures for the orchestrator tests: a moto account with the team topic and an SQS subscriber,
AWS-like SageMaker behaviour, and recording of every AWS call the Lambda handler makes.

Shared names, specs and events live in `orchestrator_support` (test modules import them from
there, never from this file: see that module's docstring).

The Lambda handler's account is module-scoped (`lambda_account`: moto, the topic, the inbox, the
job-state FIFO queue and the handler's clients are created once per module) and reset before each
test (`lambda_aws`: no training jobs, empty queues); creating them per test cost ~1.5 s each.
What botocore and moto redo for every new account (listing and parsing botocore's data, building
client classes, parsing a state machine definition, an SNS signing key) is done once per process
(`process_caches`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from types import SimpleNamespace

import process_caches
import pytest
from moto.sagemaker.models import sagemaker_backends
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from orchestrator_fakes import ACCOUNT_ID, AwsLikeSageMaker, CallRecorder
from orchestrator_support import (
    GOLDEN_ACTIONS_FILE,
    REGION,
    AwsAccount,
    HandlerClients,
    JobStateQueue,
    LambdaAccount,
    lambda_environment,
    moto_account,
    orchestrator,
)


@pytest.fixture(scope="session", autouse=True)
def _read_once_per_process() -> Iterator[None]:
    """What botocore and moto would redo for every moto account, once per process
    (`process_caches` says what each cache holds and why it changes no behaviour)."""
    with process_caches.installed():
        yield


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
def new_sfn_account(
    aws_like_sagemaker: AwsLikeSageMaker, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], contextlib.AbstractContextManager[AwsAccount]]:
    """Opens the same account where Step Functions really executes state machines (moto's ASL
    interpreter), one at a time. moto 5.2 can run one execution per account and region: a
    second StartExecution deep-copies the backend, threads of the first execution included, and
    fails; a test with two executions opens two accounts.

    A Retry still makes every attempt, but moto's retrier does not sleep its interval (its only
    use of `time` is that sleep): the intervals are judged on the definition, not by waiting."""
    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=lambda _seconds: None))
    return lambda: moto_account({"stepfunctions": {"execute_state_machine": True}})


@pytest.fixture
def sfn_aws(
    new_sfn_account: Callable[[], contextlib.AbstractContextManager[AwsAccount]],
) -> Iterator[AwsAccount]:
    """An account where Step Functions executes state machines (`new_sfn_account`)."""
    with new_sfn_account() as account:
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
    unexpected = recorder.actions() - set(golden["handler"])
    if unexpected:
        raise AssertionError(
            f"the handler made AWS calls needing {sorted(unexpected)}, which "
            f"{GOLDEN_ACTIONS_FILE.name} does not list"
        )


@contextlib.contextmanager
def _lambda_account(session_recorder: CallRecorder) -> Iterator[LambdaAccount]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        with moto_account() as account:
            orchestrator.default_clients.cache_clear()
            clients = orchestrator.default_clients()
            recorder = CallRecorder()
            for client in (clients.sagemaker, clients.sns):
                recorder.attach(client)
                session_recorder.attach(client)
            yield LambdaAccount(
                account,
                JobStateQueue.create(account.sqs),
                HandlerClients(clients, recorder),
                lambda_environment(),
            )
            orchestrator.default_clients.cache_clear()


@pytest.fixture(scope="module")
def lambda_account(session_recorder: CallRecorder) -> Iterator[LambdaAccount]:
    """Once per module: only for modules whose every moto test uses it (a function-scoped
    `mock_aws` nested inside would share its backends)."""
    with _lambda_account(session_recorder) as account:
        yield account


def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda *_: 0)


@pytest.fixture
def lambda_aws(
    lambda_account: LambdaAccount,
    aws_like_sagemaker: AwsLikeSageMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> LambdaAccount:
    """The module's account, reset: no training jobs, empty queues, no recorded calls; botocore's
    retry backoff does not sleep (the attempts still happen)."""
    sagemaker_backends[ACCOUNT_ID][REGION].training_jobs.clear()
    for url in (lambda_account.account.queue_url, lambda_account.job_state.url):
        lambda_account.account.sqs.purge_queue(QueueUrl=url)
    lambda_account.handler.recorder.calls.clear()
    _no_backoff(monkeypatch)
    return lambda_account


@pytest.fixture
def fresh_lambda_aws(
    session_recorder: CallRecorder,
    aws_like_sagemaker: AwsLikeSageMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[LambdaAccount]:
    """A Lambda account of the test's own (for modules that also run Step Functions in moto)."""
    _no_backoff(monkeypatch)
    with _lambda_account(session_recorder) as account:
        yield account
