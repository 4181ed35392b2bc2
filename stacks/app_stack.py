"""Stateless stack: functions, APIs, workflows, web hosting and monitoring.

Everything here can be destroyed and redeployed without losing data; it reads the stateful
resources through the `DataStack` it is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.config import DeploymentConfig
from stacks.constructs.api import RestApi
from stacks.constructs.data import BATCHES_PREFIX, UPLOADS_PREFIX
from stacks.constructs.frontend import Frontend
from stacks.constructs.functions import FunctionDefaults, FunctionFactory, log_retention
from stacks.constructs.ingestion import Ingestion
from stacks.constructs.models import ModelAccess
from stacks.constructs.monitoring import MonitoredResources, Monitoring
from stacks.constructs.nag import acknowledge
from stacks.constructs.streaming import WebSocketChannel
from stacks.constructs.summaries import DocumentSummaries
from stacks.constructs.upload_sweep import UploadSweep
from stacks.constructs.vectors import VectorAccess
from stacks.data_stack import DataStack


class AppStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        data: DataStack,
        code_dir: Path,
        site_dir: Path,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        keys, store, vectors = data.encryption, data.data, data.vectors
        removal_policy = RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY
        retention = log_retention(config.log_retention_days)
        self.models = ModelAccess(self, "Models", config=config)
        functions = FunctionFactory(
            self,
            "Functions",
            defaults=FunctionDefaults(
                code_dir=code_dir,
                architecture=config.lambda_architecture,
                powertools_version=config.powertools_version,
                logs_key=keys.logs_key,
                log_retention=retention,
                removal_policy=removal_policy,
                environment={
                    "LLM_PROVIDER": "bedrock",
                    "CONVERSATIONS_TABLE": store.conversations_table.table_name,
                    "DOCUMENTS_TABLE": store.documents_table.table_name,
                    "USAGE_TABLE": store.usage_table.table_name,
                    "DOCUMENTS_BUCKET": store.documents_bucket.bucket_name,
                    "BEDROCK_MODEL_ID": config.chat_model_id,
                    "BEDROCK_EXTRA_MODEL_IDS": json.dumps(list(config.extra_model_ids)),
                    "BEDROCK_FALLBACK_MODEL_ID": config.fallback_model_id,
                    "EMBEDDING_MODEL_ID": config.embedding_model_id,
                    "EMBEDDING_DIMENSIONS": str(config.embedding_dimensions),
                    "VECTOR_BACKEND": config.vector_backend,
                    **vectors.environment(config),
                    **self.models.environment(),
                    "POWERTOOLS_METRICS_NAMESPACE": config.app_name,
                    "POWERTOOLS_LOG_LEVEL": "INFO",
                },
            ),
        )

        self.frontend = Frontend(
            self,
            "Frontend",
            access_logs_bucket=store.access_logs_bucket,
            removal_policy=removal_policy,
            sign_in_url=data.auth.hosted_ui_url,
        )
        self.web_client = data.auth.add_web_client(
            self,
            "WebClient",
            callback_urls=[self.frontend.url, *config.cors_allowed_origins],
        )

        # Chat: REST API and WebSocket stream.
        self.api_function = functions.function(
            self,
            "ApiFunction",
            handler="lambdas.handlers.api.handler",
            description="REST API: chat, conversations, documents",
            service="api",
            timeout_seconds=60,
        )
        self.stream_function = functions.function(
            self,
            "StreamFunction",
            handler="lambdas.handlers.stream.handler",
            description="WebSocket: streamed chat answers",
            service="stream",
            timeout_seconds=300,
        )
        self.ws_authorizer = functions.function(
            self,
            "WsAuthorizerFunction",
            handler="lambdas.handlers.ws_authorizer.handler",
            description="WebSocket $connect: verifies the Cognito token",
            service="ws-authorizer",
            environment={
                "USER_POOL_ID": data.auth.user_pool.user_pool_id,
                "USER_POOL_CLIENT_ID": self.web_client.user_pool_client_id,
            },
            memory_size=256,
            timeout_seconds=10,
        )
        for chat in (self.api_function, self.stream_function):
            store.conversations_table.grant_read_write_data(chat)
            store.usage_table.grant_read_write_data(chat)
            self.models.grant_chat(chat)
            self.models.grant_embeddings(chat)
            vectors.grant_read(chat)
        store.documents_table.grant_read_write_data(self.api_function)
        store.documents_table.grant_read_data(self.stream_function)
        # Presigned uploads into uploads/<owner>/..., and deletion of a user's documents.
        documents = DocumentObjects(data)
        documents.allow(self.api_function, UPLOADS_PREFIX, "s3:PutObject", "s3:DeleteObject")
        vectors.grant_delete(self.api_function)

        self.rest_api = RestApi(
            self,
            "RestApi",
            name=f"{config.deployment_name}-api",
            handler=self.api_function,
            user_pool=data.auth.user_pool,
            cors_origins=[self.frontend.url, *config.cors_allowed_origins],
            rate_limit_rps=config.api_rate_limit_rps,
            burst_limit=config.api_burst_limit,
            waf_requests_per_5_minutes=config.waf_requests_per_5_minutes,
            logs_key=keys.logs_key,
            log_retention=retention,
        )
        self.websocket = WebSocketChannel(
            self,
            "WebSocket",
            handler=self.stream_function,
            authorizer=self.ws_authorizer,
            rate_limit_rps=config.api_rate_limit_rps,
            burst_limit=config.api_burst_limit,
            logs_key=keys.logs_key,
            log_retention=retention,
        )
        self.stream_function.add_environment("WEBSOCKET_CALLBACK_URL", self.websocket.callback_url)

        # Ingestion workflow and its tasks.
        ingestion_role = iam.Role(
            self,
            "IngestionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Writes the vector index: index task and index custom resource",
        )
        extract = functions.function(
            self,
            "IngestExtractFunction",
            handler="lambdas.handlers.ingest_extract.handler",
            description="Ingestion: extract text and chunk into batches",
            service="ingestion",
            timeout_seconds=300,
            memory_size=1024,
        )
        embed = functions.function(
            self,
            "IngestEmbedFunction",
            handler="lambdas.handlers.ingest_embed.handler",
            description="Ingestion: embed one batch of chunks",
            service="ingestion",
            timeout_seconds=300,
        )
        index = functions.function(
            self,
            "IngestIndexFunction",
            handler="lambdas.handlers.ingest_index.handler",
            description="Ingestion: replace the document's chunks in the vector index",
            service="ingestion",
            timeout_seconds=300,
            role=ingestion_role,
        )
        self._grant_ingestion_tasks(data, documents, extract=extract, embed=embed, index=index)
        self.ingestion = Ingestion(
            self,
            "Ingestion",
            extract=extract,
            embed=embed,
            index=index,
            documents_table=store.documents_table,
            documents_bucket=store.documents_bucket,
            workflow_key=keys.workflow_key,
            logs_key=keys.logs_key,
            queue_key=keys.messaging_key,
            log_retention=retention,
            removal_policy=removal_policy,
        )
        self.summaries = DocumentSummaries(
            self,
            "Summaries",
            model_id=config.summary_model_id,
            ingestion=self.ingestion.state_machine,
            documents_table=store.documents_table,
            batch_objects_arn=documents.arn_under(BATCHES_PREFIX),
            storage_key=keys.storage_key,
            workflow_key=keys.workflow_key,
            logs_key=keys.logs_key,
            dead_letter_queue=self.ingestion.dead_letter_queue,
            log_retention=retention,
            removal_policy=removal_policy,
        )
        documents.acknowledge_prefix(self.summaries.state_machine.role, BATCHES_PREFIX)
        if vectors.collection is not None:
            index_resource = functions.function(
                self,
                "VectorIndexFunction",
                handler="lambdas.handlers.vector_index_resource.handler",
                description="Deploy time: creates the OpenSearch vector index",
                service="vector-index",
                timeout_seconds=600,
                memory_size=256,
                role=ingestion_role,
            )
            VectorAccess(
                self,
                "VectorAccess",
                store=vectors,
                config=config,
                readers=[_role(self.stream_function)],
                deleters=[_role(self.api_function)],
                ingestion_role=ingestion_role,
                index_function=index_resource,
            )

        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            topic_key=keys.messaging_key,
            resources=MonitoredResources(
                rest_api=self.rest_api.api,
                functions={
                    "Api": self.api_function,
                    "Stream": self.stream_function,
                    "WsAuthorizer": self.ws_authorizer,
                    "IngestExtract": extract,
                    "IngestEmbed": embed,
                    "IngestIndex": index,
                },
                state_machines={
                    "Ingestion": self.ingestion.state_machine,
                    "Summaries": self.summaries.state_machine,
                },
                dead_letter_queues={"WorkflowStart": self.ingestion.dead_letter_queue},
                model_ids=[*config.chat_model_ids, config.embedding_model_id, config.summary_model_id],
            ),
        )

        self.upload_sweep = UploadSweep(
            self,
            "UploadSweep",
            functions=functions,
            documents_table=store.documents_table,
            documents_bucket_arn=Fn.import_value(data.documents_bucket_arn_export),
        )
        self.frontend.deploy_site(site_dir, self._runtime_config(data))
        CfnOutput(self, "WebUrl", value=self.frontend.url, description="Web chat")
        CfnOutput(self, "UserPoolId", value=data.auth.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.web_client.user_pool_client_id)
        CfnOutput(
            self, "ApiUrl", value=self.rest_api.api.url_for_path("/v1"), description="REST API base URL"
        )
        CfnOutput(self, "WebSocketUrl", value=self.websocket.stage.url, description="Streaming endpoint")
        CfnOutput(self, "IngestionStateMachineArn", value=self.ingestion.state_machine.state_machine_arn)
        CfnOutput(
            self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn, description="Alarm notifications"
        )

    def _grant_ingestion_tasks(
        self,
        data: DataStack,
        documents: DocumentObjects,
        *,
        extract: lambda_.Function,
        embed: lambda_.Function,
        index: lambda_.Function,
    ) -> None:
        """Each ingestion task gets the objects, tables and models of its own step only."""
        documents.allow(extract, UPLOADS_PREFIX, "s3:GetObject")
        documents.allow(extract, BATCHES_PREFIX, "s3:PutObject")
        documents.allow(embed, BATCHES_PREFIX, "s3:GetObject", "s3:PutObject")
        documents.allow(index, BATCHES_PREFIX, "s3:GetObject")
        data.data.documents_table.grant_read_write_data(extract)
        self.models.grant_embeddings(embed)
        # Each embedded batch adds its tokens and cost to the owner's daily usage.
        data.data.usage_table.grant_write_data(embed)
        data.vectors.grant_write(index)

    def _runtime_config(self, data: DataStack) -> dict[str, str]:
        """The page's `config.json`: where the APIs are and how to sign in."""
        config = {
            "apiUrl": self.rest_api.api.url_for_path("/v1"),
            "webSocketUrl": self.websocket.stage.url,
            "region": self.region,
            "userPoolId": data.auth.user_pool.user_pool_id,
            "userPoolClientId": self.web_client.user_pool_client_id,
        }
        if data.auth.hosted_ui_url is not None:
            # With a domain the page signs in through the hosted UI (authorization code + PKCE).
            config["cognitoDomain"] = data.auth.hosted_ui_url
        return config


class DocumentObjects:
    """Grants on the documents bucket limited to exact actions under one key prefix."""

    def __init__(self, data: DataStack) -> None:
        self._export = data.documents_bucket_arn_export
        self._bucket_arn = Fn.import_value(self._export)
        self._key = data.encryption.storage_key

    def arn_under(self, prefix: str) -> str:
        return f"{self._bucket_arn}/{prefix}*"

    def allow(self, function: lambda_.Function, prefix: str, *actions: str) -> None:
        function.add_to_role_policy(
            iam.PolicyStatement(actions=list(actions), resources=[self.arn_under(prefix)])
        )
        if "s3:PutObject" in actions:
            self._key.grant_encrypt_decrypt(function)
        else:
            self._key.grant_decrypt(function)
        self.acknowledge_prefix(_role(function), prefix)

    def acknowledge_prefix(self, role: iam.IRole, prefix: str) -> None:
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{self._export}/{prefix}*]",
            f"Object keys under {prefix} are created at run time (owner and document ids); the grant "
            "names the exact S3 actions and only this prefix.",
        )


def _role(function: Any) -> iam.IRole:
    role = function.role
    assert role is not None
    return role  # type: ignore[no-any-return]
