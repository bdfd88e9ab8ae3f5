"""The process caches (process_caches.py) change nothing a test can see."""

from __future__ import annotations

import boto3
from moto import mock_aws
from orchestrator_support import REGION


def test_motos_model_extras_do_not_reach_the_clients() -> None:
    # moto merges its own extras into the SQS model it loads (an extra protocol, other error
    # codes); the clients' model is botocore's, so a missing queue is still QueueDoesNotExist.
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        sqs.create_queue(QueueName="loads-motos-model")  # moto has loaded its SQS model now
        again = boto3.client("sqs", region_name=REGION)
        assert again.meta.service_model.metadata["protocols"] == ["json"]
        try:
            again.get_queue_url(QueueName="no-such-queue")
        except again.exceptions.QueueDoesNotExist:
            return
        raise AssertionError("a missing queue was not QueueDoesNotExist")
