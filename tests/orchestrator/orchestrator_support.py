"""What the orchestrator tests share: the team's names and ARNs, a realistic training spec, the
events and execution inputs the schedules deliver, and a moto account with the team topic.

A module of its own (not conftest.py) so that test modules import it by a unique name: several
suites have a conftest.py, and `from conftest import ...` picks whichever was imported last when
pytest is given more than one test folder. The fixtures stay in conftest.py.

The retraining stack's package is imported from its project folder, as the Pulumi CLI sees it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws
from retraining_shared import naming
from retraining_shared.arns import ArnBuilder

REPO = Path(__file__).resolve().parents[2]
RETRAINING_PROJECT = REPO / "stacks" / "retraining"
if str(RETRAINING_PROJECT) not in sys.path:
    sys.path.insert(0, str(RETRAINING_PROJECT))

from orchestrator_fakes import (  # noqa: E402 - needs the sys.path entry above for its users
    ACCOUNT_ID,
    PARTITION,
    REGION,
    CallRecorder,
    apply_input_transformer,
)
from retraining_stack import gate_states, job_state_queue, state_machine  # noqa: E402
from retraining_stack.lambda_function import contract, invocation  # noqa: E402
from retraining_stack.lambda_function import handler as orchestrator  # noqa: E402

TEAM, MODEL, ENVIRONMENT = "fraud", "scoring", "dev"
ARNS = ArnBuilder(PARTITION, REGION, ACCOUNT_ID)
JOB_NAME_PREFIX = naming.training_job_name_prefix(TEAM, MODEL, ENVIRONMENT)
TOPIC_NAME = naming.notification_topic_name(TEAM, ENVIRONMENT)
TOPIC_ARN = ARNS.sns_topic(TOPIC_NAME)
SAGEMAKER_ROLE_ARN = ARNS.iam_role(naming.sagemaker_execution_role_name(TEAM, ENVIRONMENT))
DATA_BUCKET = naming.data_bucket_name(TEAM, ENVIRONMENT, ACCOUNT_ID)
ARTIFACT_BUCKET = naming.artifact_bucket_name(TEAM, ENVIRONMENT, ACCOUNT_ID)
GOLDEN_ACTIONS_FILE = Path(__file__).with_name("lambda_orchestrator_iam_actions.json")
# network-iam's provider-computed values, as a state machine execution receives them.
SUBNET_IDS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
SECURITY_GROUP_IDS = ["sg-0123456789abcdef0"]
KMS_KEY_ARN = ARNS.kms_key("1234abcd-12ab-34cd-56ef-1234567890ab")
TRAINING_INFRASTRUCTURE = {
    "subnetIds": SUBNET_IDS,
    "securityGroupIds": SECURITY_GROUP_IDS,
    "kmsKeyArn": KMS_KEY_ARN,
}


def training_spec() -> dict[str, Any]:
    """A realistic hardened spec, as the stack renders it (spot, checkpoints, isolation, tags)."""
    return {
        "AlgorithmSpecification": {
            "TrainingImage": f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{TEAM}-xgboost:1.7-1",
            "TrainingInputMode": "File",
        },
        "RoleArn": SAGEMAKER_ROLE_ARN,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{DATA_BUCKET}/{MODEL}/train/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "InputMode": "File",
                "ContentType": "text/csv",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{ARTIFACT_BUCKET}/{MODEL}/output/"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 30,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200},
        "EnableManagedSpotTraining": True,
        "CheckpointConfig": {"S3Uri": f"s3://{ARTIFACT_BUCKET}/{MODEL}/checkpoints/"},
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
        "HyperParameters": {"max_depth": "6", "eta": "0.2", "num_round": "100"},
        "Environment": {"LOG_LEVEL": "info"},
        "Tags": [
            {"Key": "environment", "Value": ENVIRONMENT},
            {"Key": "managed-by", "Value": "pulumi"},
            {"Key": "model", "Value": MODEL},
            {"Key": "team", "Value": TEAM},
        ],
    }


def scheduled_event(
    time: str = "2026-11-26T06:00:00Z", event_id: str = "7bf73129"
) -> dict[str, Any]:
    """An EventBridge rule "Scheduled Event", as delivered to a Lambda target."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": time,
        "region": REGION,
        "resources": [ARNS.events_rule(naming.schedule_rule_name(TEAM, MODEL, ENVIRONMENT))],
        "detail": {},
    }


