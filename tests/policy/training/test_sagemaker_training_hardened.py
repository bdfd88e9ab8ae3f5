"""sagemaker-training-hardened: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import (
    FUNCTION,
    PREFIX,
    STATE_MACHINE,
    UNKNOWN,
    complete_spec,
    edit,
    lambda_environment,
    spec_variant,
    state_machine_definition,
    training_spec,
)

POLICY = "sagemaker-training-hardened"

NON_COMPLIANT: list[Case] = [
    Case(
        "no max runtime",
        "retraining-lambda",
        spec_variant(StoppingCondition={}),
    ),
    Case(
        "spot without checkpoint",
        "retraining-lambda",
        edit(
            FUNCTION,
            "orchestrator",
            environment=lambda_environment(
                {k: v for k, v in training_spec().items() if k != "CheckpointConfig"}
            ),
        ),
    ),
    Case(
        "spot wait not above runtime",
        "retraining-lambda",
        spec_variant(
            StoppingCondition={"MaxRuntimeInSeconds": 14400, "MaxWaitTimeInSeconds": 14400}
        ),
    ),
    Case(
        "network isolation off",
        "retraining-step-functions",
        edit(
            STATE_MACHINE,
            "orchestrator",
            definition=state_machine_definition(
                {**complete_spec(), "EnableNetworkIsolation": False}
            ),
        ),
    ),
    Case(
        "no VPC in the state machine",
        "retraining-step-functions",
        edit(
            STATE_MACHINE,
            "orchestrator",
            definition=state_machine_definition(
                {k: v for k, v in complete_spec().items() if k != "VpcConfig"}
            ),
        ),
    ),
    Case(
        "training spec unknown at preview",
        "retraining-lambda",
        edit(
            FUNCTION,
            "orchestrator",
            environment={
                "variables": {"TRAINING_SPEC": UNKNOWN, "TRAINING_JOB_NAME_PREFIX": PREFIX}
            },
        ),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
