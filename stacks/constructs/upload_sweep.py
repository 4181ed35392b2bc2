"""The upload sweep: a scheduled function that fails uploads which never arrived.

A document is recorded PENDING when its presigned upload form is handed out. If the file
never reaches the bucket (never sent, refused for its size or type, sent after the form
expired) nothing else would ever settle it; every `rate` the sweep marks such documents
FAILED with a reason (`DocumentService.fail_abandoned_uploads`, the same code local mode runs).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.constructs.data import UPLOADS_PREFIX
from stacks.constructs.functions import FunctionFactory

SWEEP_RATE = Duration.minutes(15)


class UploadSweep(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: FunctionFactory,
        documents_table: dynamodb.ITableV2,
        documents_bucket_arn: str,
        rate: Duration = SWEEP_RATE,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function: lambda_.Function = functions.function(
            self,
            "Function",
            handler="lambdas.handlers.upload_sweep.handler",
            description="Marks FAILED the uploads that never arrived before their form expired",
            service="upload-sweep",
            timeout_seconds=120,
            memory_size=256,
        )
        # Exactly what the sweep does: scan for stale PENDING records, update them, and
        # look whether an upload's object exists (a listing limited to the uploads prefix).
        documents_table.grant(self.function, "dynamodb:Scan", "dynamodb:UpdateItem")
        if documents_table.encryption_key is not None:
            documents_table.encryption_key.grant_encrypt_decrypt(self.function)
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[documents_bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{UPLOADS_PREFIX}*"]}},
            )
        )
        self.rule = events.Rule(
            self,
            "Schedule",
            description="Runs the upload sweep",
            schedule=events.Schedule.rate(rate),
            targets=[targets.LambdaFunction(self.function, retry_attempts=2)],
        )
