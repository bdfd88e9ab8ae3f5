"""Job-state notifications: the EventBridge pattern for this stack's training jobs and the SNS text.

The rule `<base>-job-state` matches SageMaker "Training Job State Change" events of this stack's
jobs only (`detail.TrainingJobName` prefix) in the statuses a human must hear about: Completed,
Failed and Stopped (spot jobs that exceed MaxWaitTimeInSeconds end Stopped). InProgress and
Stopping are transitions, not outcomes, and are not matched.

The input transformer renders a short plain-text message for email and chat subscribers. It uses
EventBridge's documented multi-line text form: every template line is a separately quoted string.
`FailureReason` is present only on Failed events and EventBridge leaves a variable whose path is
missing out of the output, so the reason is the last sentence of the first line: on a Completed or
Stopped job that sentence is simply absent and the line still reads well. `SecondaryStatus`
(present on every event) says why a job stopped, e.g. MaxRuntimeExceeded or MaxWaitTimeExceeded.
EventBridge inserts values unescaped (documented); of the fields used only FailureReason is free
text, written by SageMaker or the training script.
"""

from __future__ import annotations

from typing import Any, Final

from retraining_stack.orchestrator.handler import CONSOLE_DOMAINS, validate_job_name_prefix

SAGEMAKER_SOURCE: Final = "aws.sagemaker"
TRAINING_JOB_STATE_CHANGE: Final = "SageMaker Training Job State Change"
NOTIFIED_STATUSES: Final = ("Completed", "Failed", "Stopped")

INPUT_PATHS: Final[dict[str, str]] = {
    "job": "$.detail.TrainingJobName",
    "status": "$.detail.TrainingJobStatus",
    "secondaryStatus": "$.detail.SecondaryStatus",
    "failureReason": "$.detail.FailureReason",
    "jobArn": "$.detail.TrainingJobArn",
    "region": "$.region",
    "account": "$.account",
    "time": "$.time",
}


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


def job_state_input_transformer(partition: str = "aws") -> tuple[dict[str, str], str]:
    """(InputPathsMap, InputTemplate) rendering a job-state event as a plain-text message.

    `partition` picks the console domain of the job link (aws, aws-cn, aws-us-gov).
    """
    domain = CONSOLE_DOMAINS.get(partition)
    if domain is None:
        raise NotificationEventsError(
            f"partition: expected one of {sorted(CONSOLE_DOMAINS)}; got {partition!r}"
        )
    lines = [
        "SageMaker training job <job>: <status> (<secondaryStatus>). <failureReason>",
        "",
        "Job: <jobArn>",
        f"Console: https://{domain}/sagemaker/home?region=<region>#/jobs/<job>",
        "Account <account>, region <region>, event time <time>.",
    ]
    template = "\n".join(f'"{line}"' for line in lines)
    return dict(INPUT_PATHS), template
