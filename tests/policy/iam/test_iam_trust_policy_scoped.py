"""iam-trust-policy-scoped: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from typing import Any

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import ACCOUNT, LAMBDA_ROLE, ROLE, SAGEMAKER_ROLE, arn, doc, edit, trust_with

POLICY = "iam-trust-policy-scoped"


def _sagemaker_trust(name: str, condition: dict[str, Any] | None) -> Case:
    return Case(
        name,
        "network-iam",
        edit(ROLE, SAGEMAKER_ROLE, assumeRolePolicy=trust_with("sagemaker", condition)),
    )


NON_COMPLIANT: list[Case] = [
    Case(
        "trust policy for everyone",
        "network-iam",
        edit(
            ROLE,
            LAMBDA_ROLE,
            assumeRolePolicy=doc(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            ),
        ),
    ),
    _sagemaker_trust("trust without SourceAccount", None),
    # Condition semantics: the key is there, but the operator or the value does not constrain.
    _sagemaker_trust(
        "negated operator", {"StringNotEquals": {"aws:SourceAccount": "999999999999"}}
    ),
    _sagemaker_trust("Null only tests presence", {"Null": {"aws:SourceAccount": "false"}}),
    _sagemaker_trust(
        "IfExists passes requests without the key",
        {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}},
    ),
    _sagemaker_trust(
        "ForAnyValue on a single-valued key",
        {"ForAnyValue:StringEquals": {"aws:SourceAccount": ACCOUNT}},
    ),
    _sagemaker_trust(
        "ForAllValues on a single-valued key",
        {"ForAllValues:StringEquals": {"aws:SourceAccount": ACCOUNT}},
    ),
    _sagemaker_trust("all-wildcard ARN", {"ArnLike": {"aws:SourceArn": "arn:aws:*"}}),
    _sagemaker_trust(
        "source ARN in any account",
        {"ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:*:*:training-job/*"}},
    ),
    _sagemaker_trust("wildcard account", {"StringLike": {"aws:SourceAccount": "*"}}),
    _sagemaker_trust("not an account id", {"StringEquals": {"aws:SourceAccount": "12345"}}),
    _sagemaker_trust(
        "one loose value among concrete ones",
        {"StringEquals": {"aws:SourceAccount": [ACCOUNT, "*"]}},
    ),
    _sagemaker_trust(
        "numeric operator on a string key",
        {"NumericEquals": {"aws:SourceAccount": ACCOUNT}},
    ),
    _sagemaker_trust("condition on an unrelated key", {"Bool": {"aws:SecureTransport": "true"}}),
]
COMPLIANT: list[Case] = [
    _sagemaker_trust("source account", {"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
    _sagemaker_trust(
        "key spelled in another case", {"StringEquals": {"aws:sourceaccount": ACCOUNT}}
    ),
    _sagemaker_trust(
        "source ARN of this account",
        {"ArnLike": {"aws:SourceArn": arn("sagemaker", "training-job/fraud-*")}},
    ),
    _sagemaker_trust(
        "a negated block ANDed with a constraining one",
        {
            "StringNotEquals": {"aws:SourceAccount": "999999999999"},
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
        },
    ),
]

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
