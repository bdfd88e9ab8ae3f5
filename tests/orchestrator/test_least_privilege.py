"""Least privilege, proven: the team roles grant exactly what the orchestrators do, and where.

Lambda: the handler's AWS calls are recorded (botocore before-call hooks) across every path it can
take; each call, and what it implies (Tags -> sagemaker:AddTags, RoleArn -> iam:PassRole), becomes
an IAM request (action, resource, condition context). The role policy from
`retraining_shared.iam` must grant exactly the recorded actions plus what the Lambda service does
with the role, and allow every recorded request on its actual resource, and nothing of another
team's.

Step Functions: the role must grant exactly the IAM actions of the integrations the definition uses
(`.sync` requirements included), plus vended log delivery and X-Ray; the calls moto's interpreter
makes while executing the definition must each be allowed on their resources.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from orchestrator_fakes import (
    AwsLikeSageMaker,
    CallRecorder,
    IamRequest,
    RecordedCall,
    allowing_statements,
    create_training_job_context,
    iam_requests,
    policy_actions,
    report_final_metrics,
    training_job_arn,
    validation_error,
)
from orchestrator_support import (
    ARNS,
    ENVIRONMENT,
    GOLDEN_ACTIONS_FILE,
    JOB_NAME_PREFIX,
    KMS_KEY_ARN,
    MODEL,
    SAGEMAKER_ROLE_ARN,
    SECURITY_GROUP_IDS,
    SUBNET_IDS,
    TEAM,
    TOPIC_ARN,
    AwsAccount,
    LambdaAccount,
    contract,
    execution_input,
    job_state_change,
    quality_gate,
    run_execution,
    scheduled_event,
    state_machine_definition,
    training_spec,
)
from retraining_shared import iam, naming
from retraining_stack import state_machine

SCOPE = iam.TeamScope(TEAM, ENVIRONMENT, ARNS)
OTHER_SCOPE = iam.TeamScope("risk", ENVIRONMENT, ARNS)
GOLDEN = json.loads(GOLDEN_ACTIONS_FILE.read_text())
JOB_NAME = f"{JOB_NAME_PREFIX}202611260600"
PASS_TO_SAGEMAKER = (("iam:PassedToService", "sagemaker.amazonaws.com"),)
# What a CreateTrainingJob in the training network with encrypted output carries.
GUARDED_JOB_CONTEXT = (
    ("sagemaker:VpcSubnets", tuple(SUBNET_IDS)),
    ("sagemaker:VpcSecurityGroupIds", tuple(SECURITY_GROUP_IDS)),
    ("sagemaker:OutputKmsKeyArn", KMS_KEY_ARN),
)


def lambda_service_requests() -> list[IamRequest]:
    """What the Lambda service does with the function's role: write the invocation's logs and
    poll the job-state FIFO queue (the event source mapping)."""
    group = naming.orchestrator_log_group_name(TEAM, MODEL, ENVIRONMENT)
    stream = ARNS.log_stream(group, "2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef")
    queue = ARNS.sqs_queue(naming.job_state_queue_name(TEAM, MODEL, ENVIRONMENT))
    return [
        IamRequest("logs:CreateLogStream", stream, why="Lambda service"),
        IamRequest("logs:PutLogEvents", stream, why="Lambda service"),
        *(
            IamRequest(action, queue, why="Lambda event source mapping")
            for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
        ),
    ]


@pytest.fixture
def every_handler_path(
    fresh_lambda_aws: LambdaAccount, aws_like_sagemaker: AwsLikeSageMaker
) -> CallRecorder:
    """Drive the handler through every path that calls AWS; return what it called."""
    world = fresh_lambda_aws
    assert world.run(scheduled_event())["outcome"] == "Started"
    assert world.run(scheduled_event())["outcome"] == "AlreadyStarted"
    aws_like_sagemaker.fail_next("CreateTrainingJob", validation_error("bad image"))
    assert world.run(scheduled_event("2026-11-27T06:00:00Z", "next"))["outcome"] == "NotStarted"
    world.job_state.deliver(job_state_change(JOB_NAME, "Completed"))
    assert world.job_state.poll(world.run) == [{"reported": [JOB_NAME], "skipped": []}]
    world.job_state.deliver(job_state_change(JOB_NAME, "Completed", event_id="late"))
    world.account.sqs.purge_queue(QueueUrl=world.job_state.url)  # past the dedup window
    world.job_state.deliver(job_state_change(JOB_NAME, "Completed", event_id="late"))
    assert world.job_state.poll(world.run) == [{"reported": [], "skipped": [JOB_NAME]}]
    # A gated stack: the report path runs the quality gate, which registers a first version,
    # then judges the next occurrence against it (the Approved baseline).
    group = naming.model_package_group_name(TEAM, MODEL, ENVIRONMENT)
    world.account.sagemaker.create_model_package_group(ModelPackageGroupName=group)
    gate = {
        contract.ENV_QUALITY_GATE: json.dumps(
            {
                "metric": "validation:auc",
                "direction": "maximize",
                "threshold": 0.5,
                "minImprovement": 0.01,
                "approval": "automatic",
            }
        ),
        contract.ENV_MODEL_PACKAGE_GROUP: group,
    }
    for day, value in (("28", 0.9), ("29", 0.95)):
        gated_job = f"{JOB_NAME_PREFIX}202611{day}0600"
        world.run(scheduled_event(f"2026-11-{day}T06:00:00Z", f"gated-{day}"), **gate)
        report_final_metrics(gated_job, {"validation:auc": value})
        world.job_state.deliver(job_state_change(gated_job, "Completed"))
        assert world.job_state.poll(lambda event: world.run(event, **gate)) == [
            {"reported": [gated_job], "skipped": []}
        ]
    statuses = [m.attributes["status"] for m in world.account.notifications()]
    assert statuses[-2:] == ["Registered", "Registered"]
    return world.handler.recorder


# --- Lambda orchestrator role --------------------------------------------------------------------


def test_recorded_handler_actions_are_exactly_the_golden_list(
    every_handler_path: CallRecorder,
) -> None:
    recorded = {call.action for call in every_handler_path.calls}
    assert recorded == {
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:ListTags",
        "sagemaker:AddTags",
        "sns:Publish",
        # The quality gate on a gated stack's report path.
        "sagemaker:ListModelPackages",
        "sagemaker:CreateModelPackage",
        "sagemaker:DescribeModelPackage",
    }
    assert every_handler_path.actions() == set(GOLDEN["handler"])


def test_lambda_role_grants_exactly_what_the_handler_and_lambda_need() -> None:
    policy = iam.lambda_orchestrator_role_policy(SCOPE)

    expected = set(GOLDEN["handler"]) | set(GOLDEN["model_gate"]) | set(GOLDEN["lambda_service"])
    # Lambda delivers failed async events to the on-failure queue (always wired) with the role.
    expected.add("sqs:SendMessage")
    granted = policy_actions(policy)
    assert granted - expected == set(), "granted but never needed"
    assert expected - granted == set(), "needed but not granted"


def test_lambda_role_allows_every_recorded_request_on_its_resource(
    every_handler_path: CallRecorder,
) -> None:
    policy = iam.lambda_orchestrator_role_policy(SCOPE)

    requests = every_handler_path.requests() + lambda_service_requests()
    assert {r.action for r in requests} == set(GOLDEN["handler"]) | set(GOLDEN["lambda_service"])
    # Every job the handler starts is in the training network with an output key (the role's
    # CreateTrainingJob conditions are exercised, not skipped).
    creates = [r for r in requests if r.action == "sagemaker:CreateTrainingJob"]
    assert creates
    assert all(dict(r.context) == dict(GUARDED_JOB_CONTEXT) for r in creates)
    for request in requests:
        assert allowing_statements(policy, request), f"not allowed: {request}"
    # The resources the calls touched are this stack's, by name.
    sagemaker_resources = {
        r.resource
        for r in requests
        if r.action.startswith("sagemaker:") and r.action not in iam.LIST_ACTIONS_ON_ALL_RESOURCES
    }
    # The one List action is modelled on "*" (its evaluated ARN is undocumented).
    assert {r.resource for r in requests if r.action in iam.LIST_ACTIONS_ON_ALL_RESOURCES} == {"*"}
    group_package = ARNS.sagemaker_model_package(
        naming.model_package_group_name(TEAM, MODEL, ENVIRONMENT)
    )
    registry = {arn for arn in sagemaker_resources if ":model-package/" in arn}
    assert registry
    assert all(arn == group_package or arn.startswith(f"{group_package}/") for arn in registry)
    assert sagemaker_resources - registry == {
        training_job_arn(f"{JOB_NAME_PREFIX}2026112{day}0600") for day in (6, 7, 8, 9)
    }
    assert {r.resource for r in requests if r.action == "iam:PassRole"} == {SAGEMAKER_ROLE_ARN}
    assert {r.resource for r in requests if r.action == "sns:Publish"} == {TOPIC_ARN}


@pytest.mark.parametrize(
    "request_",
    [
        IamRequest(
            "sagemaker:CreateTrainingJob",
            training_job_arn("risk-dev-scoring-202611260600"),
            GUARDED_JOB_CONTEXT,  # refused for the resource alone, not for the conditions
        ),
        IamRequest(
            "sagemaker:DescribeTrainingJob", training_job_arn("risk-churn-dev-202611260600")
        ),
        IamRequest("sagemaker:AddTags", training_job_arn("risk-dev-scoring-202611260600")),
        IamRequest("iam:PassRole", OTHER_SCOPE.sagemaker_execution_role_arn, PASS_TO_SAGEMAKER),
        IamRequest(
            "iam:PassRole", SAGEMAKER_ROLE_ARN, (("iam:PassedToService", "ec2.amazonaws.com"),)
        ),
        IamRequest("iam:PassRole", SAGEMAKER_ROLE_ARN),  # no PassedToService at all
        IamRequest("sns:Publish", OTHER_SCOPE.topic_arn),
        IamRequest(
            "logs:PutLogEvents",
            ARNS.log_stream(naming.orchestrator_log_group_name("risk", MODEL, ENVIRONMENT), "s"),
        ),
        IamRequest("sagemaker:StopTrainingJob", training_job_arn(JOB_NAME)),
    ],
    ids=[
        "other-team-job",
        "other-team-describe",
        "other-team-tags",
        "other-team-role",
        "role-to-another-service",
        "role-without-service",
        "other-team-topic",
        "other-team-logs",
        "action-the-handler-never-takes",
    ],
)
def test_lambda_role_refuses_what_the_handler_never_needs(request_: IamRequest) -> None:
    policy = iam.lambda_orchestrator_role_policy(SCOPE)
    assert allowing_statements(policy, request_) == []


# --- Both roles: CreateTrainingJob only in the training network, with an output key -------------


def orchestrator_role_policies() -> dict[str, dict[str, Any]]:
    return {
        "lambda": dict(iam.lambda_orchestrator_role_policy(SCOPE)),
        "step-functions": dict(iam.step_functions_orchestrator_role_policy(SCOPE)),
    }


def recorded_create(**removed: str) -> RecordedCall:
    """A CreateTrainingJob as the handler sends it, minus `section=key` fields ("" = section)."""
    params: dict[str, Any] = {
        **training_spec(),
        "TrainingJobName": JOB_NAME,
        "VpcConfig": {"Subnets": SUBNET_IDS, "SecurityGroupIds": SECURITY_GROUP_IDS},
    }
    params["OutputDataConfig"] = {**params["OutputDataConfig"], "KmsKeyId": KMS_KEY_ARN}
    for section, key in removed.items():
        if key:
            del params[section][key]
        else:
            del params[section]
    return RecordedCall("sagemaker", "CreateTrainingJob", params)


def create_request(call: RecordedCall) -> IamRequest:
    [request] = [r for r in iam_requests(call) if r.action == "sagemaker:CreateTrainingJob"]
    return request


@pytest.mark.parametrize("role", ["lambda", "step-functions"])
def test_both_roles_allow_a_job_in_the_training_network_with_an_output_key(role: str) -> None:
    request = create_request(recorded_create())

    assert dict(request.context) == dict(GUARDED_JOB_CONTEXT)
    assert allowing_statements(orchestrator_role_policies()[role], request) != []


@pytest.mark.parametrize("role", ["lambda", "step-functions"])
@pytest.mark.parametrize(
    ("removed", "missing_keys"),
    [
        ({"VpcConfig": ""}, {"sagemaker:VpcSubnets", "sagemaker:VpcSecurityGroupIds"}),
        ({"VpcConfig": "Subnets"}, {"sagemaker:VpcSubnets"}),
        ({"VpcConfig": "SecurityGroupIds"}, {"sagemaker:VpcSecurityGroupIds"}),
        ({"OutputDataConfig": "KmsKeyId"}, {"sagemaker:OutputKmsKeyArn"}),
    ],
    ids=["no-vpc-config", "no-subnets", "no-security-groups", "no-output-key"],
)
def test_neither_role_allows_a_job_outside_the_network_or_without_an_output_key(
    role: str, removed: dict[str, str], missing_keys: set[str]
) -> None:
    request = create_request(recorded_create(**removed))

    assert set(dict(GUARDED_JOB_CONTEXT)) - set(dict(request.context)) == missing_keys
    assert allowing_statements(orchestrator_role_policies()[role], request) == []


def test_null_conditions_are_evaluated_as_iam_does() -> None:
    must_be_absent = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyWithoutKey",
                "Effect": "Allow",
                "Action": ["sagemaker:CreateTrainingJob"],
                "Resource": [SCOPE.training_jobs_arn],
                "Condition": {"Null": {"sagemaker:OutputKmsKeyArn": "true"}},
            }
        ],
    }
    with_key = create_request(recorded_create())
    without_key = create_request(recorded_create(OutputDataConfig="KmsKeyId"))
    assert allowing_statements(must_be_absent, with_key) == []
    assert allowing_statements(must_be_absent, without_key) == ["OnlyWithoutKey"]
    # A Step Functions `Key.$` path sets the key at run time: present.
    from_path = create_training_job_context(
        {"OutputDataConfig": {"KmsKeyId.$": "$.trainingInfrastructure.kmsKeyArn"}}
    )
    assert dict(from_path) == {"sagemaker:OutputKmsKeyArn": "<$.trainingInfrastructure.kmsKeyArn>"}


# --- Step Functions orchestrator role ------------------------------------------------------------


def deployed_definition() -> dict[str, Any]:
    """A gated stack's definition: the team role serves gated and ungated stacks alike, and the
    gated one uses every integration (the gate function's Lambda task too)."""
    return state_machine_definition(sync=True, quality_gate=quality_gate())


def test_step_functions_role_grants_exactly_the_integrations_logging_and_tracing() -> None:
    policy = iam.step_functions_orchestrator_role_policy(SCOPE)

    expected = (
        state_machine.required_iam_actions(deployed_definition())
        | state_machine.LOG_DELIVERY_IAM_ACTIONS
        | state_machine.XRAY_IAM_ACTIONS
    )
    assert "lambda:InvokeFunction" in expected  # the gate's task
    granted = policy_actions(policy)
    assert granted - expected == set(), "granted but never needed"
    assert expected - granted == set(), "needed but not granted"


def definition_requests(definition: dict[str, Any], job_name: str) -> list[IamRequest]:
    """The IAM requests the definition's integrations make for one job (static, .sync included)."""
    job = training_job_arn(job_name)
    sync_rule = ARNS.events_rule(state_machine.SYNC_EVENTS_RULE_NAME)
    per_resource = {
        "sagemaker": job,
        "iam": "",
        "events": sync_rule,
        "logs": "*",
        "xray": "*",
        "lambda": ARNS.lambda_function(
            naming.model_gate_function_name(job_name.split("-", maxsplit=1)[0], MODEL, ENVIRONMENT)
        ),
    }
    requests: list[IamRequest] = []
    task = definition["States"]["StartTrainingJob"]
    for action in sorted(state_machine.required_iam_actions(definition)):
        service = action.split(":")[0]
        if action == "iam:PassRole":
            requests.append(IamRequest(action, task["Parameters"]["RoleArn"], PASS_TO_SAGEMAKER))
        elif action == "sns:Publish":
            topics = {
                s["Parameters"]["TopicArn"]
                for s in definition["States"].values()
                if s.get("Resource", "").endswith(":sns:publish")
            }
            requests.extend(IamRequest(action, topic) for topic in sorted(topics))
        elif action == "sagemaker:CreateTrainingJob":
            context = create_training_job_context(task["Parameters"])
            requests.append(IamRequest(action, per_resource[service], context))
        else:
            requests.append(IamRequest(action, per_resource[service]))
    requests.extend(
        IamRequest(action, "*")
        for action in sorted(
            state_machine.LOG_DELIVERY_IAM_ACTIONS | state_machine.XRAY_IAM_ACTIONS
        )
    )
    return requests


def test_step_functions_role_allows_each_integration_on_its_resource() -> None:
    policy = iam.step_functions_orchestrator_role_policy(SCOPE)

    requests = definition_requests(deployed_definition(), JOB_NAME)
    # The Task sets VpcConfig and the output key (JSONPaths into the execution input), so the
    # role's CreateTrainingJob conditions hold for every job the definition can start.
    [create] = [r for r in requests if r.action == "sagemaker:CreateTrainingJob"]
    assert set(dict(create.context)) == set(dict(GUARDED_JOB_CONTEXT))
    for request in requests:
        assert allowing_statements(policy, request), f"not allowed: {request}"
    for request in definition_requests(deployed_definition(), "risk-dev-scoring-202611260600"):
        if request.action.startswith(("sagemaker:", "lambda:")):
            assert allowing_statements(policy, request) == [], f"another team's: {request}"


@pytest.fixture
def interpreter_calls(sfn_aws: AwsAccount) -> CallRecorder:
    """Records the calls moto's ASL interpreter makes (its clients come from boto3's default
    session); the test's own Step Functions calls are left out."""
    recorder = CallRecorder()
    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    recorder.attach_to_session(boto3.DEFAULT_SESSION)
    return recorder


def _run_execution(execution_input: dict[str, Any]) -> str:
    definition = state_machine_definition(sync=False)
    described = run_execution(
        definition,
        execution_input,
        name=naming.state_machine_name(TEAM, MODEL, ENVIRONMENT),
        role_arn=SCOPE.step_functions_orchestrator_role_arn,
    )
    return str(described["status"])


@pytest.mark.parametrize("path", ["started", "duplicate", "failed"])
def test_calls_made_while_executing_are_allowed_by_the_step_functions_role(
    path: str,
    sfn_aws: AwsAccount,
    aws_like_sagemaker: AwsLikeSageMaker,
    interpreter_calls: CallRecorder,
) -> None:
    if path == "duplicate":
        sfn_aws.sagemaker.create_training_job(TrainingJobName=JOB_NAME, **training_spec())
    if path == "failed":
        aws_like_sagemaker.fail_next("CreateTrainingJob", validation_error("bad image"))
    interpreter_calls.calls.clear()

    status = _run_execution(execution_input())

    # Every outcome is handled and reported: the execution succeeds (state_machine docstring).
    assert status == "SUCCEEDED"
    integration_calls = [c for c in interpreter_calls.calls if c.service != "states"]
    expected_operations = {
        # The request/response variant reads the description .sync would return.
        "started": [
            "sagemaker:CreateTrainingJob",
            "sagemaker:DescribeTrainingJob",
            "sns:Publish",
        ],
        # ResourceInUse: whose job it is (its tags name the execution that created it).
        "duplicate": [
            "sagemaker:CreateTrainingJob",
            "sagemaker:DescribeTrainingJob",
            "sagemaker:ListTags",
        ],
        "failed": ["sagemaker:CreateTrainingJob", "sns:Publish"],
    }[path]
    assert [c.action for c in integration_calls] == expected_operations
    policy = iam.step_functions_orchestrator_role_policy(SCOPE)
    requested = [r for call in integration_calls for r in iam_requests(call)]
    assert {r.action for r in requested} <= state_machine.required_iam_actions(
        deployed_definition()
    )
    for request in requested:
        if request.action == "sagemaker:CreateTrainingJob":
            assert dict(request.context) == dict(GUARDED_JOB_CONTEXT)
        assert allowing_statements(policy, request), f"not allowed: {request}"
