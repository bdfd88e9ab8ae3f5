"""The retraining stack's logic: one schedule, one orchestrator, one training job per occurrence.

Modules here import without Pulumi so they can be unit-tested and reused by tools:
- `orchestrator/handler.py`: the Lambda orchestrator (zipped alone as the function code);
- `state_machine`: the Step Functions orchestrator's Amazon States Language definition;
- `notification_events`: the job-state EventBridge pattern and the SNS input transformer.
"""
