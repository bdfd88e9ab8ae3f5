"""Job-state notifications: the EventBridge pattern for this stack's training jobs and the SNS text.

The rule `<base>-job-state` matches SageMaker "Training Job State Change" events of this stack's
jobs only (`detail.TrainingJobName` prefix) in the statuses a human must hear about: Completed,
Failed and Stopped (spot jobs that exceed MaxWaitTimeInSeconds end Stopped). InProgress and
Stopping are transitions, not outcomes, and are not matched.

The input transformer renders a small JSON document (email subscribers see it as text): a
one-line human summary first, then the fields a person or a chat bot needs. Two EventBridge
behaviours shape it:
- values placed inside a quoted string are inserted unescaped (documented), so only fields that
  can never contain a quote (names, statuses, ARNs, region, account, time) appear inside strings;
  FailureReason, free text that for script errors routinely contains double quotes and newlines,
  is inserted as a JSON value, which EventBridge serializes with escaping;
- FailureReason exists only on Failed events, and a variable whose path is missing "isn't created
  and won't appear in the output" (documented; emulators render it as "" or null). The reason is
  therefore the only element of a list: `"failureReason": []` when absent under the literal
  reading, `[""]` or `[null]` under the others, `["AlgorithmError: ..."]` when present. The
  document is valid JSON and reads well in every case.
`secondaryStatus` (on every event) says why a job stopped, e.g. MaxWaitTimeExceeded for a spot job.
"""

from __future__ import annotations

from typing import Any, Final

from retraining_stack.lambda_function.contract import CONSOLE_DOMAINS
from retraining_stack.lambda_function.invocation import validate_job_name_prefix

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
    """(InputPathsMap, InputTemplate) rendering a job-state event as a small JSON message.

    `partition` picks the console domain of the job link (aws, aws-cn, aws-us-gov).
    """
    domain = CONSOLE_DOMAINS.get(partition)
    if domain is None:
        raise NotificationEventsError(
            f"partition: expected one of {sorted(CONSOLE_DOMAINS)}; got {partition!r}"
        )
    template = "\n".join(
        [
            "{",
            '  "summary": "SageMaker training job <job>: <status> (<secondaryStatus>)",',
            '  "event": "TrainingJob<status>",',
            '  "failureReason": [<failureReason>],',
            '  "trainingJobName": "<job>",',
            '  "trainingJobStatus": "<status>",',
            '  "secondaryStatus": "<secondaryStatus>",',
            '  "trainingJobArn": "<jobArn>",',
            f'  "consoleUrl": "https://{domain}/sagemaker/home?region=<region>#/jobs/<job>",',
            '  "account": "<account>",',
            '  "region": "<region>",',
            '  "time": "<time>"',
            "}",
        ]
    )
    return dict(INPUT_PATHS), template
