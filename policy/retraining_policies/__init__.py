"""CrossGuard policies for scheduled SageMaker retraining stacks (one module per policy family)."""