def state_machine_definition(
    spec: dict[str, Any] | None = None,
    *,
    sync: bool,
    volume_kms_key: bool = True,
    topic_arn: str = TOPIC_ARN,
    job_name_prefix: str = JOB_NAME_PREFIX,
    quality_gate: state_machine.QualityGate | None = None,
) -> dict[str, Any]:
    """The team's state machine definition (`sync=False`: the variant moto can execute)."""
    return state_machine.build_definition(
        training_spec() if spec is None else spec,
        topic_arn,
        job_name_prefix,
        team=TEAM,
        model=MODEL,
        environment=ENVIRONMENT,
        volume_kms_key=volume_kms_key,
        sync=sync,
        quality_gate=quality_gate,
    )


GATE_FUNCTION_NAME = naming.model_gate_function_name(TEAM, MODEL, ENVIRONMENT)


def quality_gate() -> state_machine.QualityGate:
    """A gated stack's gate states, as `functions.model_gate_function` inserts them."""
    return gate_states.state_machine_gate(
        ARNS, GATE_FUNCTION_NAME, TOPIC_ARN, team=TEAM, model=MODEL, environment=ENVIRONMENT
    )


def execution_input(time: str = "2026-11-26T06:00:00Z", **infrastructure: Any) -> dict[str, Any]:
    """A state machine execution input as the schedule targets send it: the occurrence and
    network-iam's ids (`infrastructure` overrides some of them)."""
    return {"time": time, "trainingInfrastructure": TRAINING_INFRASTRUCTURE | infrastructure}


def scheduler_invocation(scheduled_time: str = "2026-11-26T06:00:00Z") -> dict[str, Any]:
    """The Scheduler target input after Scheduler substituted its context attributes."""
    schedule_arn = (
        f"arn:{PARTITION}:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/"
        f"{naming.schedule_name(TEAM, MODEL, ENVIRONMENT)}"
    )
    rendered = (
        invocation.scheduler_target_input()
        .replace("<aws.scheduler.scheduled-time>", scheduled_time)
        .replace("<aws.scheduler.schedule-arn>", schedule_arn)
    )
    event: dict[str, Any] = json.loads(rendered)
    return event


@dataclasses.dataclass
class FakeLambdaContext:
    aws_request_id: str = "8f5a7c1e-0000-4000-8000-000000000001"
    remaining_millis: int = 300_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


@dataclasses.dataclass
class Notification:
    subject: str | None
    body: Any
    attributes: dict[str, str]


@dataclasses.dataclass
class AwsAccount:
    """A moto account with the team topic and an SQS queue subscribed to it."""

    topic_arn: str
    queue_url: str
    sqs: Any
    sagemaker: Any

    def notifications(self) -> list[Notification]:
        """Every message delivered to the subscriber so far (consumed)."""
        received: list[Notification] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not batch:
                return received
            for message in batch:
                envelope = json.loads(message["Body"])
                text = envelope["Message"]
                try:
                    body: Any = json.loads(text)
                except json.JSONDecodeError:
                    body = text
                received.append(
                    Notification(
                        subject=envelope.get("Subject"),
                        body=body,
                        attributes={
                            name: attribute["Value"]
                            for name, attribute in envelope.get("MessageAttributes", {}).items()
                        },
                    )
                )
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def training_job_names(self) -> list[str]:
        summaries = self.sagemaker.list_training_jobs()["TrainingJobSummaries"]
        return sorted(summary["TrainingJobName"] for summary in summaries)


@contextlib.contextmanager
def moto_account(config: Any = None) -> Iterator[AwsAccount]:
    with mock_aws(config=config):
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
        assert topic_arn == TOPIC_ARN
        queue_url = sqs.create_queue(QueueName=f"{TEAM}-{ENVIRONMENT}-notification-inbox")[
            "QueueUrl"
        ]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        yield AwsAccount(topic_arn, queue_url, sqs, boto3.client("sagemaker", region_name=REGION))


@dataclasses.dataclass
class HandlerClients:
    clients: orchestrator.Clients
    recorder: CallRecorder


