"""The Lambda orchestrator's function code and what the stack needs to deploy it.

`handler.py` is the entire function code: zip that one file (e.g.
`pulumi.AssetArchive({HANDLER_ARCHIVE_PATH: pulumi.FileAsset(str(HANDLER_SOURCE))})`), set the
handler to `HANDLER_ENTRYPOINT`, the environment variables named by `ENV_*`, a timeout of at least
`RECOMMENDED_TIMEOUT_SECONDS`, and, for an EventBridge Scheduler target, the `Input` given by
`scheduler_target_input()`. Importing this package needs neither boto3 nor Pulumi.
"""

from pathlib import Path
from typing import Final

from retraining_stack.lambda_function.handler import (
    ENV_JOB_NAME_PREFIX,
    ENV_OUTPUT_KMS_KEY,
    ENV_SECURITY_GROUP_IDS,
    ENV_SUBNET_IDS,
    ENV_TOPIC_ARN,
    ENV_TRAINING_SPEC,
    ENV_VOLUME_KMS_KEY,
    HANDLER_ENTRYPOINT,
    RECOMMENDED_TIMEOUT_SECONDS,
    SCHEDULER_TARGET_INPUT,
    scheduler_target_input,
)

HANDLER_SOURCE: Final = Path(__file__).with_name("handler.py")
HANDLER_ARCHIVE_PATH: Final = "handler.py"

__all__ = [
    "ENV_JOB_NAME_PREFIX",
    "ENV_OUTPUT_KMS_KEY",
    "ENV_SECURITY_GROUP_IDS",
    "ENV_SUBNET_IDS",
    "ENV_TOPIC_ARN",
    "ENV_TRAINING_SPEC",
    "ENV_VOLUME_KMS_KEY",
    "HANDLER_ARCHIVE_PATH",
    "HANDLER_ENTRYPOINT",
    "HANDLER_SOURCE",
    "RECOMMENDED_TIMEOUT_SECONDS",
    "SCHEDULER_TARGET_INPUT",
    "scheduler_target_input",
]
