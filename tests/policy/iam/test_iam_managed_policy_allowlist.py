"""iam-managed-policy-allowlist: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import (
    ATTACHMENT,
    ATTACHMENTS_EXCLUSIVE,
    LAMBDA_ROLE,
    POLICY_ATTACHMENT,
    ROLE,
    SAGEMAKER_ROLE,
    add,
    edit,
    res,
)

POLICY = "iam-managed-policy-allowlist"
AWS_POLICY = "arn:aws:iam::aws:policy/"


def _attached(name: str, type_token: str, props: dict[str, object]) -> Case:
    return Case(name, "network-iam", add(res(type_token, "attach", props, "network-iam")))


NON_COMPLIANT: list[Case] = [
    _attached(
        "AWS managed FullAccess policy",
        ATTACHMENT,
        {"role": SAGEMAKER_ROLE, "policyArn": f"{AWS_POLICY}AmazonSageMakerFullAccess"},
    ),
    _attached(
        "job-function SystemAdministrator through exclusive attachments",
        ATTACHMENTS_EXCLUSIVE,
        {"roleName": LAMBDA_ROLE, "policyArns": [f"{AWS_POLICY}job-function/SystemAdministrator"]},
    ),
    _attached(
        "PowerUserAccess through a policy attachment",
        POLICY_ATTACHMENT,
        {"roles": [LAMBDA_ROLE], "policyArn": f"{AWS_POLICY}PowerUserAccess"},
    ),
    _attached(
        "admin policy on a role from elsewhere",
        ATTACHMENT,
        {"role": "some-other-role", "policyArn": f"{AWS_POLICY}AdministratorAccess"},
    ),
    Case(
        "managed policy ARNs of the role",
        "network-iam",
        edit(ROLE, LAMBDA_ROLE, managedPolicyArns=[f"{AWS_POLICY}AWSStepFunctionsFullAccess"]),
    ),
]
COMPLIANT: list[Case] = [
    _attached(
        "a narrow AWS managed policy",
        ATTACHMENT,
        {
            "role": LAMBDA_ROLE,
            "policyArn": f"{AWS_POLICY}service-role/AWSLambdaBasicExecutionRole",
        },
    ),
]

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
