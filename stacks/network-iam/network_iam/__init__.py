"""network-iam: the training network and, per onboarded team, IAM roles, KMS key and buckets."""
