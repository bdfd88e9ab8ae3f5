"""Where the training spec lives, read the same way by every policy that judges it.

The spec is the CreateTrainingJob request shape (docs/architecture.md "The training spec"):

- Lambda orchestrator: environment variable TRAINING_SPEC (JSON) plus the provider-computed parts
  in TRAINING_SUBNET_IDS, TRAINING_SECURITY_GROUP_IDS, TRAINING_KMS_KEY_ARN and
  TRAINING_VOLUME_KMS_KEY_ARN (kept out of the JSON so the JSON is known at preview);
- Step Functions orchestrator: the Parameters of every `sagemaker:createTrainingJob[.sync]` Task
  in the definition (nested Parallel/Map states included).

Used by `sagemaker-training-hardened` and the cost guardrails (`cost/specs.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from retraining_policies import orchestrator_contract as contract
from retraining_policies import resource_types as types
from retraining_policies.framework import UNKNOWN, Resource, parse_json
from retraining_policies.training_capacity import training_tasks

SAGEMAKER_MAX_RUNTIME_SECONDS: Final = 28 * 24 * 3600


def training_specs(resource: Resource) -> Iterator[tuple[str, Any, Mapping[str, Any]]]:
    """(label, spec or UNKNOWN or problem text, extra env) for each spec the resource carries."""
    if resource.type == types.LAMBDA_FUNCTION:
        environment = resource.get("environment")
        if environment is UNKNOWN:
            yield "environment", UNKNOWN, {}
            return
        variables = environment.get("variables") if isinstance(environment, dict) else None
        if variables is UNKNOWN:
            yield "environment.variables", UNKNOWN, {}
            return
        if not isinstance(variables, dict) or contract.ENV_TRAINING_SPEC not in variables:
            return
        raw = variables[contract.ENV_TRAINING_SPEC]
        if raw is UNKNOWN:
            yield f"environment variable {contract.ENV_TRAINING_SPEC}", UNKNOWN, variables
            return
        spec, problem = parse_json(raw)
        yield (
            f"environment variable {contract.ENV_TRAINING_SPEC}",
            spec if problem is None else f"{contract.ENV_TRAINING_SPEC} {problem}",
            variables,
        )
    elif resource.type == types.STATE_MACHINE:
        raw = resource.get("definition")
        if raw is UNKNOWN:
            yield "definition", UNKNOWN, {}
            return
        definition, problem = parse_json(raw)
        if problem is not None:
            yield "definition", f"the definition {problem}", {}
            return
        for name, parameters in training_tasks(definition):
            yield f"state {name!r} Parameters", parameters, {}


def spec_field(spec: Mapping[str, Any], *path: str) -> Any:
    """A nested field; UNKNOWN if it (or a parent) is set from the execution input (`Key.$`)."""
    current: Any = spec
    for key in path:
        if not isinstance(current, dict):
            return None
        if f"{key}.$" in current:
            return UNKNOWN
        current = current.get(key)
    return current
