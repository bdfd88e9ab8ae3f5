"""sfn-logging-tracing: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import STATE_MACHINE, edit

POLICY = "sfn-logging-tracing"

NON_COMPLIANT: list[Case] = [
    Case(
        "state machine logging off",
        "retraining-step-functions",
        edit(STATE_MACHINE, "orchestrator", loggingConfiguration={"level": "OFF"}),
    ),
    Case(
        "state machine tracing off",
        "retraining-step-functions",
        edit(STATE_MACHINE, "orchestrator", tracingConfiguration={"enabled": False}),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
