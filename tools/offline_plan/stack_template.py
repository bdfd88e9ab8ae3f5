"""The commented `Pulumi.<team>-<model>-<env>.yaml` a new team starts from; valid as written.

Every value is one the retraining stack accepts and the shipped policy pack passes, so the
offline plan of a freshly scaffolded stack exits 0; the comments say what to change and which
values are allowed (the same rules the program checks, quoted from its settings).
"""

from __future__ import annotations

import json

from retraining_shared import naming

DEFAULT_SCHEDULE = "cron(0 6 * * ? *)"
"""06:00 UTC every day: an EventBridge rule's six-field cron (docs/architecture.md)."""
DOCUMENTATION_ACCOUNT = "123456789012"
"""The account id AWS's own documentation uses in examples; the template's image names it
until the team sets its ECR image (the plan runs offline, no account is read)."""
INITIAL_IMAGE_TAG = "0.1.0"


def retraining_stack_name(team: str, model: str, environment: str) -> str:
    """`<team>-<model>-<env>`: the retraining stack's name (its Pulumi.<stack>.yaml). Stack
    names end with `-<env>` so the plan and CI find the stacks of an environment
    (offline_plan.discovery); it is not a resource name (those come from naming.py)."""
    naming.validate_team(team)
    naming.validate_model(model)
    naming.validate_environment(environment)
    return f"{team}-{model}-{environment}"


def initial_image(team: str, model: str, region: str) -> str:
    repository = f"{team}-{model}"
    return (
        f"{DOCUMENTATION_ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{repository}:{INITIAL_IMAGE_TAG}"
    )


def render_stack_file(
    *, team: str, model: str, environment: str, region: str, schema_comment: str | None = None
) -> str:
    """The stack file's text. `schema_comment`: a `# yaml-language-server: $schema=…` line."""
    stack = retraining_stack_name(team, model, environment)
    image = initial_image(team, model, region)

    def quoted(value: str) -> str:
        return json.dumps(value)

    header = [schema_comment] if schema_comment else []
    return "\n".join(
        [
            *header,
            f"# Team {team} retrains model {model} in {environment} (stack {stack}).",
            "# Written by `nox -s new-team`; stacks/retraining/README.md documents every key.",
            f"# Check a change with: nox -s plan -- --stack retraining/{stack}",
            "config:",
            f"  aws:region: {region}  # the region of network-iam's {environment} stack",
            f"  retraining:team: {team}",
            f"  retraining:model: {model}",
            f"  retraining:environment: {environment}",
            "  # When it runs: cron(Minutes Hours Day-of-month Month Day-of-week Year) or",
            "  # rate(N unit). Rules run in UTC; for a time zone or at(...) use scheduleKind:",
            "  # scheduler and retraining:scheduleTimezone (e.g. Europe/Berlin).",
            f"  retraining:schedule: {quoted(DEFAULT_SCHEDULE)}",
            "  retraining:scheduleKind: rule  # rule or scheduler",
            "  # lambda: a function starts the job; stepfunctions: a state machine runs it to the",
            "  # end (.sync) and reports its outcome.",
            "  retraining:orchestrator: lambda",
            "  retraining:training:",
            "    # EDIT: your training image in ECR, with a tag or digest",
            "    # (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>).",
            f"    image: {image}",
            "    instanceType: ml.m5.xlarge  # ml.<family>.<size>",
            "    instanceCount: 1",
            "    volumeSizeGb: 50",
            "    maxRuntimeSeconds: 14400  # the job is stopped after 4 hours (at most 28 days)",
            "    spot:",
            "      enabled: true  # managed spot: cheaper, resumed from checkpoints",
            f"      checkpointPrefix: {model}/checkpoints/",
            "    hyperparameters: {}  # name: value, sent to the container as strings",
            "    inputChannels:  # channel name -> a prefix in the team's data bucket",
            "      train:",
            f"        prefix: {model}/train/",
            f"    outputPrefix: {model}/output/",
            "    networkIsolation: true",
            "    interContainerEncryption: true",
            "",
        ]
    )
