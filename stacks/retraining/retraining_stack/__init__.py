"""The retraining stack's logic: one schedule, one orchestrator, one training job per occurrence.

The Pulumi program (`__main__.py` → `stack.build`), in the order it runs:
- `config`: every `retraining:` setting, validated at once (one ConfigError, nothing registered);
- `upstream`: network-iam's and notifications' exports for the team, checked before any resource;
- `names`, `context`: the deterministic names and what every builder shares;
- `training_spec`: the settings rendered as the CreateTrainingJob request (known at preview) and
  the Lambda environment contract;
- `queues`, `orchestrators`, `schedule`, `notifications`: the resources.

These modules import without Pulumi so they can be unit-tested and reused by tools:
- `lambda_function/handler.py`: the Lambda orchestrator (zipped alone as the function code);
- `state_machine`: the Step Functions orchestrator's Amazon States Language definition;
- `notification_events`: the job-state EventBridge pattern and the SNS input transformer.
"""
