"""Stateful stack: keys, tables, buckets, the user pool and the vector store.

Kept apart from the stateless stack so application deployments can never replace or delete
data, and so data can be retained when the application is torn down.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from stacks.config import DeploymentConfig
from stacks.constructs.auth import Auth
from stacks.constructs.data import Data
from stacks.constructs.encryption import Encryption
from stacks.constructs.nag import acknowledge
from stacks.constructs.vectors import VectorStore


class DataStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeploymentConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal_policy = RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY
        self.encryption = Encryption(self, "Encryption", removal_policy=removal_policy)
        self.data = Data(
            self,
            "Data",
            table_key=self.encryption.data_key,
            bucket_key=self.encryption.storage_key,
            removal_policy=removal_policy,
            protect=config.is_prod,
        )
        _acknowledge_bucket_notifications_handler(self)
        self.auth = Auth(self, "Auth", config=config, removal_policy=removal_policy)
        # A named export, so the application stack's object-prefix grants have a stable name.
        self.documents_bucket_arn_export = f"{self.stack_name}-DocumentsBucketArn"
        CfnOutput(
            self,
            "DocumentsBucketArn",
            value=self.data.documents_bucket.bucket_arn,
            export_name=self.documents_bucket_arn_export,
        )
        self.vectors = VectorStore(self, "Vectors", config=config, key=self.encryption.vectors_key)


def _acknowledge_bucket_notifications_handler(stack: Stack) -> None:
    """CDK's singleton function that turns on the bucket's EventBridge notifications at deploy time."""
    handler = stack.node.try_find_child("BucketNotificationsHandler050a0587b7544547bf325f094a3db834")
    if handler is None:
        return
    acknowledge(
        handler,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "CDK-managed deploy-time function that only sets the bucket notification configuration; "
        "the managed policy grants it nothing beyond writing its own logs.",
    )
