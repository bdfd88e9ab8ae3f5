"""Odd properties fed to every policy through the SDK's real path: nothing may raise or 'crash'.

A crash would surface as an exception out of the servicer (a failed preview) or, caught by the
framework, as a 'bug in the policy pack' violation; both fail these tests.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_harness import FixtureResource, InProcessPack
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)
from retraining_policies import resource_types as types
from retraining_policies.catalogue import POLICIES
from suite_profiles import examples

PACK = InProcessPack()
POLICY_NAMES = {policy.name for policy in POLICIES}
TYPES = sorted(
    {value for name, value in vars(types).items() if name.isupper() and isinstance(value, str)}
    | {"aws:s3/bucketV2:BucketV2", "random:index/randomId:RandomId"}
)
KEYS = [
    "scheduleExpression",
    "scheduleExpressionTimezone",
    "flexibleTimeWindow",
    "eventBusName",
    "eventPattern",
    "target",
    "rule",
    "arn",
    "deadLetterConfig",
    "retryPolicy",
    "policy",
    "role",
    "inlinePolicies",
    "assumeRolePolicy",
    "managedPolicyArns",
    "policyArn",
    "roles",
    "principal",
    "sourceArn",
    "sourceAccount",
    "kmsMasterKeyId",
    "sqsManagedSseEnabled",
    "protocol",
    "endpoint",
    "topic",
    "environment",
    "definition",
    "loggingConfiguration",
    "tracingConfiguration",
    "retentionInDays",
    "tags",
    "tagsAll",
    "name",
    "id",
    "alarmActions",
    "dimensions",
    "namespace",
    "targetKeyId",
    "roleName",
    "policyArns",
    "policyNames",
    "state",
    "isEnabled",
    "actionsEnabled",
    "treatMissingData",
    "metricName",
    "metricQueries",
    "functionName",
    "destinationConfig",
    "queueUrl",
    "bucket",
]
INTERESTING = [
    UNKNOWN_STRING_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    "",
    "*",
    "?",
    "cron(0 6 * * ? *)",
    "cron(* * * * ? *)",
    "rate(1 hour)",
    "rate(0 days)",
    "at(2020-01-01T00:00:00)",
    "at(2099-12-31T23:59:59)",
    "cron(0 0 L * ? 2199)",
    "Europe/Berlin",
    "Mars/Base",
    "arn:aws:sns:us-east-1:123456789012:t",
    "arn:aws:sqs:us-east-1:1:q",
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::123456789012:role/r",
    "events.amazonaws.com",
    "alias/aws/sns",
    "OFF",
    "FLEXIBLE",
    "ALL",
    "email",
    "http",
    "policy-exemption:log-retention",
    "2020-01-01:old",
    "2027-01-01:ok",
    "{",
    "[]",
    "null",
    '{"Statement": "x"}',
    '{"States": []}',
    '{"source": [{"prefix": 3}]}',
    "DISABLED",
    "breaching",
    "arn:aws:iam::aws:policy/job-function/SystemAdministrator",
    "arn:aws:events:us-east-1:123456789012:event-bus/default",
    "rate(99999999999999999999 minutes)",
    "cron(0 6 ? * L *)",
]
OPERATORS = [
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "StringNotEquals",
    "StringNotLike",
    "ArnEquals",
    "ArnLike",
    "ArnNotLike",
    "Null",
    "Bool",
    "NumericEquals",
    "StringEqualsIfExists",
    "ArnLikeIfExists",
    "ForAnyValue:StringEquals",
    "ForAllValues:StringLike",
    "Weird:StringEquals",
    "",
]
CONDITION_KEYS = [
    "aws:SourceAccount",
    "AWS:SOURCEACCOUNT",
    "aws:SourceArn",
    "aws:PrincipalOrgID",
    "iam:PassedToService",
    "aws:ResourceTag/team",
    "x",
]
CONDITION_VALUES = [
    "123456789012",
    "12345",
    "*",
    "arn:aws:*",
    "arn:aws:events:us-east-1:123456789012:rule/fraud-*",
    "arn:aws:events:*:*:rule/*",
    "sagemaker.amazonaws.com",
    "*.amazonaws.com",
    "o-abcdefghij",
    "true",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(INTERESTING),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=4
        ),
    ),
    max_leaves=16,
)
statement = st.fixed_dictionaries(
    {},
    optional={
        "Sid": st.one_of(st.text(max_size=5), st.integers()),
        "Effect": st.sampled_from(["Allow", "Deny", "allow", 1]),
        "Action": st.one_of(
            json_values, st.sampled_from(["*", "iam:PassRole", "s3:Get*", "iam:*", "sns:Publish"])
        ),
        "NotAction": json_values,
        "Resource": st.one_of(
            json_values, st.sampled_from(["*", "arn:aws:s3:::*", "arn:aws:sns:*:*:*"])
        ),
        "NotResource": json_values,
        "Principal": st.one_of(
            json_values, st.sampled_from(["*", {"Service": "lambda.amazonaws.com"}, {"AWS": "*"}])
        ),
        "Condition": st.one_of(json_values, st.deferred(lambda: conditions)),
    },
)
condition_values = st.one_of(st.sampled_from(CONDITION_VALUES), json_values)
conditions = st.dictionaries(
    st.sampled_from(OPERATORS),
    st.dictionaries(
        st.sampled_from(CONDITION_KEYS),
        st.one_of(condition_values, st.lists(condition_values, max_size=3)),
        max_size=3,
    ),
    max_size=3,
)
documents = st.one_of(
    st.builds(
        lambda s: json.dumps({"Version": "2012-10-17", "Statement": s}),
        st.one_of(statement, st.lists(statement, max_size=3)),
    ),
    st.builds(json.dumps, json_values),
)
definitions = st.builds(
    lambda states: json.dumps({"StartAt": "A", "States": states}),
    st.dictionaries(
        st.sampled_from(["A", "B", "C"]),
        st.fixed_dictionaries(
            {},
            optional={
                "Type": st.sampled_from(["Task", "Pass", "Choice", "Parallel", 3]),
                "Resource": st.sampled_from(
                    [
                        "arn:aws:states:::sagemaker:createTrainingJob.sync",
                        "arn:aws:states:::sns:publish",
                        7,
                    ]
                ),
                "Parameters": json_values,
                "Catch": json_values,
                "Next": st.sampled_from(["A", "B", "C", None, 1]),
                "Branches": json_values,
            },
        ),
        max_size=3,
    ),
)
values_for_key = {
    "policy": documents,
    "assumeRolePolicy": documents,
    "definition": definitions,
    "eventPattern": st.one_of(documents, st.builds(json.dumps, json_values)),
}


@st.composite
def properties(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(KEYS), max_size=8, unique=True))
    props = {key: draw(values_for_key.get(key, json_values)) for key in keys}
    if draw(st.booleans()):
        props["environment"] = {
            "variables": draw(
                st.dictionaries(
                    st.sampled_from(
                        ["TRAINING_SPEC", "TRAINING_JOB_NAME_PREFIX", "TRAINING_SUBNET_IDS", "X"]
                    ),
                    st.one_of(json_values, st.builds(json.dumps, json_values)),
                    max_size=4,
                )
            )
        }
    return props


def assert_sane(diagnostics: list[Any]) -> None:
    for diagnostic in diagnostics:
        assert diagnostic.policy in POLICY_NAMES
        assert "bug in the policy pack" not in diagnostic.message, diagnostic.message
        assert "can't run policy" not in diagnostic.message, diagnostic.message


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TYPES), properties())
def test_every_resource_policy_survives_odd_properties(
    type_token: str, props: dict[str, Any]
) -> None:
    assert_sane(PACK.analyze(FixtureResource(type_token, "odd", props)))


@st.composite
def stacks(draw: st.DrawFn) -> list[FixtureResource]:
    count = draw(st.integers(1, 6))
    resources = [
        FixtureResource(draw(st.sampled_from(TYPES)), f"r{index}", draw(properties()))
        for index in range(count)
    ]
    urns = [resource.urn for resource in resources] + ["urn:pulumi:dev::retraining::x::missing"]
    linked = []
    for resource in resources:
        deps = draw(
            st.dictionaries(
                st.sampled_from(KEYS), st.lists(st.sampled_from(urns), max_size=3), max_size=3
            )
        )
        linked.append(FixtureResource(resource.type, resource.name, resource.props, deps))
    return linked


@settings(max_examples=examples(250), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_every_stack_policy_survives_odd_stacks(resources: list[FixtureResource]) -> None:
    assert_sane(PACK.analyze_stack(resources))


def test_regression_list_valued_protocol() -> None:
    # Found by hypothesis: a list where a string is expected must not crash the set lookup.
    topic = FixtureResource(types.SNS_TOPIC, "t", {})
    subscription = FixtureResource(
        types.SNS_SUBSCRIPTION, "s", {"protocol": ["email"]}, {"topic": [topic.urn]}
    )
    diagnostics = PACK.analyze_stack([topic, subscription])
    assert_sane(diagnostics)
    assert any("subscription protocol" in d.message for d in diagnostics)


_POSITIVE = {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"}


@settings(max_examples=examples(300), deadline=None)
@given(
    st.sampled_from(OPERATORS),
    st.one_of(
        st.sampled_from(CONDITION_VALUES), st.lists(st.sampled_from(CONDITION_VALUES), max_size=3)
    ),
)
def test_a_trust_condition_counts_only_when_it_constrains(operator: str, values: Any) -> None:
    """Oracle: only a positive operator whose values are all one concrete account constrains."""
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "sagemaker.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {operator: {"aws:SourceAccount": values}},
    }
    role = FixtureResource(
        types.IAM_ROLE,
        "r",
        {"assumeRolePolicy": json.dumps({"Statement": [trust]}), "tags": {"team": "fraud"}},
    )
    diagnostics = PACK.analyze(role)
    assert_sane(diagnostics)
    listed = values if isinstance(values, list) else [values]
    constrains = (
        operator in _POSITIVE
        and bool(listed)
        and all(isinstance(v, str) and v.isdigit() and len(v) == 12 for v in listed)
    )
    flagged = any(
        "for any account" in d.message for d in diagnostics if d.policy == "iam-trust-policy-scoped"
    )
    assert flagged is not constrains


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(
        [
            types.IAM_ROLE_POLICY_ATTACHMENT,
            types.IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
            types.IAM_POLICY_ATTACHMENT,
            types.IAM_ROLE_POLICIES_EXCLUSIVE,
            types.IAM_ROLE_POLICY,
        ]
    ),
    st.one_of(json_values, st.sampled_from(["fraud-dev-x", "arn:aws:iam::1:role/a/b", ""])),
    st.one_of(json_values, st.sampled_from(INTERESTING)),
)
def test_attachment_types_with_odd_references_never_crash(
    type_token: str, role: Any, policy: Any
) -> None:
    props = {
        "role": role,
        "roleName": role,
        "roles": role,
        "policyArn": policy,
        "policyArns": policy,
        "policyNames": policy,
        "policy": policy,
    }
    role_resource = FixtureResource(types.IAM_ROLE, "fraud-dev-x", {"name": "fraud-dev-x"})
    assert_sane(PACK.analyze_stack([role_resource, FixtureResource(type_token, "a", props)]))
