"""One team's notification topic: encrypted, publishable only by the team's rules, alarms and
orchestrators, with its subscriptions and (optionally) a dead-letter queue for them."""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
from retraining_shared import iam, naming
from retraining_shared.team_exports import NotificationsTeamExport

from notifications_stack.config import LAMBDA_ARN_PATTERN, SubscriptionSettings

with warnings.catch_warnings():
    # pulumi-aws 7.51 warns at import time that lambda_.MicrovmsImage is deprecated. This stack
    # uses only lambda_.Permission: the warning says nothing about it, so it is silenced here,
    # where the module is imported, whatever the caller's warning filters are.
    warnings.simplefilter("ignore", DeprecationWarning)
    from pulumi_aws import lambda_ as aws_lambda

DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
"""The SQS maximum: undelivered notifications are evidence, keep them as long as possible."""


class TeamNotifications(pulumi.ComponentResource):
    """Topic, topic policy, optional dead-letter queue and subscriptions of one team."""

    def __init__(
        self,
        name: str,
        *,
        scope: iam.TeamScope,
        key: aws.kms.Key,
        orchestrator_role_arns: Sequence[str],
        subscriptions: Sequence[SubscriptionSettings],
        dead_letter_queue: bool,
        endpoints_are_secret: bool,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("retraining:notifications:TeamNotifications", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        arns = scope.arns
        team = scope.team
        self.topic_name = naming.notification_topic_name(team, scope.environment)
        # Deterministic, so network-iam's role policies and downstream stacks can name it.
        self.topic_arn = scope.topic_arn

        topic = aws.sns.Topic(
            f"{team}-topic",
            name=self.topic_name,
            display_name=f"Retraining {team} {scope.environment}",
            kms_master_key_id=key.arn,
            tags=dict(tags),
            opts=child,
        )
        aws.sns.TopicPolicy(
            f"{team}-topic",
            arn=topic.arn,
            policy=iam.to_json(iam.team_topic_policy(scope, orchestrator_role_arns)),
            opts=child,
        )

        redrive_policy: str | None = None
        if dead_letter_queue:
            queue_name = naming.notification_dead_letter_queue_name(team, scope.environment)
            queue_arn = arns.sqs_queue(queue_name)
            queue = aws.sqs.Queue(
                f"{team}-dlq",
                name=queue_name,
                # SSE-SQS, not the notifications key: SNS can then move messages in without a
                # key grant, and the messages stay encrypted at rest.
                sqs_managed_sse_enabled=True,
                message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
                tags=dict(tags),
                opts=child,
            )
            aws.sqs.QueuePolicy(
                f"{team}-dlq",
                queue_url=queue.id,
                policy=iam.to_json(iam.dead_letter_queue_policy(queue_arn, [self.topic_arn])),
                opts=child,
            )
            redrive_policy = json.dumps({"deadLetterTargetArn": queue_arn})

        for subscription in subscriptions:
            logical = f"{team}-{subscription.logical_suffix}"
            endpoint: pulumi.Input[str] = (
                pulumi.Output.secret(subscription.endpoint)
                if endpoints_are_secret
                else subscription.endpoint
            )
            aws.sns.TopicSubscription(
                logical,
                topic=topic.arn,
                protocol=subscription.protocol,
                endpoint=endpoint,
                redrive_policy=redrive_policy,
                opts=child,
            )
            if subscription.protocol == "lambda":
                self._allow_topic_to_invoke(logical, subscription.endpoint, scope, child)

        self.outputs: NotificationsTeamExport = {
            "topic_arn": self.topic_arn,
            "topic_name": self.topic_name,
        }
        self.register_outputs(self.outputs)

    @staticmethod
    def _allow_topic_to_invoke(
        logical: str, function_arn: str, scope: iam.TeamScope, child: pulumi.ResourceOptions
    ) -> None:
        """SNS needs the function's permission to invoke it. Only this account's functions can
        be granted from here; another account's owner must add the permission there."""
        match = LAMBDA_ARN_PATTERN.fullmatch(function_arn)
        if match is None or match["account"] != scope.arns.account_id:
            pulumi.log.info(
                f"{logical}: {function_arn} belongs to another account; its owner must allow "
                f"sns.amazonaws.com to invoke it from {scope.topic_arn}"
            )
            return
        aws_lambda.Permission(
            logical,
            action="lambda:InvokeFunction",
            function=function_arn,
            principal="sns.amazonaws.com",
            source_arn=scope.topic_arn,
            source_account=scope.arns.account_id,
            opts=child,
        )
