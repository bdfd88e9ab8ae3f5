"""Code shared by the retraining stacks: naming, ARNs, tags, config validation, IAM documents.

The modules are deliberately independent of each other's import side effects: `naming`, `arns`,
`tags` and `iam` are plain Python (no Pulumi import), `config` and `stack_outputs` need the Pulumi
SDK. The schedule grammar lives in the policy pack and is linked here as `schedule_grammar`.
"""
