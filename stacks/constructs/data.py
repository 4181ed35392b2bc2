"""DynamoDB tables and the documents bucket.

Every table has the same shape (`pk`/`sk` strings, on-demand, TTL on `expires_at`), so the
adapters can share key helpers. Point-in-time recovery is always on; deletion protection and
retention follow the stage.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

TTL_ATTRIBUTE = "expires_at"
UPLOADS_PREFIX = "uploads/"
BATCHES_PREFIX = "ingestion-batches/"


class Data(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table_key: kms.IKey,
        bucket_key: kms.IKey,
        removal_policy: RemovalPolicy,
        protect: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self._table_key = table_key
        self._removal_policy = removal_policy
        self._protect = protect
        self.conversations_table = self._table("Conversations")
        self.documents_table = self._table("Documents")
        self.usage_table = self._table("Usage")

        auto_delete = removal_policy == RemovalPolicy.DESTROY
        self.access_logs_bucket = s3.Bucket(
            self,
            "AccessLogsBucket",
            # S3 server access logs can only be delivered to SSE-S3 buckets.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            removal_policy=removal_policy,
            auto_delete_objects=auto_delete,
        )
        self.documents_bucket = s3.Bucket(
            self,
            "DocumentsBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=bucket_key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="documents/",
            # Upload events start the ingestion workflow through an EventBridge rule.
            event_bridge_enabled=True,
            lifecycle_rules=[
                s3.LifecycleRule(id="ExpireOldVersions", noncurrent_version_expiration=Duration.days(30)),
                s3.LifecycleRule(
                    id="AbortIncompleteUploads", abort_incomplete_multipart_upload_after=Duration.days(1)
                ),
                s3.LifecycleRule(
                    id="ExpireIngestionBatches", prefix=BATCHES_PREFIX, expiration=Duration.days(7)
                ),
            ],
            removal_policy=removal_policy,
            auto_delete_objects=auto_delete,
        )

    def object_arns(self, prefix: str) -> str:
        """ARN pattern of the documents bucket's objects under `prefix`."""
        return self.documents_bucket.arn_for_objects(f"{prefix}*")

    def _table(self, name: str) -> dynamodb.TableV2:
        return dynamodb.TableV2(
            self,
            f"{name}Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.customer_managed_key(self._table_key),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=self._protect,
            time_to_live_attribute=TTL_ATTRIBUTE,
            removal_policy=self._removal_policy,
        )
