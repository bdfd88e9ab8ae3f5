"""notifications-required: cases over the compliant baseline stacks (policy_fixtures)."""

from __future__ import annotations

import json

from policy_cases import Case, compliant_tests, non_compliant_tests
from policy_fixtures import (
    ALARM,
    BASE,
    EVENT_RULE,
    EVENT_TARGET,
    STATE_MACHINE,
    arn,
    complete_spec,
    drop,
    edit,
    state_machine_definition,
)

POLICY = "notifications-required"

NON_COMPLIANT: list[Case] = [
    Case(
        "no job-state rule",
        "retraining-lambda",
        drop(EVENT_RULE, "job-state"),
    ),
    Case(
        "job-state rule misses Stopped",
        "retraining-lambda",
        edit(
            EVENT_RULE,
            "job-state",
            eventPattern=json.dumps(
                {
                    "source": ["aws.sagemaker"],
                    "detail-type": ["SageMaker Training Job State Change"],
                    "detail": {"TrainingJobStatus": ["Completed", "Failed"]},
                }
            ),
        ),
    ),
    Case(
        "job-state rule targets a queue",
        "retraining-lambda",
        edit(EVENT_TARGET, "job-state", arn=arn("sqs", f"{BASE}-events")),
    ),
    Case(
        "orchestrator failures reach nobody",
        "retraining-lambda",
        drop(ALARM),
    ),
    Case(
        "state machine without catch or alarm",
        "retraining-step-functions",
        lambda rs: edit(
            STATE_MACHINE,
            "orchestrator",
            definition=state_machine_definition(complete_spec(), catch_publishes=False),
        )(drop(ALARM)(rs)),
    ),
]
COMPLIANT: list[Case] = []

test_non_compliant = non_compliant_tests(POLICY, NON_COMPLIANT)
test_compliant = compliant_tests(POLICY, COMPLIANT, NON_COMPLIANT)
