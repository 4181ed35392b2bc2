"""Document ingestion on Step Functions, started by the upload event.

    ParseUpload -> MarkProcessing -> Extract -> EmbedBatches (Map, 4 at a time) -> Index -> MarkReady
                        \\____________ any error ____________/                        -> MarkFailed -> Failed

The document id and owner come from the object key (`uploads/<owner>/<document id>/<file>`), so
even a failure of the first task is recorded on the right document. Status updates are
DynamoDB service integrations: no function is needed to write a status.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.constructs.data import UPLOADS_PREFIX
from stacks.constructs.nag import acknowledge, logical_arn
from stacks.constructs.workflows import encrypted_state_machine, start_on_event

THROTTLED_ERROR = "ModelThrottled"
EMBED_CONCURRENCY = 4
FAILURE_REASON = "ingestion failed ({}); try uploading the file again"


class Ingestion(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        extract: lambda_.IFunction,
        embed: lambda_.IFunction,
        index: lambda_.IFunction,
        documents_table: dynamodb.ITableV2,
        documents_bucket: s3.IBucket,
        workflow_key: kms.IKey,
        logs_key: kms.IKey,
        queue_key: kms.IKey,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self._table = documents_table
        parse = sfn.Pass(
            self,
            "ParseUpload",
            parameters={
                "bucket.$": "$.detail.bucket.name",
                "key.$": "$.detail.object.key",
                "owner.$": "States.ArrayGetItem(States.StringSplit($.detail.object.key, '/'), 1)",
                "document_id.$": "States.ArrayGetItem(States.StringSplit($.detail.object.key, '/'), 2)",
            },
            result_path="$.upload",
        )
        processing = self._set_status("MarkProcessing", "PROCESSING")
        extract_task = tasks.LambdaInvoke(
            self,
            "Extract",
            lambda_function=extract,
            payload=sfn.TaskInput.from_object({"bucket.$": "$.upload.bucket", "key.$": "$.upload.key"}),
            payload_response_only=True,
            result_path="$.extracted",
            task_timeout=sfn.Timeout.duration(Duration.minutes(5)),
        )
        embed_task = tasks.LambdaInvoke(
            self,
            "EmbedBatch",
            lambda_function=embed,
            payload_response_only=True,
            task_timeout=sfn.Timeout.duration(Duration.minutes(5)),
        )
        embed_task.add_retry(
            errors=[THROTTLED_ERROR],
            interval=Duration.seconds(2),
            backoff_rate=2,
            max_attempts=6,
            max_delay=Duration.seconds(60),
            jitter_strategy=sfn.JitterType.FULL,
        )
        embed_batches = sfn.Map(
            self,
            "EmbedBatches",
            items_path="$.extracted.batches",
            max_concurrency=EMBED_CONCURRENCY,
            result_path=sfn.JsonPath.DISCARD,
        ).item_processor(embed_task)
        index_task = tasks.LambdaInvoke(
            self,
            "Index",
            lambda_function=index,
            input_path="$.extracted",
            payload_response_only=True,
            result_path="$.indexed",
            task_timeout=sfn.Timeout.duration(Duration.minutes(5)),
        )
        ready = self._set_status(
            "MarkReady",
            "READY",
            chunk_count=tasks.DynamoAttributeValue.number_from_string(
                sfn.JsonPath.format("{}", sfn.JsonPath.string_at("$.indexed.chunk_count"))
            ),
        )
        # The error name only: a task's Cause carries its stack trace, which stays in the execution
        # history for operators and is never shown to the document's owner.
        failed = self._set_status(
            "MarkFailed",
            "FAILED",
            reason=tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.format(FAILURE_REASON, sfn.JsonPath.string_at("$.error.Error"))
            ),
        ).next(sfn.Fail(self, "Failed", cause_path="$.error.Cause", error_path="$.error.Error"))
        for step in (processing, extract_task, embed_batches, index_task, ready):
            step.add_catch(failed, errors=["States.ALL"], result_path="$.error")

        definition = (
            parse.next(processing)
            .next(extract_task)
            .next(embed_batches)
            .next(index_task)
            .next(ready)
            .next(sfn.Succeed(self, "Indexed"))
        )
        self.state_machine = encrypted_state_machine(
            self,
            name=name,
            comment="Extract, chunk, embed and index an uploaded document",
            definition=definition,
            timeout=Duration.hours(1),
            workflow_key=workflow_key,
            logs_key=logs_key,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        self.dead_letter_queue = sqs.Queue(
            self,
            "StartFailures",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=queue_key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the upload rule's target.",
        )
        self.upload_rule = events.Rule(
            self,
            "OnUpload",
            description="Start ingestion when a document is uploaded",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [documents_bucket.bucket_name]},
                    "object": {"key": [{"prefix": UPLOADS_PREFIX}]},
                },
            ),
            targets=[
                start_on_event(
                    self,
                    self.state_machine,
                    workflow_key=workflow_key,
                    dead_letter_queue=self.dead_letter_queue,
                )
            ],
        )
        for function in (extract, embed, index):
            acknowledge(
                self.state_machine,
                f"AwsSolutions-IAM5[Resource::{logical_arn(function)}:*]",
                "Step Functions invokes a specific version or alias of the task function ('<arn>:*').",
            )

    def _set_status(
        self,
        state_name: str,
        status: str,
        *,
        chunk_count: tasks.DynamoAttributeValue | None = None,
        reason: tasks.DynamoAttributeValue | None = None,
    ) -> tasks.DynamoUpdateItem:
        assignments = ["#status = :status", "updated_at = :now", "reason = :reason"]
        values = {
            ":status": tasks.DynamoAttributeValue.from_string(status),
            ":now": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$$.State.EnteredTime")),
            ":reason": reason or tasks.DynamoAttributeValue.from_string(""),
        }
        if chunk_count is not None:
            assignments.append("chunk_count = :chunks")
            values[":chunks"] = chunk_count
        return tasks.DynamoUpdateItem(
            self,
            state_name,
            table=self._table,
            key={
                "pk": tasks.DynamoAttributeValue.from_string(
                    sfn.JsonPath.format("USER#{}", sfn.JsonPath.string_at("$.upload.owner"))
                ),
                "sk": tasks.DynamoAttributeValue.from_string(
                    sfn.JsonPath.format("DOC#{}", sfn.JsonPath.string_at("$.upload.document_id"))
                ),
            },
            # A document deleted while it was being ingested stays deleted.
            condition_expression="attribute_exists(pk)",
            update_expression="SET " + ", ".join(assignments),
            expression_attribute_names={"#status": "status"},
            expression_attribute_values=values,
            result_path=sfn.JsonPath.DISCARD,
        )
