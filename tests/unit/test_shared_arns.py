"""retraining_shared.arns: ARNs for the partition, region and account a stack deploys into."""

from __future__ import annotations

import pytest
from retraining_shared.arns import ArnBuilder, ArnError, service_principal

AWS = ArnBuilder(partition="aws", region="eu-west-1", account_id="123456789012")
CHINA = ArnBuilder(partition="aws-cn", region="cn-north-1", account_id="210987654321")


def test_global_services_have_no_region() -> None:
    assert AWS.iam_role("fraud-dev-sagemaker-execution") == (
        "arn:aws:iam::123456789012:role/fraud-dev-sagemaker-execution"
    )
    assert AWS.iam_role("r", path="/retraining/") == "arn:aws:iam::123456789012:role/retraining/r"
    assert AWS.account_root == "arn:aws:iam::123456789012:root"
    assert AWS.s3_bucket("b") == "arn:aws:s3:::b"
    assert AWS.s3_object("b") == "arn:aws:s3:::b/*"
    assert AWS.s3_object("b", "models/*") == "arn:aws:s3:::b/models/*"


def test_regional_services_carry_partition_region_and_account() -> None:
    assert AWS.sns_topic("t") == "arn:aws:sns:eu-west-1:123456789012:t"
    assert AWS.sqs_queue("q") == "arn:aws:sqs:eu-west-1:123456789012:q"
    assert AWS.lambda_function("f") == "arn:aws:lambda:eu-west-1:123456789012:function:f"
    assert AWS.state_machine("m") == "arn:aws:states:eu-west-1:123456789012:stateMachine:m"
    assert AWS.log_group("/aws/lambda/f") == (
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/f"
    )
    assert AWS.log_stream("/aws/sagemaker/TrainingJobs", "fraud-*") == (
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/TrainingJobs"
        ":log-stream:fraud-*"
    )
    assert AWS.sagemaker_training_job("fraud-*") == (
        "arn:aws:sagemaker:eu-west-1:123456789012:training-job/fraud-*"
    )
    assert AWS.kms_key("k-1") == "arn:aws:kms:eu-west-1:123456789012:key/k-1"
    assert AWS.kms_alias("alias/a") == "arn:aws:kms:eu-west-1:123456789012:alias/a"
    assert AWS.ecr_repository("fraud-*") == "arn:aws:ecr:eu-west-1:123456789012:repository/fraud-*"
    assert AWS.events_rule("r") == "arn:aws:events:eu-west-1:123456789012:rule/r"
    assert AWS.events_rule("r", "bus") == "arn:aws:events:eu-west-1:123456789012:rule/bus/r"
    assert AWS.scheduler_schedule("s") == (
        "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/s"
    )
    assert AWS.cloudwatch_alarm("a") == "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a"
    assert AWS.ec2("subnet", "subnet-1") == "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-1"


def test_other_partitions() -> None:
    assert CHINA.sns_topic("t") == "arn:aws-cn:sns:cn-north-1:210987654321:t"
    assert CHINA.iam_role("r") == "arn:aws-cn:iam::210987654321:role/r"
    assert CHINA.s3_bucket("b") == "arn:aws-cn:s3:::b"


@pytest.mark.parametrize(
    ("partition", "region", "account", "reason"),
    [
        ("amazon", "us-east-1", "123456789012", "partition"),
        ("aws", "useast1", "123456789012", "region"),
        ("aws", "us-east-1", "12345", "12 digits"),
        ("aws", "us-east-1", "12345678901a", "12 digits"),
    ],
)
def test_bad_context_is_refused(partition: str, region: str, account: str, reason: str) -> None:
    with pytest.raises(ArnError, match=reason):
        ArnBuilder(partition=partition, region=region, account_id=account)


def test_bad_paths_and_aliases_are_refused() -> None:
    with pytest.raises(ArnError, match="start and end with '/'"):
        AWS.iam_role("r", path="retraining")
    with pytest.raises(ArnError, match="alias/"):
        AWS.kms_alias("my-key")


def test_service_principal() -> None:
    assert service_principal("sagemaker") == "sagemaker.amazonaws.com"
    with pytest.raises(ArnError):
        service_principal("Sage Maker")
