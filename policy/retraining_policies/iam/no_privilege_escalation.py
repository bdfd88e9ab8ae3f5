"""iam-no-privilege-escalation: no role holds an escalation combination across its grants."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import resource_types as types
from retraining_policies.framework import (
    Finding,
    PolicyDoc,
    Resource,
    RetrainingStackPolicy,
    Stack,
    cannot_verify,
)
from retraining_policies.iam import documents as docs
from retraining_policies.iam.grants import Grant, role_grants
from retraining_policies.iam.identity import (
    FAMILY,
    listed,
)

ESCALATION_ACTIONS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("create a new default version of a policy", ("iam:CreatePolicyVersion",)),
    ("switch a policy to a more permissive version", ("iam:SetDefaultPolicyVersion",)),
    ("create access keys for users", ("iam:CreateAccessKey",)),
    ("create console passwords", ("iam:CreateLoginProfile",)),
    ("reset console passwords", ("iam:UpdateLoginProfile",)),
    ("attach any policy to a user", ("iam:AttachUserPolicy",)),
    ("attach any policy to a group", ("iam:AttachGroupPolicy",)),
    ("attach any policy to a role", ("iam:AttachRolePolicy",)),
    ("write an inline policy on a user", ("iam:PutUserPolicy",)),
    ("write an inline policy on a group", ("iam:PutGroupPolicy",)),
    ("write an inline policy on a role", ("iam:PutRolePolicy",)),
    ("add a user to a privileged group", ("iam:AddUserToGroup",)),
    (
        "trust itself from another role and assume it",
        ("iam:UpdateAssumeRolePolicy", "sts:AssumeRole"),
    ),
    ("replace the code of a function running with another role", ("lambda:UpdateFunctionCode",)),
    ("run commands on instances with their roles", ("ssm:SendCommand",)),
    (
        "open a notebook running with another role",
        ("sagemaker:CreatePresignedNotebookInstanceUrl",),
    ),
    ("update a Glue endpoint running with another role", ("glue:UpdateDevEndpoint",)),
)
PASSROLE_PATHS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("ec2.amazonaws.com", ("ec2:RunInstances",)),
    ("lambda.amazonaws.com", ("lambda:CreateFunction", "lambda:InvokeFunction")),
    ("lambda.amazonaws.com", ("lambda:CreateFunction", "lambda:CreateEventSourceMapping")),
    ("cloudformation.amazonaws.com", ("cloudformation:CreateStack",)),
    ("glue.amazonaws.com", ("glue:CreateDevEndpoint",)),
    ("glue.amazonaws.com", ("glue:CreateJob", "glue:StartJobRun")),
    ("sagemaker.amazonaws.com", ("sagemaker:CreateTrainingJob",)),
    ("sagemaker.amazonaws.com", ("sagemaker:CreateProcessingJob",)),
    ("sagemaker.amazonaws.com", ("sagemaker:CreateNotebookInstance",)),
    ("states.amazonaws.com", ("states:CreateStateMachine", "states:StartExecution")),
    ("codebuild.amazonaws.com", ("codebuild:CreateProject", "codebuild:StartBuild")),
    ("scheduler.amazonaws.com", ("scheduler:CreateSchedule",)),
    ("ecs-tasks.amazonaws.com", ("ecs:RegisterTaskDefinition", "ecs:RunTask")),
)


def _holders(grants: list[Grant], action: str) -> list[Grant]:
    return [grant for grant in grants if grant.statement.grants(action)]


def _passrole_reaches(grant: Grant, service: str) -> bool:
    """Whether this PassRole grant lets the role pass *any* role to `service` (unconstrained)."""
    statement = grant.statement
    resources = statement.resources or ()
    named_roles = (
        statement.not_resources is None
        and bool(resources)
        and all(docs.is_concrete_role_arn(arn) for arn in resources)
    )
    conditions = statement.condition_values(docs.PASSED_TO_SERVICE)
    services = [value for _op, values in conditions for value in values]
    reaches_service = not conditions or any(
        isinstance(value, str) and docs.action_matches(value, service) for value in services
    )
    if not reaches_service:
        return False
    # Passing named roles to the one service that needs them is delegation by design: those
    # roles are themselves checked by this pack. Anything broader can pass an admin role.
    return not (
        named_roles
        and conditions
        and all(isinstance(v, str) and not docs.is_wildcard(v) for v in services)
    )


def check_privilege_escalation(stack: Stack, config: Mapping[str, Any]) -> Iterator[Finding]:
    ignored = {name.lower() for name in config["ignoredPaths"]}
    for role in stack.of_type(types.IAM_ROLE):
        grants, unreadable = role_grants(stack, role)
        if unreadable:
            yield Finding(
                cannot_verify(
                    "privilege escalation through everything attached to this role",
                    ", ".join(unreadable),
                ),
                role.urn,
            )
        yield from _escalations(role, grants, ignored)


def _escalations(role: Resource, grants: list[Grant], ignored: set[str]) -> Iterable[Finding]:
    for description, actions in ESCALATION_ACTIONS:
        if " + ".join(actions).lower() in ignored:
            continue
        holders = [_holders(grants, action) for action in actions]
        if all(holders):
            sources = sorted({grant.source for found in holders for grant in found})
            yield Finding(
                f"role {role.name} can escalate its privileges: {' + '.join(actions)} lets it "
                f"{description} (granted by {listed(sources)})",
                role.urn,
            )
    passers = _holders(grants, "iam:PassRole")
    for service, actions in PASSROLE_PATHS:
        if f"iam:passrole + {' + '.join(actions)}".lower() in ignored:
            continue
        unconstrained = [grant for grant in passers if _passrole_reaches(grant, service)]
        holders = [_holders(grants, action) for action in actions]
        if unconstrained and all(holders):
            sources = sorted(
                {grant.source for grant in unconstrained}
                | {grant.source for found in holders for grant in found}
            )
            yield Finding(
                f"role {role.name} can escalate its privileges: iam:PassRole (not limited to "
                f"named roles passed to {service}) + {' + '.join(actions)} lets it run code "
                f"as any role it can pass (granted by {listed(sources)})",
                role.urn,
            )


PRIVILEGE_ESCALATION = PolicyDoc(
    name="iam-no-privilege-escalation",
    family=FAMILY,
    description="No role holds a known privilege-escalation "
    "combination across everything attached to it.",
    why=(
        "Escalation often needs two grants that look harmless apart (iam:PassRole + "
        "lambda:CreateFunction), so each role is judged on the union of its inline policies, "
        "role policies, attached customer policies and known AWS managed policies."
    ),
    remediation=(
        "Remove the IAM-writing action, or restrict iam:PassRole to the named role(s) with "
        "iam:PassedToService so the role can only hand its intended role to its intended "
        "service."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config={
        "ignoredPaths": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Escalation paths to ignore, spelled as in the message "
            "(e.g. 'lambda:UpdateFunctionCode').",
        }
    },
)

POLICY = RetrainingStackPolicy(PRIVILEGE_ESCALATION, check_privilege_escalation)
