"""Document summaries: Step Functions calling Bedrock directly, no function in between.

    ingestion SUCCEEDED event -> ReadIngestionResult -> HasText? -> ReadFirstBatch (S3 GetObject)
        -> CollectPassages -> Summarise (bedrock:invokeModel, retried on throttling)
        -> SaveSummary (DynamoDB UpdateItem)

It starts from the ingestion workflow's own "execution succeeded" event, so ingestion never waits
for (or fails because of) a summary. The request body is the Amazon Nova messages format, which
is why the summary model must be a Nova model (`DeploymentConfig` checks it).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.constructs.nag import acknowledge
from stacks.constructs.workflows import encrypted_state_machine, start_on_event

BEDROCK_RETRYABLE_ERRORS = (
    "Bedrock.ThrottlingException",
    "Bedrock.ModelNotReadyException",
    "Bedrock.ServiceUnavailableException",
)
SUMMARY_MAX_TOKENS = 300
_PROMPT = (
    "Summarise the document these opening passages come from in at most three sentences, "
    "in the language of the passages. Passages (JSON list): {}"
)


class DocumentSummaries(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        model_id: str,
        ingestion: sfn.IStateMachine,
        documents_table: dynamodb.ITableV2,
        batch_objects_arn: str,
        storage_key: kms.IKey,
        workflow_key: kms.IKey,
        logs_key: kms.IKey,
        dead_letter_queue: sqs.IQueue,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        read_result = sfn.Pass(
            self,
            "ReadIngestionResult",
            parameters={"ingestion.$": "States.StringToJson($.detail.output)"},
        )
        read_batch = tasks.CallAwsService(
            self,
            "ReadFirstBatch",
            service="s3",
            action="getObject",
            parameters={
                "Bucket.$": "$.ingestion.upload.bucket",
                "Key.$": "$.ingestion.extracted.batches[0].key",
            },
            iam_resources=[batch_objects_arn],
            result_selector={"chunks.$": "States.StringToJson($.Body)"},
            result_path="$.batch",
        )
        # Intrinsic functions take single-node paths only, so the passages are gathered first.
        collect = sfn.Pass(
            self,
            "CollectPassages",
            parameters={"ingestion.$": "$.ingestion", "passages.$": "$.batch.chunks.chunks[*].text"},
        )
        summarise = tasks.BedrockInvokeModel(
            self,
            "Summarise",
            model=bedrock.FoundationModel.from_foundation_model_id(
                self, "Model", bedrock.FoundationModelIdentifier(model_id)
            ),
            body=sfn.TaskInput.from_object(
                {
                    "messages": [
                        {
                            "role": "user",
                            "content": [
                                {"text": sfn.JsonPath.format(_PROMPT, sfn.JsonPath.string_at("$.passages"))}
                            ],
                        }
                    ],
                    "inferenceConfig": {"maxTokens": SUMMARY_MAX_TOKENS, "temperature": 0.2},
                }
            ),
            result_selector={"text.$": "$.Body.output.message.content[0].text"},
            result_path="$.summary",
            task_timeout=sfn.Timeout.duration(Duration.minutes(2)),
        )
        summarise.add_retry(
            errors=list(BEDROCK_RETRYABLE_ERRORS),
            interval=Duration.seconds(5),
            backoff_rate=2,
            max_attempts=5,
            max_delay=Duration.minutes(1),
            jitter_strategy=sfn.JitterType.FULL,
        )
        save = tasks.DynamoUpdateItem(
            self,
            "SaveSummary",
            table=documents_table,
            key={
                "pk": tasks.DynamoAttributeValue.from_string(
                    sfn.JsonPath.format("USER#{}", sfn.JsonPath.string_at("$.ingestion.upload.owner"))
                ),
                "sk": tasks.DynamoAttributeValue.from_string(
                    sfn.JsonPath.format("DOC#{}", sfn.JsonPath.string_at("$.ingestion.upload.document_id"))
                ),
            },
            condition_expression="attribute_exists(pk)",
            update_expression="SET summary = :summary",
            expression_attribute_values={
                ":summary": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$.summary.text"))
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        has_text = (
            sfn.Choice(self, "HasText")
            .when(
                sfn.Condition.is_present("$.ingestion.extracted.batches[0]"),
                read_batch.next(collect).next(summarise).next(save),
            )
            .otherwise(sfn.Succeed(self, "NothingToSummarise"))
        )
        self.state_machine = encrypted_state_machine(
            self,
            name=name,
            comment="Summarise an ingested document with Bedrock",
            definition=read_result.next(has_text),
            timeout=Duration.minutes(15),
            workflow_key=workflow_key,
            logs_key=logs_key,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        storage_key.grant_decrypt(self.state_machine)
        events.Rule(
            self,
            "OnDocumentIngested",
            description="Summarise each document the ingestion workflow indexed",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={"status": ["SUCCEEDED"], "stateMachineArn": [ingestion.state_machine_arn]},
            ),
            targets=[
                start_on_event(
                    self, self.state_machine, workflow_key=workflow_key, dead_letter_queue=dead_letter_queue
                )
            ],
        )
        _acknowledge_wildcards(self.state_machine)


def _acknowledge_wildcards(state_machine: sfn.StateMachine) -> None:
    for action in ("kms:ReEncrypt*", "kms:GenerateDataKey*"):
        acknowledge(
            state_machine,
            f"AwsSolutions-IAM5[Action::{action}]",
            "CDK's grant on the one named workflow key; the wildcard covers only the variants of "
            "that single KMS operation.",
        )
