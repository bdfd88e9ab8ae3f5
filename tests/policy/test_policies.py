"""Policy behaviour through the SDK's real argument path: unknowns, exemptions, config, details."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import policy_cases
import policy_fixtures as fixtures
import pytest
from policy_fixtures import (
    ACCOUNT,
    EVENT_RULE,
    EVENT_TARGET,
    FUNCTION,
    LOG_GROUP,
    PERMISSION,
    QUEUE,
    ROLE,
    ROLE_POLICY,
    SCHEDULE,
    STATE_MACHINE,
    TAGS,
    TOPIC,
    TOPIC_POLICY,
    allow,
    doc,
)
from policy_harness import UNKNOWN, Diagnostic, FixtureResource, InProcessPack, by_policy, mandatory
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from retraining_policies import exemptions
from retraining_policies.catalogue import POLICIES
from retraining_policies.framework import PolicyDoc, RetrainingResourcePolicy

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(exemptions, "today", lambda: TODAY)
    # Drain what other tests may have left in the exemption registry.
    exemptions.drain_stack()
    yield
    exemptions.drain_stack()


@pytest.fixture
def pack() -> InProcessPack:
    return InProcessPack()


def res(type_token: str, name: str, props: dict[str, Any], **deps: list[str]) -> FixtureResource:
    return FixtureResource(type_token, name, props, deps)


def messages(diagnostics: list[Diagnostic], policy: str) -> list[str]:
    return [d.message.split("\n", 1)[-1] for d in by_policy(diagnostics, policy)]


def with_props(
    resources: list[FixtureResource], type_token: str, name_part: str, **changes: Any
) -> list[FixtureResource]:
    result = []
    for resource in resources:
        if resource.type == type_token and name_part in resource.name:
            result.append(replace(resource, props={**resource.props, **changes}))
        else:
            result.append(resource)
    return result


# ---------------------------------------------------------------------------------------------
# Unknown values
# ---------------------------------------------------------------------------------------------


def test_a_naive_policy_passes_silently_on_unknowns_through_this_harness() -> None:
    """Why the framework exists: the SDK downgrades an unknown read to an advisory note."""

    def naive(args: Any, report: Any) -> None:
        if not str(args.props["scheduleExpression"]).startswith("cron("):
            report("bad schedule", None)

    policy = ResourceValidationPolicy(
        "naive-schedule", "naive", validate=naive, enforcement_level=EnforcementLevel.MANDATORY
    )
    naive_pack = InProcessPack(policies=[policy])
    diagnostics = naive_pack.analyze(res(EVENT_RULE, "r", {"scheduleExpression": UNKNOWN}))
    assert [d.level for d in diagnostics] == ["advisory"]
    assert "can't run policy" in diagnostics[0].message


UNKNOWN_CONTENT_CASES = [
    (
        "schedule-expression-valid",
        res(EVENT_RULE, "r", {"scheduleExpression": UNKNOWN}),
        "scheduleExpression",
    ),
    (
        "schedule-frequency-bounds",
        res(EVENT_RULE, "r", {"scheduleExpression": UNKNOWN}),
        "scheduleExpression",
    ),
    (
        "schedule-expression-valid",
        res(
            SCHEDULE,
            "s",
            {
                "scheduleExpression": "rate(1 day)",
                "scheduleExpressionTimezone": UNKNOWN,
                "flexibleTimeWindow": {"mode": "OFF"},
            },
        ),
        "scheduleExpressionTimezone",
    ),
    ("iam-no-wildcard-actions", res(ROLE_POLICY, "p", {"role": "x", "policy": UNKNOWN}), "policy"),
    ("iam-resource-scoped", res(ROLE_POLICY, "p", {"role": "x", "policy": UNKNOWN}), "policy"),
    (
        "iam-passrole-scoped",
        res(
            ROLE,
            "r",
            {
                "assumeRolePolicy": fixtures.trust("lambda"),
                "inlinePolicies": [{"name": "i", "policy": UNKNOWN}],
            },
        ),
        "inline policy 'i'",
    ),
    ("iam-trust-policy-scoped", res(ROLE, "r", {"assumeRolePolicy": UNKNOWN}), "assumeRolePolicy"),
    ("sns-topic-policy-scoped", res(TOPIC_POLICY, "tp", {"arn": "x", "policy": UNKNOWN}), "policy"),
    (
        "sagemaker-training-hardened",
        res(FUNCTION, "f", {"environment": {"variables": {"TRAINING_SPEC": UNKNOWN}}}),
        "TRAINING_SPEC",
    ),
    ("sagemaker-training-hardened", res(STATE_MACHINE, "m", {"definition": UNKNOWN}), "definition"),
    (
        "sfn-logging-tracing",
        res(
            STATE_MACHINE,
            "m",
            {"loggingConfiguration": UNKNOWN, "tracingConfiguration": {"enabled": True}},
        ),
        "loggingConfiguration",
    ),
    ("log-retention", res(LOG_GROUP, "g", {"retentionInDays": UNKNOWN}), "retentionInDays"),
    ("required-tags", res(TOPIC, "t", {"tags": UNKNOWN, "kmsMasterKeyId": "k"}), "tags"),
]


@pytest.mark.parametrize(
    ("policy", "resource", "path"), UNKNOWN_CONTENT_CASES, ids=lambda x: getattr(x, "name", x)
)
def test_unknown_content_is_reported_at_the_policy_level(
    pack: InProcessPack, policy: str, resource: FixtureResource, path: str
) -> None:
    diagnostics = pack.analyze(resource)
    assert not any("can't run policy" in d.message for d in diagnostics)
    found = by_policy(diagnostics, policy)
    assert found, diagnostics
    level = next(p for p in POLICIES if p.name == policy).doc.enforcement_level.value
    assert all(d.level == level for d in found)
    assert any("cannot verify" in d.message and path in d.message for d in found)


def test_unknown_presence_only_values_are_accepted(pack: InProcessPack) -> None:
    topic = res(TOPIC, "t", {"kmsMasterKeyId": UNKNOWN, "tags": TAGS})
    queue = res(QUEUE, "q", {"sqsManagedSseEnabled": UNKNOWN, "tags": TAGS})
    assert pack.analyze(topic) == []
    assert pack.analyze(queue) == []


def test_unresolvable_schedule_target_cannot_be_verified(pack: InProcessPack) -> None:
    resources = []
    for resource in fixtures.retraining_lambda():
        if resource.name.endswith("schedule-target"):
            deps = {k: v for k, v in resource.property_dependencies.items() if k != "arn"}
            resources.append(replace(resource, property_dependencies=deps))
        else:
            resources.append(resource)
    found = messages(pack.analyze_stack(resources), "notifications-required")
    assert any("cannot verify which orchestrator the schedule invokes" in m for m in found)


def test_autonamed_links_resolve_through_property_dependencies(pack: InProcessPack) -> None:
    # Every ARN linking the Lambda stack together is unknown; only dependencies link them.
    resources = fixtures.retraining_lambda()
    assert any(UNKNOWN in json.dumps(r.props) for r in resources)
    assert pack.analyze_stack(resources) == []


# ---------------------------------------------------------------------------------------------
# Exemptions
# ---------------------------------------------------------------------------------------------


def _log_group(tags: dict[str, str]) -> FixtureResource:
    return res(
        LOG_GROUP, "/aws/lambda/legacy", {"name": "/aws/lambda/legacy", "tags": {**TAGS, **tags}}
    )


def test_tag_exemption_suppresses_and_is_reported(pack: InProcessPack) -> None:
    diagnostics = pack.analyze(
        _log_group({"policy-exemption:log-retention": "2027-01-31:migrating in RET-142"})
    )
    assert mandatory(diagnostics) == []
    report = by_policy(diagnostics, "policy-exemptions-report")
    assert [d.level for d in report] == ["advisory"]
    assert "exempt from log-retention until 2027-01-31" in report[0].message
    assert "migrating in RET-142" in report[0].message
    assert "suppressed 1 finding(s)" in report[0].message


def test_expired_tag_exemption_is_a_violation(pack: InProcessPack) -> None:
    diagnostics = pack.analyze(
        _log_group({"policy-exemption:log-retention": "2026-11-25:migrating"})
    )
    retention = messages(diagnostics, "log-retention")
    assert any("kept forever" in m for m in retention)
    assert any("expired on 2026-11-25" in m for m in retention)
    assert any(
        "expired on 2026-11-25" in m for m in messages(diagnostics, "policy-exemptions-valid")
    )
    assert by_policy(diagnostics, "policy-exemptions-report") == []


def test_exemption_is_valid_through_its_expiry_date(pack: InProcessPack) -> None:
    diagnostics = pack.analyze(
        _log_group({"policy-exemption:log-retention": "2026-11-26:last day"})
    )
    assert mandatory(diagnostics) == []


@pytest.mark.parametrize(
    ("tag", "value", "expected"),
    [
        ("policy-exemption:log-retention", "soon", "must be '<yyyy-mm-dd>:<reason>'"),
        ("policy-exemption:log-retention", "2027-02-30:bad date", "not a real date"),
        ("policy-exemption:log-retention", "2027-01-01:", "needs a reason"),
        ("policy-exemption:log-retention", "2029-01-01:forever", "more than 366 days ahead"),
        ("policy-exemption:log-retension", "2027-01-01:typo", "names no policy of this pack"),
    ],
)
def test_malformed_exemption_tags(pack: InProcessPack, tag: str, value: str, expected: str) -> None:
    diagnostics = pack.analyze(_log_group({tag: value}))
    found = messages(diagnostics, "policy-exemptions-valid")
    assert any(expected in m for m in found), diagnostics
    assert by_policy(diagnostics, "log-retention"), "a malformed exemption exempts nothing"


def test_config_exemption_for_an_untaggable_resource_of_a_stack_policy() -> None:
    resources = policy_cases.CORPUS[
        [v.name for v in policy_cases.CORPUS].index("rule target without DLQ")
    ].mutate(fixtures.retraining_lambda())
    target = next(r for r in resources if r.type == EVENT_TARGET and "schedule-target" in r.name)
    config = {
        "schedule-target-dlq-retry": {
            "exemptions": [
                {
                    "policy": "schedule-target-dlq-retry",
                    "urn": target.urn,
                    "reason": "DLQ lands with RET-7",
                    "expires": "2027-01-15",
                }
            ]
        }
    }
    diagnostics = InProcessPack(config).preview(resources)
    assert mandatory(diagnostics) == []
    report = by_policy(diagnostics, "policy-exemptions-report-stack")
    assert len(report) == 1
    assert report[0].urn == target.urn
    assert "DLQ lands with RET-7" in report[0].message


def test_expired_config_exemption_reports_findings_and_itself() -> None:
    group = res(LOG_GROUP, "g", {"name": "g", "tags": TAGS})
    config = {
        "log-retention": {
            "exemptions": [{"name": "g", "reason": "old group", "expires": "2026-01-01"}]
        }
    }
    found = messages(InProcessPack(config).analyze(group), "log-retention")
    assert any("kept forever" in m for m in found)
    assert any("expired on 2026-01-01" in m for m in found)


def test_config_exemption_problems_are_violations() -> None:
    group = res(LOG_GROUP, "g", {"name": "g", "retentionInDays": 30.0, "tags": TAGS})
    config = {
        "log-retention": {
            "exemptions": [
                {
                    "policy": "sns-encryption",
                    "name": "g",
                    "reason": "wrong section",
                    "expires": "2027-01-01",
                },
                {"name": "g", "reason": "no such day", "expires": "2027-02-30"},
                {"name": "g", "expires": "2027-01-01"},
            ]
        }
    }
    found = messages(InProcessPack(config).analyze(group), "log-retention")
    assert any("move it to that policy's section" in m for m in found)
    assert any("is not a real date" in m for m in found)
    assert any("'reason' is a required property" in m for m in found)


# ---------------------------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minimum", "expression", "flagged"),
    [
        (60, "rate(1 hour)", False),
        (60, "rate(30 minutes)", True),
        (1440, "rate(12 hours)", True),
        (1440, "cron(0 6 * * ? *)", False),
        (5, "rate(5 minutes)", False),
    ],
)
def test_minimum_interval_is_configurable(minimum: int, expression: str, flagged: bool) -> None:
    config = {"schedule-frequency-bounds": {"minimumIntervalMinutes": minimum}}
    diagnostics = InProcessPack(config).analyze(
        res(EVENT_RULE, "r", {"scheduleExpression": expression, "tags": TAGS})
    )
    assert bool(by_policy(diagnostics, "schedule-frequency-bounds")) is flagged


def test_invalid_config_is_reported_and_defaults_apply() -> None:
    config = {"schedule-frequency-bounds": {"minimumIntervalMinutes": "often"}}
    diagnostics = InProcessPack(config).analyze(
        res(EVENT_RULE, "r", {"scheduleExpression": "rate(5 minutes)", "tags": TAGS})
    )
    found = messages(diagnostics, "schedule-frequency-bounds")
    assert any(
        "policy config minimumIntervalMinutes: 'often' is not of type 'integer'" in m for m in found
    )
    assert any("every 1 hour(s) (minimumIntervalMinutes)" in m for m in found)


def test_enforcement_level_from_config() -> None:
    config = {
        "schedule-frequency-bounds": {"enforcementLevel": "advisory"},
        "schedule-expression-valid": {"enforcementLevel": "disabled"},
    }
    diagnostics = InProcessPack(config).analyze(
        res(EVENT_RULE, "r", {"scheduleExpression": "rate(1 minute)", "tags": TAGS})
    )
    assert [(d.policy, d.level) for d in diagnostics] == [("schedule-frequency-bounds", "advisory")]


def test_allowed_instance_types_are_configurable_per_environment() -> None:
    function = next(r for r in fixtures.retraining_lambda() if r.type == FUNCTION)
    config = {"cost-instance-types-allowed": {"allowedInstanceTypes": {"dev": ["ml.c5.*"]}}}
    found = messages(InProcessPack(config).analyze(function), "cost-instance-types-allowed")
    assert any(
        "instance type ml.m5.xlarge is not allowed by the dev limit "
        "(allowedInstanceTypes.dev): ml.c5.*" in m
        for m in found
    )


# ---------------------------------------------------------------------------------------------
# Details per family
# ---------------------------------------------------------------------------------------------


def test_schedule_message_names_field_and_reason(pack: InProcessPack) -> None:
    diagnostics = pack.analyze(
        res(EVENT_RULE, "r", {"scheduleExpression": "cron(0 6 ? * 0 *)", "tags": TAGS})
    )
    (message,) = messages(diagnostics, "schedule-expression-valid")
    assert "day-of-week field '0'" in message
    assert "1=SUN" in message


def test_scheduler_specific_rules(pack: InProcessPack) -> None:
    schedule = res(
        SCHEDULE,
        "s",
        {
            "scheduleExpression": "at(2027-01-01T06:00:00)",
            "scheduleExpressionTimezone": "Europe/Berlin",
            "flexibleTimeWindow": {"mode": "FLEXIBLE"},
        },
    )
    found = messages(pack.analyze(schedule), "schedule-expression-valid")
    assert found == [
        "flexibleTimeWindow.maximumWindowInMinutes None must be a "
        "whole number of minutes from 1 to 1440 when mode is FLEXIBLE"
    ]
    rule = res(
        EVENT_RULE,
        "r",
        {"scheduleExpression": "rate(1 day)", "eventBusName": "team-bus", "tags": TAGS},
    )
    assert any(
        "only on the default event bus" in m
        for m in messages(pack.analyze(rule), "schedule-expression-valid")
    )


def test_daylight_saving_shortens_the_interval() -> None:
    config = {"schedule-frequency-bounds": {"minimumIntervalMinutes": 90}}
    base = {"scheduleExpression": "cron(0 1,3 * * ? *)", "flexibleTimeWindow": {"mode": "OFF"}}
    new_york = InProcessPack(config).analyze(
        res(SCHEDULE, "s", {**base, "scheduleExpressionTimezone": "America/New_York"})
    )
    utc = InProcessPack(config).analyze(
        res(SCHEDULE, "s", {**base, "scheduleExpressionTimezone": "UTC"})
    )
    assert any("every 1 hour(s)" in m for m in messages(new_york, "schedule-frequency-bounds"))
    assert by_policy(utc, "schedule-frequency-bounds") == []


def test_schedule_that_never_runs_again(pack: InProcessPack) -> None:
    found = messages(
        pack.analyze(
            res(EVENT_RULE, "r", {"scheduleExpression": "cron(0 6 1 1 ? 2020)", "tags": TAGS})
        ),
        "schedule-frequency-bounds",
    )
    assert any("never runs again" in m for m in found)


def test_wildcard_only_actions_may_use_star_but_unknown_actions_may_not(
    pack: InProcessPack,
) -> None:
    ok = res(
        ROLE_POLICY,
        "p",
        {"role": "x", "policy": doc(allow("Trace", ["xray:PutTraceSegments"], ["*"]))},
    )
    assert pack.analyze(ok) == []
    typo = res(
        ROLE_POLICY,
        "p",
        {"role": "x", "policy": doc(allow("Trace", ["xray:PutTraceSegment"], ["*"]))},
    )
    assert any(
        "not in the IAM reference" in m for m in messages(pack.analyze(typo), "iam-resource-scoped")
    )


def test_passrole_through_a_service_wildcard(pack: InProcessPack) -> None:
    policy = res(
        ROLE_POLICY,
        "p",
        {"role": "x", "policy": doc(allow("Iam", ["iam:*"], [fixtures.role_arn("other")]))},
    )
    found = messages(pack.analyze(policy), "iam-passrole-scoped")
    assert any(
        "iam:PassRole (granted through a wildcard) is not limited by iam:PassedToService" in m
        for m in found
    )


def test_passrole_to_an_unexpected_service(pack: InProcessPack) -> None:
    statement = allow(
        "Pass",
        ["iam:PassRole"],
        [fixtures.role_arn("x")],
        {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
    )
    found = messages(
        pack.analyze(res(ROLE_POLICY, "p", {"role": "x", "policy": doc(statement)})),
        "iam-passrole-scoped",
    )
    assert any("'ec2.amazonaws.com' is not one of sagemaker.amazonaws.com" in m for m in found)


def test_constrained_passrole_with_training_is_delegation_not_escalation(
    pack: InProcessPack,
) -> None:
    assert (
        by_policy(pack.analyze_stack(fixtures.network_iam()), "iam-no-privilege-escalation") == []
    )


def test_admin_role_escalates_and_is_denied(pack: InProcessPack) -> None:
    role = res(
        ROLE,
        "admin",
        {
            "name": "admin",
            "assumeRolePolicy": fixtures.trust("lambda"),
            "tags": TAGS,
            "managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
        },
    )
    diagnostics = pack.analyze_stack([role])
    assert by_policy(diagnostics, "iam-managed-policy-allowlist")
    assert any(
        "AttachRolePolicy (iam:AttachRolePolicy)" in m
        for m in messages(diagnostics, "iam-no-privilege-escalation")
    )


def test_unknown_managed_policy_arn_without_dependency_cannot_be_verified(
    pack: InProcessPack,
) -> None:
    attachment = res(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "a",
        {"role": "x", "policyArn": UNKNOWN},
    )
    found = messages(pack.analyze_stack([attachment]), "iam-managed-policy-allowlist")
    assert any("cannot verify which managed policies are attached" in m for m in found)


def test_lambda_permission_for_anyone(pack: InProcessPack) -> None:
    permission = res(
        PERMISSION, "p", {"action": "lambda:InvokeFunction", "function": "f", "principal": "*"}
    )
    assert any(
        "principal '*'" in m
        for m in messages(pack.analyze_stack([permission]), "lambda-permission-source-arn")
    )


def test_lambda_permission_for_a_whole_service(pack: InProcessPack) -> None:
    permission = res(
        PERMISSION,
        "p",
        {
            "action": "lambda:InvokeFunction",
            "function": "f",
            "principal": "events.amazonaws.com",
            "sourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/*",
        },
    )
    found = messages(pack.analyze_stack([permission]), "lambda-permission-source-arn")
    assert any("matches more than one resource" in m for m in found)


@pytest.mark.parametrize(
    ("status_filter", "caught"),
    [
        ([{"anything-but": ["InProgress", "Completed"]}], False),
        ([{"prefix": "Fail"}, {"prefix": "Stop"}], False),
        (["Failed"], True),
        ([{"anything-but": ["Stopped"]}], True),
    ],
)
def test_job_state_patterns_are_evaluated_not_string_matched(
    pack: InProcessPack, status_filter: list[Any], caught: bool
) -> None:
    pattern = json.dumps(
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker Training Job State Change"],
            "detail": {"TrainingJobStatus": status_filter},
        }
    )
    resources = with_props(
        fixtures.retraining_lambda(), EVENT_RULE, "job-state", eventPattern=pattern
    )
    assert bool(by_policy(pack.analyze_stack(resources), "notifications-required")) is caught


def test_step_functions_catch_that_publishes_is_enough(pack: InProcessPack) -> None:
    resources = [
        r
        for r in fixtures.retraining_step_functions()
        if r.type != "aws:cloudwatch/metricAlarm:MetricAlarm"
    ]
    assert by_policy(pack.analyze_stack(resources), "notifications-required") == []


def test_stack_without_schedule_needs_no_notifications(pack: InProcessPack) -> None:
    assert (
        pack.analyze_stack([res(TOPIC, "t", {"kmsMasterKeyId": "k"})]) != []
    )  # topic checks still run
    assert by_policy(pack.analyze_stack([res(TOPIC, "t", {})]), "notifications-required") == []


def test_a_crashing_check_is_a_violation_not_a_crash() -> None:
    def broken(resource: Any, config: Any) -> Iterator[str]:
        raise KeyError("boom")
        yield ""  # pragma: no cover

    doc_ = PolicyDoc(
        name="broken",
        family="test",
        description="d",
        why="w",
        remediation="r",
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=next(iter(POLICIES)).doc.severity,
        resource_types=(EVENT_RULE,),
    )
    diagnostics = InProcessPack(policies=[RetrainingResourcePolicy(doc_, broken)]).analyze(
        res(EVENT_RULE, "r", {})
    )
    assert [d.level for d in diagnostics] == ["mandatory"]
    assert "bug in the policy pack" in diagnostics[0].message
    assert "KeyError" in diagnostics[0].message


def test_exemption_reporters_run_last() -> None:
    names = [policy.name for policy in POLICIES]
    assert names[-2:] == ["policy-exemptions-report", "policy-exemptions-report-stack"]


def test_step_functions_spec_may_take_computed_ids_from_the_execution_input(
    pack: InProcessPack,
) -> None:
    spec = fixtures.training_spec()
    spec["VpcConfig"] = {"Subnets.$": "$.network.subnets", "SecurityGroupIds.$": "$.network.groups"}
    spec["OutputDataConfig"] = {**spec["OutputDataConfig"], "KmsKeyId.$": "$.network.key"}
    spec["ResourceConfig"] = {**spec["ResourceConfig"], "VolumeKmsKeyId.$": "$.network.key"}
    machine = res(
        STATE_MACHINE,
        "m",
        {
            "definition": fixtures.state_machine_definition(spec),
            "loggingConfiguration": {"level": "ALL", "logDestination": "arn:x:*"},
            "tracingConfiguration": {"enabled": True},
            "tags": TAGS,
        },
    )
    assert pack.analyze(machine) == []
    dynamic = {**spec, "ResourceConfig.$": "$.resources"}
    del dynamic["ResourceConfig"]
    machine = replace(
        machine, props={**machine.props, "definition": fixtures.state_machine_definition(dynamic)}
    )
    found = messages(pack.analyze(machine), "cost-instance-types-allowed")
    assert any("cannot verify the instance type" in m for m in found)
