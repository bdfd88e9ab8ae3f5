"""Job-state events: the EventBridge pattern that selects this stack's training job outcomes.

The rule `<base>-job-state` matches SageMaker "Training Job State Change" events of this stack's
jobs only (`detail.TrainingJobName` prefix) in the statuses a human must hear about: Completed,
Failed and Stopped (spot jobs that exceed MaxWaitTimeInSeconds end Stopped). InProgress and
Stopping are transitions, not outcomes, and are not matched.

The rule's target (Lambda mode, `job_state_queue`) renders the event with an input transformer
whose body is stable across SageMaker's duplicate events; the state machine (Step Functions mode)
needs no rule: it reports its job's outcome itself.
"""

from __future__ import annotations

from typing import Any, Final

from retraining_stack.lambda_function.invocation import validate_job_name_prefix

SAGEMAKER_SOURCE: Final = "aws.sagemaker"
TRAINING_JOB_STATE_CHANGE: Final = "SageMaker Training Job State Change"
NOTIFIED_STATUSES: Final = ("Completed", "Failed", "Stopped")


class NotificationEventsError(ValueError):
    """A bad argument to this module's builders; names the argument and what is expected."""


def job_state_event_pattern(job_name_prefix: str) -> dict[str, Any]:
    """EventBridge event pattern for this stack's training jobs reaching an outcome."""
    problems = validate_job_name_prefix(job_name_prefix, "job_name_prefix")
    if problems:
        raise NotificationEventsError("; ".join(str(problem) for problem in problems))
    return {
        "source": [SAGEMAKER_SOURCE],
        "detail-type": [TRAINING_JOB_STATE_CHANGE],
        "detail": {
            "TrainingJobName": [{"prefix": job_name_prefix}],
            "TrainingJobStatus": list(NOTIFIED_STATUSES),
        },
    }
