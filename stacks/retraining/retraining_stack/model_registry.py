"""The Model Registry side of the quality gate: the stack's Model Package Group, and what the
functions that run the gate need to know (their environment variables).

- Without `qualityGate` nothing is created and nothing is registered: a completed job is reported
  as `Completed`, as before.
- With it, one Model Package Group per team/model/environment, named `<team>-<env>-<model>`
  (`naming.model_package_group_name`, inside the team's IAM scope
  `model-package-group/<team>-<env>-*`), tagged with the stack's tags and the gate's settings
  (`retraining_shared.quality_gate_tags`, which the policy pack judges at preview). The gate
  (`lambda_function/model_gate.py`) registers each model that passes as a new version of it.

The group is kept when the stack is destroyed (`retain_on_delete`): it is the record of the
models the gate registered, which endpoints may be serving; removing a retraining schedule must not
remove them. Delete it deliberately, after its versions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from retraining_shared import quality_gate_tags

from retraining_stack.config import QualityGateSettings
from retraining_stack.context import StackContext
from retraining_stack.lambda_function import contract

NO_GATE_TEXT = "none: completed models are not judged and nothing is registered"


@dataclass(frozen=True)
class ModelRegistry:
    group_name: str
    group: aws.sagemaker.ModelPackageGroup


def gate_tags(gate: QualityGateSettings) -> dict[str, str]:
    return quality_gate_tags.gate_tags(
        metric=gate.metric,
        direction=gate.direction,
        threshold=gate.threshold,
        min_improvement=gate.min_improvement,
        approval=gate.approval,
    )


def gate_json(gate: QualityGateSettings) -> str:
    """The gate as `contract.ENV_QUALITY_GATE` carries it (keys `contract.QUALITY_GATE_KEYS`)."""
    value = {
        "metric": gate.metric,
        "direction": gate.direction,
        "threshold": gate.threshold,
        "minImprovement": gate.min_improvement,
        "approval": gate.approval,
    }
    return json.dumps(
        {key: value[key] for key in contract.QUALITY_GATE_KEYS}, separators=(",", ":")
    )


def gate_variables(gate: QualityGateSettings, group_name: str) -> dict[str, str]:
    return {
        contract.ENV_QUALITY_GATE: gate_json(gate),
        contract.ENV_MODEL_PACKAGE_GROUP: group_name,
    }


def gate_environment(context: StackContext) -> dict[str, str]:
    """The variables a function running the gate needs on top of the contract's ENV_TEAM/MODEL/
    ENVIRONMENT: the gate and the group. Empty without a gate (the function then reports
    `Completed`). The Lambda orchestrator (report path) and the Step Functions gate function
    both take them; the config check counts them against the Lambda orchestrator's 4 KB."""
    gate = context.settings.quality_gate
    if gate is None:
        return {}
    return gate_variables(gate, context.names.model_package_group)


def gate_summary(gate: QualityGateSettings | None, group_name: str) -> str:
    """One line for the plan: what the gate registers, and where."""
    if gate is None:
        return NO_GATE_TEXT
    comparison = ">=" if gate.direction == "maximize" else "<="
    text = f"{gate.metric} {comparison} {quality_gate_tags.number_text(gate.threshold)}"
    if gate.min_improvement is not None:
        text += (
            f" and at least {quality_gate_tags.number_text(gate.min_improvement)} better than "
            "the latest approved version"
        )
    approval = contract.GATE_APPROVAL_STATUS[gate.approval]
    return f"{text}: registered in {group_name} as {approval} ({gate.approval} approval)"


def create_model_registry(context: StackContext) -> ModelRegistry | None:
    """The stack's Model Package Group, or None without a gate."""
    gate = context.settings.quality_gate
    if gate is None:
        return None
    name = context.names.model_package_group
    group = aws.sagemaker.ModelPackageGroup(
        name,
        model_package_group_name=name,
        model_package_group_description=(
            f"Models of {context.settings.team}/{context.settings.model} "
            f"({context.settings.environment}) that passed the retraining quality gate"
        ),
        tags={**context.tags(), **gate_tags(gate)},
        opts=pulumi.ResourceOptions(retain_on_delete=True),
    )
    return ModelRegistry(group_name=name, group=group)
