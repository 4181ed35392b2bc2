"""Stateful stack: keys, tables, buckets, the user pool and the vector store.

Kept apart from the stateless stack so application deployments can never replace or delete
data, and so data can be retained when the application is torn down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from stacks.config import DeploymentConfig
from stacks.constructs.auth import Auth
from stacks.constructs.data import Data
from stacks.constructs.encryption import Encryption
from stacks.constructs.functions import FunctionDefaults, FunctionFactory, log_retention
from stacks.constructs.nag import acknowledge
from stacks.constructs.vectors import VectorStore


class DataStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        code_dir: Path,
        **kwargs: Any,
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
        # The user pool's trigger lives next to the pool: in the application stack, the pool
        # naming the function and the function's permission naming the pool would be a cycle.
        trigger_functions = FunctionFactory(
            self,
            "Functions",
            defaults=FunctionDefaults(
                code_dir=code_dir,
                architecture=config.lambda_architecture,
                powertools_version=config.powertools_version,
                logs_key=self.encryption.logs_key,
                log_retention=log_retention(config.log_retention_days),
                removal_policy=removal_policy,
                environment={"POWERTOOLS_LOG_LEVEL": "INFO"},
            ),
        )
        self.auth = Auth(
            self, "Auth", config=config, removal_policy=removal_policy, functions=trigger_functions
        )
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
