"""Authorization proof: every service-to-service call of the deployed system, evaluated by an IAM
engine against the policy documents the offline plan's resources really carry."""