def run_execution(
    definition: dict[str, Any], execution_input: Any, *, name: str, role_arn: str
) -> dict[str, Any]:
    """Create the state machine in moto, run one execution to its end, return DescribeExecution
    with the execution's `history` (moto's interpreter runs it on a thread)."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role_arn)[
        "stateMachineArn"
    ]
    execution_arn = sfn.start_execution(
        stateMachineArn=arn, name=uuid.uuid4().hex, input=json.dumps(execution_input)
    )["executionArn"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            described["history"] = sfn.get_execution_history(executionArn=execution_arn)["events"]
            return dict(described)
        time.sleep(0.02)
    raise AssertionError("the execution did not finish within 20 s")


def lambda_environment() -> dict[str, str]:
    """The function's environment as the stack sets it: the spec, the prefix, the topic, the
    team/model/environment and the network and output key the orchestrator role requires."""
    return {
        contract.ENV_TRAINING_SPEC: json.dumps(training_spec()),
        contract.ENV_JOB_NAME_PREFIX: JOB_NAME_PREFIX,
        contract.ENV_TOPIC_ARN: TOPIC_ARN,
        contract.ENV_TEAM: TEAM,
        contract.ENV_MODEL: MODEL,
        contract.ENV_ENVIRONMENT: ENVIRONMENT,
        contract.ENV_SUBNET_IDS: ",".join(SUBNET_IDS),
        contract.ENV_SECURITY_GROUP_IDS: ",".join(SECURITY_GROUP_IDS),
        contract.ENV_OUTPUT_KMS_KEY: KMS_KEY_ARN,
    }


def job_state_change(
    job_name: str,
    status: str,
    secondary_status: str | None = None,
    failure_reason: str | None = None,
    event_id: str = "5f6e1a0c",
) -> dict[str, Any]:
    """A SageMaker "Training Job State Change" event, as EventBridge delivers it (FailureReason
    only on Failed jobs)."""
    detail: dict[str, Any] = {
        "TrainingJobName": job_name,
        # SageMaker writes the name in lower case in the ARN (moto does too).
        "TrainingJobArn": ARNS.sagemaker_training_job(job_name.lower()),
        "TrainingJobStatus": status,
        "SecondaryStatus": secondary_status or status,
    }
    if failure_reason is not None:
        detail["FailureReason"] = failure_reason
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "SageMaker Training Job State Change",
        "source": "aws.sagemaker",
        "account": ACCOUNT_ID,
        "time": "2026-11-26T07:00:00Z",
        "region": REGION,
        "resources": [detail["TrainingJobArn"]],
        "detail": detail,
    }


@dataclasses.dataclass
class JobStateQueue:
    """The stack's job-state route in moto: the rule's InputTransformer (applied by the documented
    rules), the FIFO queue with content-based deduplication, and the event source mapping that
    hands each message to the function as an SQS record (batch size 1)."""

    sqs: Any
    url: str
    arn: str

    @classmethod
    def create(cls, sqs: Any) -> JobStateQueue:
        url = sqs.create_queue(
            QueueName=naming.job_state_queue_name(TEAM, MODEL, ENVIRONMENT),
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return cls(sqs, url, arn)

    def deliver(self, event: dict[str, Any]) -> None:
        """EventBridge delivers one matched event to the target (`SqsParameters.MessageGroupId`
        fixed per stack, body rendered by the InputTransformer)."""
        body = apply_input_transformer(
            job_state_queue.INPUT_PATHS, job_state_queue.INPUT_TEMPLATE, event
        )
        self.sqs.send_message(
            QueueUrl=self.url,
            MessageBody=json.dumps(body),
            MessageGroupId=naming.base_name(TEAM, MODEL, ENVIRONMENT),
        )

    def poll(self, invoke: Any) -> list[Any]:
        """Lambda's poller: receive one message, invoke, delete it when the invocation returned.
        An invocation that raises leaves the message in the queue, visible again at once (as
        after its visibility timeout: the next poll receives it again), and the error propagates."""
        results = []
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=1, WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return results
            (message,) = messages
            record = {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "eventSource": "aws:sqs",
                "eventSourceARN": self.arn,
                "awsRegion": REGION,
            }
            try:
                results.append(invoke({"Records": [record]}))
            except Exception:
                self.sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
                raise
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


@dataclasses.dataclass
class LambdaAccount:
    """The Lambda orchestrator's world: the account, its job-state queue, the handler's clients
    (recorded) and its environment."""

    account: AwsAccount
    job_state: JobStateQueue
    handler: HandlerClients
    environment: dict[str, str]

    def run(self, event: object, **environment: str | None) -> Any:
        """Invoke the handler with the stack's environment (`None` removes a variable)."""
        environ = {k: v for k, v in (self.environment | environment).items() if v is not None}
        return orchestrator.run(event, environ, self.handler.clients)
