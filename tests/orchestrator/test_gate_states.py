"""The quality gate's Step Functions states (`retraining_stack/gate_states.py`), executed by moto's
ASL interpreter: the outcome the gate function returns is published as the ONE message, exactly as
the function built it; a gate that cannot be invoked ends in one `Rejected` message.

moto cannot run the Lambda function itself (no Docker): the success path starts at the report
state with the output `model_gate.lambda_handler` really produced for a real gate run; the
not-run path invokes a function that does not exist, which fails like an unreachable function.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from moto.sagemaker import models as sagemaker_models
from orchestrator_fakes import ACCOUNT_ID, PARTITION, REGION
from orchestrator_support import (
    ARNS,
    ENVIRONMENT,
    JOB_NAME_PREFIX,
    MODEL,
    TEAM,
    TOPIC_ARN,
    AwsAccount,
    run_execution,
    training_spec,
)
from retraining_shared import naming
from retraining_stack import gate_states
from retraining_stack.lambda_function import contract, model_gate

GROUP = naming.model_package_group_name(TEAM, MODEL, ENVIRONMENT)
GATE_FUNCTION_ARN = ARNS.lambda_function(naming.model_gate_function_name(TEAM, MODEL, ENVIRONMENT))
JOB_NAME = contract.training_job_name(JOB_NAME_PREFIX, dt.datetime(2026, 11, 26, 6, tzinfo=dt.UTC))


def states() -> dict[str, Any]:
    return gate_states.gate_states(
        partition=PARTITION,
        region=REGION,
        function_arn=GATE_FUNCTION_ARN,
        topic_arn=TOPIC_ARN,
        team=TEAM,
        model=MODEL,
        environment=ENVIRONMENT,
    )


def execute(start_at: str, execution_input: dict[str, Any]) -> dict[str, Any]:
    return run_execution(
        {"StartAt": start_at, "States": states()},
        execution_input,
        name=f"{TEAM}-{ENVIRONMENT}-{MODEL}-orchestrator",
        role_arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{TEAM}-{ENVIRONMENT}-sfn-orchestrator",
    )


def gate_output(sfn_aws: AwsAccount, auc: float) -> dict[str, Any]:
    """What the gate function returns for a job that reported `auc` (a real gate run)."""
    spec = training_spec()
    spec.pop("Tags")
    sfn_aws.sagemaker.create_training_job(TrainingJobName=JOB_NAME, **spec)
    record = sagemaker_models.sagemaker_backends[ACCOUNT_ID][REGION].training_jobs[JOB_NAME]
    record.final_metric_data_list = [{"MetricName": "validation:auc", "Value": auc}]
    sfn_aws.sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    environ = {
        contract.ENV_QUALITY_GATE: json.dumps(
            {
                "metric": "validation:auc",
                "direction": "maximize",
                "threshold": 0.85,
                "approval": "manual",
            }
        ),
        contract.ENV_MODEL_PACKAGE_GROUP: GROUP,
        contract.ENV_TEAM: TEAM,
        contract.ENV_MODEL: MODEL,
        contract.ENV_ENVIRONMENT: ENVIRONMENT,
    }
    outcome = model_gate.run_gate(JOB_NAME, environ, sfn_aws.sagemaker)
    assert outcome is not None
    return model_gate.task_output(outcome, environ, PARTITION, REGION)


def test_the_gate_outcome_is_published_as_the_function_built_it(sfn_aws: AwsAccount) -> None:
    output = gate_output(sfn_aws, 0.91)
    assert output["status"] == "Registered"

    described = execute(
        gate_states.REPORT_GATE_OUTCOME, {"TrainingJobName": JOB_NAME, "gate": {"outcome": output}}
    )

    assert described["status"] == "SUCCEEDED"
    [notice] = sfn_aws.notifications()
    assert notice.subject == output["subject"]
    assert notice.body == output["message"]
    assert list(notice.body) == list(contract.MESSAGE_KEYS)
    assert notice.attributes["status"] == "Registered"


def test_a_gate_that_cannot_be_invoked_is_one_rejected_message(sfn_aws: AwsAccount) -> None:
    described = execute(
        gate_states.JUDGE_MODEL, {"TrainingJobName": JOB_NAME, "time": "2026-11-26T06:00:00Z"}
    )

    assert described["status"] == "SUCCEEDED"
    [notice] = sfn_aws.notifications()
    assert notice.subject == "Retraining fraud/scoring (dev): model rejected by the quality gate"
    assert list(notice.body) == list(contract.MESSAGE_KEYS)
    assert notice.body["status"] == "Rejected"
    assert notice.body["trainingJobName"] == JOB_NAME
    assert notice.body["scheduledOccurrence"] == "2026-11-26T06:00:00Z"
    assert notice.body["reason"].startswith("the quality gate could not run (")
    assert notice.body["reason"].endswith("); nothing registered")
    assert notice.body["consoleUrl"] == contract.console_url(PARTITION, REGION, JOB_NAME)
    assert notice.attributes == {
        "status": "Rejected",
        "team": TEAM,
        "model": MODEL,
        "environment": ENVIRONMENT,
    }


def test_the_gate_task_invokes_the_team_gate_function_with_the_job_name() -> None:
    judge = states()[gate_states.JUDGE_MODEL]
    assert judge["Resource"] == "arn:aws:states:::lambda:invoke"
    assert judge["Parameters"] == {
        "FunctionName": (
            f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:fraud-dev-scoring-model-gate"
        ),
        "Payload": {"TrainingJobName.$": "$.TrainingJobName"},
    }
    assert judge["Catch"][0]["ErrorEquals"] == ["States.ALL"]
    assert "Lambda.TooManyRequestsException" in judge["Retry"][0]["ErrorEquals"]
    # An AWS error of the gate's own calls is retried before the Catch reports "could not run".
    assert [contract.GATE_AWS_ERROR] in [retry["ErrorEquals"] for retry in judge["Retry"]]
