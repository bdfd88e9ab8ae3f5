"""iam-no-privilege-escalation: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from typing import Any

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import (
    ACCOUNT,
    ATTACHMENT,
    ATTACHMENTS_EXCLUSIVE,
    IAM_POLICY,
    INVOKER_ROLE,
    LAMBDA_ROLE,
    POLICIES_EXCLUSIVE,
    POLICY_ATTACHMENT,
    ROLE,
    ROLE_POLICY,
    SFN_ROLE,
    TEAM,
    UNKNOWN,
    add,
    allow,
    arn,
    doc,
    edit,
    res,
    role_arn,
)

POLICY = "iam-no-privilege-escalation"
ANY_TEAM_ROLE = f"arn:aws:iam::{ACCOUNT}:role/{TEAM}-*"
POLICY_URN = "urn:pulumi:dev::network-iam::aws:iam/policy:Policy::extra"


def _role_policy(name: str, role: str, *statements: dict[str, Any]) -> Case:
    """A RolePolicy on `role` (a name or ARN; not necessarily a role of the stack)."""
    props = {"role": role, "name": "extra", "policy": doc(*statements)}
    return Case(
        name, "network-iam", add(res(ROLE_POLICY, "extra-role-policy", props, "network-iam"))
    )


def _through(name: str, type_token: str, props: dict[str, Any], deps: str) -> Case:
    """An in-stack customer policy with PassRole + CreateFunction, attached by `type_token`."""
    policy = res(
        IAM_POLICY,
        "extra",
        {
            "policy": doc(
                allow("Pass", ["iam:PassRole"], [ANY_TEAM_ROLE]),
                allow("Create", ["lambda:CreateFunction", "lambda:InvokeFunction"], ["*"]),
            )
        },
        "network-iam",
    )
    holder = res(type_token, "attach-extra", props, "network-iam", **{deps: [POLICY_URN]})
    return Case(name, "network-iam", add(policy, holder))


NON_COMPLIANT: list[Case] = [
    Case(
        "escalation split across two policies",
        "network-iam",
        lambda rs: [
            *rs,
            res(
                IAM_POLICY,
                "extra-lambda",
                {
                    "policy": doc(
                        allow(
                            "Create",
                            ["lambda:CreateFunction", "lambda:InvokeFunction"],
                            [arn("lambda", f"function:{TEAM}-*")],
                        )
                    )
                },
                "network-iam",
            ),
            res(
                IAM_POLICY,
                "extra-pass",
                {
                    "policy": doc(
                        allow("Pass", ["iam:PassRole"], [f"arn:aws:iam::{ACCOUNT}:role/{TEAM}-*"])
                    )
                },
                "network-iam",
            ),
            res(
                ATTACHMENT,
                "attach-extra-lambda",
                {"role": LAMBDA_ROLE, "policyArn": UNKNOWN},
                "network-iam",
                policyArn=["urn:pulumi:dev::network-iam::aws:iam/policy:Policy::extra-lambda"],
            ),
            res(
                ATTACHMENT,
                "attach-extra-pass",
                {"role": LAMBDA_ROLE, "policyArn": UNKNOWN},
                "network-iam",
                policyArn=["urn:pulumi:dev::network-iam::aws:iam/policy:Policy::extra-pass"],
            ),
        ],
    ),
    # every path by which a permission reaches a role
    _through(
        "customer policy through exclusive attachments",
        ATTACHMENTS_EXCLUSIVE,
        {"roleName": LAMBDA_ROLE, "policyArns": [UNKNOWN]},
        "policyArns",
    ),
    _through(
        "customer policy through a policy attachment",
        POLICY_ATTACHMENT,
        {"roles": [LAMBDA_ROLE], "policyArn": UNKNOWN},
        "policyArn",
    ),
    Case(
        "customer policy in the role's managed policy ARNs",
        "network-iam",
        lambda rs: _through("", ATTACHMENT, {"role": "none"}, "policyArn").mutate(
            edit(ROLE, LAMBDA_ROLE, managedPolicyArns=[UNKNOWN])(rs)
        ),
    ),
    Case(
        "inline policy of the role",
        "network-iam",
        edit(
            ROLE,
            SFN_ROLE,
            inlinePolicies=[
                {"name": "extra", "policy": doc(allow("Put", ["iam:PutRolePolicy"], ["*"]))}
            ],
        ),
    ),
    _role_policy(
        "role policy on a role not in the stack",
        "platform-deployer",
        allow("Trust", ["iam:UpdateAssumeRolePolicy"], [role_arn("platform-deployer")]),
    ),
    _role_policy(
        "role policy on a role ARN from elsewhere",
        role_arn("shared/ops-runner"),
        allow("Pass", ["iam:PassRole"], ["*"]),
        allow("Create", ["lambda:CreateFunction", "lambda:InvokeFunction"], ["*"]),
    ),
    _role_policy(
        "role policy on a role unknown at preview",
        UNKNOWN,
        allow("Attach", ["iam:AttachRolePolicy"], [ANY_TEAM_ROLE]),
    ),
    Case(
        "AWS job-function policy that can pass roles to new functions",
        "network-iam",
        add(
            res(
                ATTACHMENTS_EXCLUSIVE,
                "sysadmin",
                {
                    "roleName": LAMBDA_ROLE,
                    "policyArns": ["arn:aws:iam::aws:policy/job-function/SystemAdministrator"],
                },
                "network-iam",
            )
        ),
    ),
    Case(
        "AWS managed Lambda full access: any role passed to new functions",
        "network-iam",
        edit(
            ROLE, INVOKER_ROLE, managedPolicyArns=["arn:aws:iam::aws:policy/AWSLambda_FullAccess"]
        ),
    ),
    Case(
        "inline policy kept by name but defined elsewhere",
        "network-iam",
        add(
            res(
                POLICIES_EXCLUSIVE,
                "keep",
                {"roleName": LAMBDA_ROLE, "policyNames": ["least-privilege", "from-console"]},
                "network-iam",
            )
        ),
    ),
    # methods beyond a hand list
    _role_policy(
        "swap a state machine's role",
        SFN_ROLE,
        allow("Update", ["states:UpdateStateMachine"], [arn("states", f"stateMachine:{TEAM}-*")]),
        allow("Pass", ["iam:PassRole"], [ANY_TEAM_ROLE]),
    ),
    _role_policy(
        "swap a function's role and layers",
        LAMBDA_ROLE,
        allow(
            "Update",
            ["lambda:UpdateFunctionConfiguration"],
            [arn("lambda", f"function:{TEAM}-*")],
        ),
        allow("Pass", ["iam:PassRole"], [role_arn(SFN_ROLE)]),
    ),
    _role_policy(
        "PassRole named but to any service, with a new schedule",
        LAMBDA_ROLE,
        allow("Schedule", ["scheduler:CreateSchedule"], [arn("scheduler", "schedule/default/x")]),
        allow(
            "Pass",
            ["iam:PassRole"],
            [role_arn(SFN_ROLE)],
            {"StringNotEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        ),
    ),
]
COMPLIANT: list[Case] = [
    # states:* without iam:PassRole cannot hand a state machine another role (the allowlist
    # policy flags the managed policy by name; escalation needs the PassRole).
    Case(
        "AWS managed Step Functions full access alone",
        "network-iam",
        edit(
            ROLE,
            INVOKER_ROLE,
            managedPolicyArns=["arn:aws:iam::aws:policy/AWSStepFunctionsFullAccess"],
        ),
    ),
    _role_policy(
        "PassRole to the named role and the service that runs it",
        LAMBDA_ROLE,
        allow(
            "Run", ["sagemaker:CreateProcessingJob"], [arn("sagemaker", f"processing-job/{TEAM}-*")]
        ),
        allow(
            "Pass",
            ["iam:PassRole"],
            [role_arn(SFN_ROLE)],
            {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
    ),
    _role_policy(
        "PassRole limited to another service than the one it could drive",
        INVOKER_ROLE,  # holds no SageMaker action: PassRole to SageMaker drives nothing
        allow("Create", ["lambda:CreateFunction", "lambda:InvokeFunction"], ["*"]),
        allow(
            "Pass",
            ["iam:PassRole"],
            ["*"],
            {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
    ),
    Case(
        "inline policies kept by name and defined in the stack",
        "network-iam",
        add(
            res(
                POLICIES_EXCLUSIVE,
                "keep",
                {"roleName": LAMBDA_ROLE, "policyNames": ["least-privilege"]},
                "network-iam",
            )
        ),
    ),
]

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
