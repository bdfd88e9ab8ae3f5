"""notifications under Pulumi's mock runtime, fed the real exports of network-iam run under the
same harness: topics, key and policies, subscriptions, the StackReference checks, bad config."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from offline_plan.mock_runtime import (
    OFFLINE_ACCOUNT_ID,
    SECRET_SIG,
    SECRET_SIG_KEY,
    RegisteredResource,
    StackRun,
    contains_unknown,
    run_program,
)
from retraining_shared import iam
from retraining_shared.config import ConfigError

STACKS = Path(__file__).resolve().parents[2] / "stacks"
STACK = STACKS / "notifications"
NETWORK_IAM = "organization/network-iam/dev"
TEAMS = ("churn", "fraud")

KEY = "aws:kms/key:Key"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
PERMISSION = "aws:lambda/permission:Permission"

GOOD_CONFIG: dict[str, Any] = {
    "networkIamStack": NETWORK_IAM,
    "environment": "dev",
    "teams": {"fraud": {"subscriptions": [{"protocol": "email", "endpoint": "a@example.com"}]}},
}


@pytest.fixture(scope="module")
def network_iam() -> StackRun:
    """network-iam after `pulumi up` (every export known), as notifications would read it."""
    return run_program(STACKS / "network-iam", "dev", preview=False)


@pytest.fixture(scope="module")
def upstream(network_iam: StackRun) -> dict[str, Mapping[str, Any]]:
    return {NETWORK_IAM: network_iam.outputs}


@pytest.fixture(scope="module")
def preview(upstream: dict[str, Mapping[str, Any]]) -> StackRun:
    return run_program(STACK, "dev", preview=True, stack_references=upstream)


def run(
    upstream: dict[str, Mapping[str, Any]], config: Mapping[str, Any] | None = None, **kwargs: Any
) -> StackRun:
    return run_program(STACK, "dev", config=config, stack_references=upstream, **kwargs)


def named(run: StackRun, token: str, name: str) -> RegisteredResource:
    (resource,) = [r for r in run.of_type(token) if r.name == name]
    return resource


def policy_of(resource: RegisteredResource) -> iam.PolicyDocument:
    return iam.parse_policy(resource.inputs["policy"])


def topic_arn(team: str) -> str:
    return f"arn:aws:sns:us-east-1:{OFFLINE_ACCOUNT_ID}:{team}-dev-retraining-notifications"


# --------------------------------------------------------------------------------------------
# Exports and the StackReference
# --------------------------------------------------------------------------------------------


def test_exports_are_the_contract_and_topics_are_known_at_preview(preview: StackRun) -> None:
    assert set(preview.outputs) == {"kms_key_arn", "teams"}
    assert not contains_unknown(preview.outputs["teams"])
    assert preview.plain_outputs()["teams"] == {
        team: {"topic_arn": topic_arn(team), "topic_name": f"{team}-dev-retraining-notifications"}
        for team in TEAMS
    }


def test_key_arn_is_exported_after_deploy(upstream: dict[str, Mapping[str, Any]]) -> None:
    deployed = run(upstream, None, preview=False)
    (key,) = deployed.of_type(KEY)
    assert deployed.plain_outputs()["kms_key_arn"].startswith(
        f"arn:aws:kms:us-east-1:{OFFLINE_ACCOUNT_ID}:key/"
    )
    assert key.name == "notifications-key"


def test_network_iam_is_read_through_a_stack_reference(preview: StackRun) -> None:
    (reference,) = [r for r in preview.reads if r.type == "pulumi:pulumi:StackReference"]
    assert reference.name == "network-iam"
    assert NETWORK_IAM in (reference.urn + json.dumps(dict(reference.inputs)))


def test_network_iam_role_policies_publish_to_the_topics_created_here(
    network_iam: StackRun, preview: StackRun
) -> None:
    """The upstream builds the topic ARN from the name; this stack creates exactly that topic."""
    for team in TEAMS:
        lambda_policy = named(
            network_iam, "aws:iam/rolePolicy:RolePolicy", f"{team}-lambda-orchestrator"
        )
        granted = iam.resources_for(iam.parse_policy(lambda_policy.inputs["policy"]), "sns:Publish")
        exported = preview.plain_outputs()["teams"][team]["topic_arn"]
        assert granted == {exported}
        assert named(preview, TOPIC, f"{team}-topic").inputs["name"] == exported.split(":")[-1]


def test_key_and_topic_policies_name_the_orchestrator_roles_network_iam_exported(
    network_iam: StackRun, preview: StackRun
) -> None:
    teams = network_iam.plain_outputs()["teams"]
    roles = {
        team: sorted(
            [
                exports["lambda_orchestrator_role_arn"],
                exports["step_functions_orchestrator_role_arn"],
            ]
        )
        for team, exports in teams.items()
    }
    (key,) = preview.of_type(KEY)
    statements = {s["Sid"]: s for s in policy_of(key)["Statement"]}
    assert statements["UseKeyForOrchestratorsThroughSns"]["Principal"] == {
        "AWS": sorted(arn for team_roles in roles.values() for arn in team_roles)
    }
    for team in TEAMS:
        topic_policy = named(preview, TOPIC_POLICY, f"{team}-topic")
        by_sid = {s["Sid"]: s for s in policy_of(topic_policy)["Statement"]}
        assert by_sid["PublishFromTeamOrchestrators"]["Principal"] == {"AWS": roles[team]}


# --------------------------------------------------------------------------------------------
# Key, topics, subscriptions, dead-letter queues
# --------------------------------------------------------------------------------------------


def test_one_rotating_key_usable_by_cloudwatch_alarms_not_eventbridge(preview: StackRun) -> None:
    (key,) = preview.of_type(KEY)
    assert key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in policy_of(key)["Statement"]}
    # "Key management" (SNS guide): CloudWatch alarms send aws:Source* with the key request, so
    # their statement requires them.
    # No rule publishes to a team topic (orchestrators publish every job outcome): EventBridge
    # gets no use of the key.
    assert not [
        s for s in statements.values() if s["Principal"] == {"Service": "events.amazonaws.com"}
    ]
    alarms = statements["UseKeyForTeamAlarms"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"]["StringEquals"] == {"aws:SourceAccount": OFFLINE_ACCOUNT_ID}
    assert sorted(alarms["Condition"]["ArnLike"]["aws:SourceArn"]) == [
        f"arn:aws:cloudwatch:us-east-1:{OFFLINE_ACCOUNT_ID}:alarm:{team}-dev-*"
        for team in sorted(TEAMS)
    ]
    (alias,) = preview.of_type("aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/retraining-notifications-dev"


@pytest.mark.parametrize("team", TEAMS)
def test_topic_is_encrypted_and_open_only_to_its_team(preview: StackRun, team: str) -> None:
    (key,) = preview.of_type(KEY)
    topic = named(preview, TOPIC, f"{team}-topic")
    assert topic.property_dependencies["kmsMasterKeyId"] == (key.urn,)
    assert topic.inputs["tags"]["team"] == team
    document = policy_of(named(preview, TOPIC_POLICY, f"{team}-topic"))
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == ["sns:Publish"]
        assert statement["Resource"] == [topic_arn(team)]
        principal = statement["Principal"]
        assert isinstance(principal, dict)
        if "Service" in principal:
            condition = statement["Condition"]
            assert condition["StringEquals"] == {"aws:SourceAccount": OFFLINE_ACCOUNT_ID}
            assert str(condition["ArnLike"]["aws:SourceArn"]).endswith(f"{team}-dev-*")
    other = next(t for t in TEAMS if t != team)
    assert other not in json.dumps(document)


def test_subscriptions_follow_the_config_and_redrive_to_the_team_queue(preview: StackRun) -> None:
    expected = {
        "fraud": {
            ("email", "fraud-ml-oncall@example.com"),
            ("sqs", "arn:aws:sqs:us-east-1:123456789012:fraud-ml-incident-intake"),
        },
        "churn": {
            ("email", "churn-ml@example.com"),
            ("https", "https://hooks.example.com/retraining/churn"),
        },
    }
    for team, subscriptions in expected.items():
        topic = named(preview, TOPIC, f"{team}-topic")
        mine = [
            s
            for s in preview.of_type(SUBSCRIPTION)
            if s.property_dependencies["topic"] == (topic.urn,)
        ]
        assert {(s.inputs["protocol"], s.inputs["endpoint"]) for s in mine} == subscriptions
        dlq = f"arn:aws:sqs:us-east-1:{OFFLINE_ACCOUNT_ID}:{team}-dev-retraining-notifications-dlq"
        for subscription in mine:
            assert json.loads(subscription.inputs["redrivePolicy"]) == {"deadLetterTargetArn": dlq}


@pytest.mark.parametrize("team", TEAMS)
def test_dead_letter_queue_is_encrypted_and_fed_only_by_the_team_topic(
    preview: StackRun, team: str
) -> None:
    queue = named(preview, QUEUE, f"{team}-dlq")
    assert queue.inputs["name"] == f"{team}-dev-retraining-notifications-dlq"
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["messageRetentionSeconds"] == 1209600
    queue_policy = named(preview, QUEUE_POLICY, f"{team}-dlq")
    assert queue_policy.property_dependencies["queueUrl"] == (queue.urn,)
    (statement,) = policy_of(queue_policy)["Statement"]
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statement["Action"] == ["sqs:SendMessage"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": [topic_arn(team)]}}


def test_no_dead_letter_queue_when_switched_off(upstream: dict[str, Mapping[str, Any]]) -> None:
    stack = run(upstream, {**GOOD_CONFIG, "subscriptionDeadLetterQueue": "false"})
    assert stack.of_type(QUEUE) == []
    (subscription,) = stack.of_type(SUBSCRIPTION)
    assert "redrivePolicy" not in subscription.inputs


def test_lambda_subscriptions_get_an_invoke_permission_in_this_account_only(
    upstream: dict[str, Mapping[str, Any]],
) -> None:
    own = f"arn:aws:lambda:us-east-1:{OFFLINE_ACCOUNT_ID}:function:fraud-pager"
    foreign = "arn:aws:lambda:us-east-1:210987654321:function:central-pager:live"
    config = {
        **GOOD_CONFIG,
        "teams": {
            "fraud": {
                "subscriptions": [
                    {"protocol": "lambda", "endpoint": own},
                    {"protocol": "lambda", "endpoint": foreign},
                ]
            }
        },
    }
    stack = run(upstream, config)
    assert len(stack.of_type(SUBSCRIPTION)) == 2
    (permission,) = stack.of_type(PERMISSION)
    assert permission.inputs["function"] == own
    assert permission.inputs["principal"] == "sns.amazonaws.com"
    assert permission.inputs["sourceArn"] == topic_arn("fraud")
    assert permission.inputs["sourceAccount"] == OFFLINE_ACCOUNT_ID


def test_reordering_subscriptions_keeps_their_logical_names(
    upstream: dict[str, Mapping[str, Any]],
) -> None:
    subscriptions = [
        {"protocol": "email", "endpoint": "a@example.com"},
        {"protocol": "email", "endpoint": "b@example.com"},
    ]
    names = []
    for order in (subscriptions, subscriptions[::-1]):
        config = {**GOOD_CONFIG, "teams": {"fraud": {"subscriptions": order}}}
        names.append({s.name for s in run(upstream, config).of_type(SUBSCRIPTION)})
    assert names[0] == names[1]


def test_secret_teams_config_keeps_endpoints_secret(
    upstream: dict[str, Mapping[str, Any]], tmp_path: Path
) -> None:
    secure = tmp_path / "Pulumi.secure.yaml"
    secure.write_text(yaml.safe_dump({"config": {"notifications:teams": {"secure": "v1:AAAA"}}}))
    stack = run_program(
        STACK,
        "dev",
        extra_config_file=secure,
        config_overrides={
            "teams": {
                "fraud": {
                    "subscriptions": [
                        {"protocol": "https", "endpoint": "https://hooks.example.com/T0K3N"}
                    ]
                }
            }
        },
        stack_references=upstream,
    )
    (subscription,) = stack.of_type(SUBSCRIPTION)
    endpoint = subscription.inputs["endpoint"]
    assert endpoint[SECRET_SIG_KEY] == SECRET_SIG
    assert endpoint["value"] == "https://hooks.example.com/T0K3N"


def test_a_previewed_network_iam_is_enough(registered_types: list[str]) -> None:
    """In the offline plan network-iam is only previewed (key ARNs unknown): the topic and key
    policies still come out known, because they use only deterministic upstream values."""
    network = run_program(STACKS / "network-iam", "dev", preview=True)
    stack = run_program(STACK, "dev", stack_references={NETWORK_IAM: network.outputs})
    for resource in [*stack.of_type(KEY), *stack.of_type(TOPIC_POLICY)]:
        assert not contains_unknown(resource.inputs["policy"])
    assert TOPIC in registered_types


# --------------------------------------------------------------------------------------------
# Bad configuration and mismatched upstream: one error, every problem, nothing registered
# --------------------------------------------------------------------------------------------


def test_bad_config_lists_every_problem_and_registers_nothing(
    upstream: dict[str, Mapping[str, Any]], registered_types: list[str]
) -> None:
    config = {
        "networkIamStack": "network-iam/dev",
        "environment": "dev",
        "teams": {
            "fraud": {
                "subscriptions": [
                    {"protocol": "email", "endpoint": "oncall-at-example.com"},
                    {"protocol": "sms", "endpoint": "+15550100"},
                    {"protocol": "https", "endpoint": "http://hooks.example.com/x"},
                    {"protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:123456789012:q.fifo"},
                    {"protocol": "lambda", "endpoint": "fraud-pager"},
                ]
            },
            "fraudulentpayments": {"subscriptions": [{"protocol": "email", "endpoint": "a@b.io"}]},
            "churn": {"subscriptions": []},
        },
        "subscriptionDeadLetterQueue": "maybe",
    }
    with pytest.raises(ConfigError) as caught:
        run(upstream, config)
    problems = {p.key: p for p in caught.value.problems}
    assert set(problems) == {
        "notifications:networkIamStack",
        "notifications:teams.fraud.subscriptions[0].endpoint",
        "notifications:teams.fraud.subscriptions[1].protocol",
        "notifications:teams.fraud.subscriptions[2].endpoint",
        "notifications:teams.fraud.subscriptions[3].endpoint",
        "notifications:teams.fraud.subscriptions[4].endpoint",
        "notifications:teams.fraudulentpayments",
        "notifications:teams.churn.subscriptions",
        "notifications:subscriptionDeadLetterQueue",
    }
    assert problems["notifications:teams.fraud.subscriptions[0].endpoint"].problem == (
        "email endpoint is not an e-mail address"
    )
    assert problems["notifications:teams.fraud.subscriptions[1].protocol"].allowed == (
        "'email', 'sqs', 'https' or 'lambda'"
    )
    assert "FIFO" in problems["notifications:teams.fraud.subscriptions[3].endpoint"].problem
    assert "at most 16" in problems["notifications:teams.fraudulentpayments"].problem
    assert str(caught.value).count("\n  - ") == 9
    assert registered_types == []


@pytest.mark.parametrize(
    ("protocol", "endpoint"),
    [
        ("email", "ml.oncall+retraining@example.co.uk"),
        ("https", "https://events.pagerduty.com/integration/abc/enqueue"),
        ("sqs", "arn:aws:sqs:eu-west-1:210987654321:central-intake"),
        ("lambda", "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:pager:prod"),
    ],
)
def test_valid_endpoints_pass(protocol: str, endpoint: str) -> None:
    from notifications_stack.config import endpoint_problem

    assert endpoint_problem(protocol, endpoint) is None


@pytest.mark.parametrize(
    ("protocol", "endpoint"),
    [
        ("email", "a@b"),
        ("email", "a b@example.com"),
        ("https", "https://user:pw@hooks.example.com/x"),
        ("https", "https:///path-only"),
        ("sqs", "arn:aws:sns:us-east-1:123456789012:topic"),
        ("lambda", "arn:aws:lambda:us-east-1:123456789012:fraud-pager"),
    ],
)
def test_invalid_endpoints_fail(protocol: str, endpoint: str) -> None:
    from notifications_stack.config import endpoint_problem

    assert endpoint_problem(protocol, endpoint)


def test_teams_unknown_to_network_iam_and_another_environment_are_refused(
    upstream: dict[str, Mapping[str, Any]], registered_types: list[str]
) -> None:
    config = {
        **GOOD_CONFIG,
        "environment": "prod",
        "teams": {
            team: {"subscriptions": [{"protocol": "email", "endpoint": "a@example.com"}]}
            for team in ("fraud", "ghost", "pricing")
        },
    }
    with pytest.raises(ConfigError) as caught:
        run(upstream, config)
    message = str(caught.value)
    assert message.startswith(f"Configuration does not match stack {NETWORK_IAM}: 3 problems")
    problems = {p.key: p for p in caught.value.problems}
    assert set(problems) == {
        "notifications:environment",
        "notifications:teams.ghost",
        "notifications:teams.pricing",
    }
    assert problems["notifications:teams.ghost"].allowed == "churn, fraud"
    assert problems["notifications:environment"].allowed == "dev"
    assert registered_types == []


def test_network_iam_of_another_account_is_refused(registered_types: list[str]) -> None:
    elsewhere = run_program(STACKS / "network-iam", "dev", account_id="210987654321")
    registered_types.clear()  # only the notifications run counts
    with pytest.raises(ConfigError, match="account 210987654321") as caught:
        run({NETWORK_IAM: elsewhere.outputs}, GOOD_CONFIG)
    assert [p.key for p in caught.value.problems] == ["notifications:networkIamStack"]
    assert registered_types == []


def test_a_stack_without_the_exports_is_refused(registered_types: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        run({NETWORK_IAM: {"account_id": OFFLINE_ACCOUNT_ID, "region": "us-east-1"}}, GOOD_CONFIG)
    assert {p.problem.split(" (")[0] for p in caught.value.problems} == {
        f"stack {NETWORK_IAM} does not export 'environment'",
        f"stack {NETWORK_IAM} does not export 'teams'",
    }
    assert registered_types == []


# --------------------------------------------------------------------------------------------
# Project files
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _stack_package_importable() -> Iterator[None]:
    sys.path.insert(0, str(STACK))
    yield
    sys.path.remove(str(STACK))


MAPPING_SETTINGS = {"teams", "tags"}


def test_pulumi_yaml_declares_every_setting_with_the_program_defaults() -> None:
    from notifications_stack.config import NotificationsSettings

    project = yaml.safe_load((STACK / "Pulumi.yaml").read_text())
    assert project["name"] == "notifications"
    assert project["runtime"]["options"] == {"toolchain": "pip", "virtualenv": "venv"}
    declared = project["config"]
    fields = {info.alias: info for info in NotificationsSettings.model_fields.values()}
    # Mapping-valued settings are declared `type: object` (pulumi >= v3.186.0), so the CLI
    # checks they are set and are mappings; the program validates their shape.
    assert set(declared) == set(fields)
    for key in MAPPING_SETTINGS:
        assert declared[key]["type"] == "object", key
    for key, info in fields.items():
        assert declared[key]["description"]
        if info.is_required():
            assert "default" not in declared[key], key
        else:
            assert declared[key]["default"] == info.default, key


def test_readme_documents_every_setting_and_export(preview: StackRun) -> None:
    readme = (STACK / "README.md").read_text()
    for key in yaml.safe_load((STACK / "Pulumi.yaml").read_text())["config"]:
        assert f"`{key}`" in readme, key
    for output in preview.outputs:
        assert f"`{output}`" in readme, output
    for team_key in preview.plain_outputs()["teams"]["fraud"]:
        assert f"`{team_key}`" in readme, team_key
