"""Customer-managed KMS keys, one per kind of data, each with yearly rotation.

Separate keys keep blast radius and key policies small: a role that may decrypt documents
cannot decrypt the conversation tables unless it is granted both. Service principals that need
a key for their own writes (CloudWatch Logs, SNS publishers) are named in that key's policy
with a condition binding them to this account and region.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


class Encryption(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        self._removal_policy = removal_policy
        stack = Stack.of(self)
        self.data_key = self._key("Data", "DynamoDB tables: conversations, documents, usage")
        self.storage_key = self._key("Storage", "S3 buckets: uploaded documents and ingestion batches")
        self.vectors_key = self._key(
            "Vectors", "Vector store: OpenSearch Serverless collection or S3 Vectors"
        )
        self.messaging_key = self._key("Messaging", "SQS dead-letter queues and SNS alarm topic")
        self.workflow_key = self._key("Workflow", "Step Functions state machine data")
        self.logs_key = self._key("Logs", "CloudWatch Logs: function, API and workflow logs")

        self.logs_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"
                        )
                    }
                },
            )
        )
        # CloudWatch alarms, AWS Budgets and EventBridge publish to the encrypted topic and queues.
        for service in ("cloudwatch.amazonaws.com", "budgets.amazonaws.com", "events.amazonaws.com"):
            self.messaging_key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
                )
            )
        self.workflow_key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("states.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )

    def _key(self, name: str, purpose: str) -> kms.Key:
        return kms.Key(
            self,
            f"{name}Key",
            description=f"Encrypts {purpose}",
            enable_key_rotation=True,
            rotation_period=Duration.days(365),
            removal_policy=self._removal_policy,
            pending_window=Duration.days(30 if self._removal_policy == RemovalPolicy.RETAIN else 7),
        )
