"""Privilege-escalation methods: Cloudsplaining's catalogue plus the paths it does not list.

`escalation_methods.json` is generated from cloudsplaining (`tools/generate_escalation_methods.py`,
kept in sync by a test) so the pack carries a maintained list without importing cloudsplaining.
`SUPPLEMENT` adds paths the catalogue lacks, each with its source; a method whose actions include
`iam:passrole` escalates only when the role may pass *any* role to the service the other actions
drive (`PASSED_TO`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_DATA: Final = Path(__file__).resolve().parent / "escalation_methods.json"
PASS_ROLE: Final = "iam:passrole"  # noqa: S105 - an IAM action, not a password


@dataclass(frozen=True)
class Method:
    name: str
    actions: tuple[str, ...]
    """Lower-case IAM actions, all needed."""
    source: str

    @property
    def passes_role(self) -> bool:
        return PASS_ROLE in self.actions

    @property
    def driven_actions(self) -> tuple[str, ...]:
        return tuple(action for action in self.actions if action != PASS_ROLE)


_PMAPPER: Final = "pmapper 1.1.5 principalmapper/graphing"
SUPPLEMENT: Final = (
    Method(
        "PassRoleToUpdatedLambdaConfiguration",
        (PASS_ROLE, "lambda:updatefunctionconfiguration"),
        f"{_PMAPPER}/lambda_edges.py; Lambda API UpdateFunctionConfiguration sets Role, Layers "
        "and Environment (a layer runs code as the new role)",
    ),
    Method(
        "PassRoleToUpdatedStateMachine",
        (PASS_ROLE, "states:updatestatemachine"),
        "Step Functions API UpdateStateMachine sets roleArn and definition",
    ),
    Method(
        "PassRoleToNewStateMachineThenStart",
        (PASS_ROLE, "states:createstatemachine", "states:startexecution"),
        "Step Functions API CreateStateMachine takes roleArn",
    ),
    Method(
        "PassRoleToNewSchedule",
        (PASS_ROLE, "scheduler:createschedule"),
        "EventBridge Scheduler universal targets call any AWS API with the passed role",
    ),
    Method(
        "PassRoleToUpdatedSchedule",
        (PASS_ROLE, "scheduler:updateschedule"),
        "EventBridge Scheduler universal targets call any AWS API with the passed role",
    ),
    Method(
        "PassRoleToUpdatedCloudFormationStack",
        (PASS_ROLE, "cloudformation:updatestack"),
        f"{_PMAPPER}/cloudformation_edges.py",
    ),
    Method(
        "PassRoleToUpdatedCodeBuildProjectThenBuild",
        (PASS_ROLE, "codebuild:updateproject", "codebuild:startbuild"),
        f"{_PMAPPER}/codebuild_edges.py",
    ),
    Method(
        "PassRoleToInstanceProfileOfRunningInstance",
        (PASS_ROLE, "ec2:associateiaminstanceprofile"),
        f"{_PMAPPER}/ec2_edges.py",
    ),
    Method(
        "PassRoleToNewAutoScalingGroup",
        (PASS_ROLE, "autoscaling:createautoscalinggroup"),
        f"{_PMAPPER}/autoscaling_edges.py",
    ),
    Method("SendCommandToInstances", ("ssm:sendcommand",), f"{_PMAPPER}/ssm_edges.py"),
    Method("StartSessionOnInstances", ("ssm:startsession",), f"{_PMAPPER}/ssm_edges.py"),
)

# The service principal a role is passed to when these actions run it (iam:PassedToService).
PASSED_TO: Final = {
    "apprunner": ("build.apprunner.amazonaws.com", "tasks.apprunner.amazonaws.com"),
    "autoscaling": ("ec2.amazonaws.com",),
    "datapipeline": ("datapipeline.amazonaws.com", "elasticmapreduce.amazonaws.com"),
    "ecs": ("ecs-tasks.amazonaws.com",),
}


def passed_to(method: Method) -> tuple[str, ...]:
    """The service principals `method` passes a role to."""
    services: list[str] = []
    for action in method.driven_actions:
        prefix = action.split(":", 1)[0]
        for service in PASSED_TO.get(prefix, (f"{prefix}.amazonaws.com",)):
            if service not in services:
                services.append(service)
    return tuple(services)


@functools.lru_cache(maxsize=1)
def methods() -> tuple[Method, ...]:
    """Every method: the generated catalogue first, then the supplement."""
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    catalogued = tuple(
        Method(name, tuple(actions), data["source"])
        for name, actions in sorted(data["methods"].items())
    )
    return catalogued + SUPPLEMENT
