"""Stateless stack: functions, APIs, workflows, web hosting and monitoring.

Everything here can be destroyed and redeployed without losing data; it reads the stateful
resources through the `DataStack` it is given. Each concern is one construct; this stack only
composes them and publishes the outputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Fn, RemovalPolicy, Stack
from constructs import Construct

from stacks.config import DeploymentConfig
from stacks.constructs.api import RestApi
from stacks.constructs.chat import ChatFunctions
from stacks.constructs.data import BATCHES_PREFIX
from stacks.constructs.documents import DocumentObjects, role_of
from stacks.constructs.frontend import Frontend
from stacks.constructs.functions import FunctionDefaults, FunctionFactory, log_retention
from stacks.constructs.ingestion import Ingestion
from stacks.constructs.ingestion_tasks import IngestionTasks
from stacks.constructs.mcp import McpEndpoint
from stacks.constructs.models import ModelAccess
from stacks.constructs.monitoring import MonitoredResources, Monitoring
from stacks.constructs.streaming import WebSocketChannel
from stacks.constructs.summaries import DocumentSummaries
from stacks.constructs.upload_sweep import UploadSweep
from stacks.constructs.vectors import IndexProviderKeys, VectorAccess
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
                environment=function_environment(config, data, self.models),
                operator_settings=config.function_settings,
            ),
        )
        documents = DocumentObjects(bucket_arn_export=data.documents_bucket_arn_export, key=keys.storage_key)

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

        self.chat = ChatFunctions(
            self,
            "Chat",
            functions=functions,
            store=store,
            documents=documents,
            vectors=vectors,
            models=self.models,
            user_pool=data.auth.user_pool,
            web_client=self.web_client,
        )
        self.rest_api = RestApi(
            self,
            "RestApi",
            name=f"{config.deployment_name}-api",
            handler=self.chat.api_function,
            user_pool=data.auth.user_pool,
            cors_origins=[self.frontend.url, *config.cors_allowed_origins],
            rate_limit_rps=config.api_rate_limit_rps,
            burst_limit=config.api_burst_limit,
            waf_requests_per_5_minutes=config.waf_requests_per_5_minutes,
            logs_key=keys.logs_key,
            log_retention=retention,
            removal_policy=removal_policy,
        )
        self.websocket = WebSocketChannel(
            self,
            "WebSocket",
            handler=self.chat.stream_function,
            authorizer=self.chat.ws_authorizer,
            rate_limit_rps=config.api_rate_limit_rps,
            burst_limit=config.api_burst_limit,
            logs_key=keys.logs_key,
            log_retention=retention,
            removal_policy=removal_policy,
            cloud_watch_account=self.rest_api.cloud_watch_account,
        )
        self.chat.stream_function.add_environment("WEBSOCKET_CALLBACK_URL", self.websocket.callback_url)

        self.ingestion_tasks = IngestionTasks(
            self,
            "Ingest",
            functions=functions,
            store=store,
            documents=documents,
            vectors=vectors,
            models=self.models,
        )
        self.ingestion = Ingestion(
            self,
            "Ingestion",
            name=f"{config.deployment_name}-ingestion",
            extract=self.ingestion_tasks.extract,
            embed=self.ingestion_tasks.embed,
            index=self.ingestion_tasks.index,
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
            name=f"{config.deployment_name}-summaries",
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
            VectorAccess(
                self,
                "VectorAccess",
                store=vectors,
                config=config,
                readers=[role_of(self.chat.stream_function)],
                deleters=[role_of(self.chat.api_function)],
                index_writer_role=self.ingestion_tasks.index_writer_role,
                functions=functions,
                keys=IndexProviderKeys(logs=keys.logs_key, workflow=keys.workflow_key),
                log_retention=retention,
                removal_policy=removal_policy,
            )

        self.mcp = McpEndpoint(
            self,
            "Mcp",
            config=config,
            functions=functions,
            api=self.rest_api.api,
            data=store,
            vectors=vectors,
            models=self.models,
            user_pool=data.auth.user_pool,
            app_client=self.web_client,
        )
        self.upload_sweep = UploadSweep(
            self,
            "UploadSweep",
            functions=functions,
            documents_table=store.documents_table,
            documents_bucket_arn=Fn.import_value(data.documents_bucket_arn_export),
        )

        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            topic_key=keys.messaging_key,
            resources=MonitoredResources(
                rest_api=self.rest_api.api,
                functions={
                    **self.chat.functions,
                    **self.ingestion_tasks.functions,
                    "Mcp": self.mcp.function,
                    "UploadSweep": self.upload_sweep.function,
                },
                state_machines={
                    "Ingestion": self.ingestion.state_machine,
                    "Summaries": self.summaries.state_machine,
                },
                dead_letter_queues={"WorkflowStart": self.ingestion.dead_letter_queue},
                model_ids=[*config.chat_model_ids, config.embedding_model_id, config.summary_model_id],
                turn_log_groups=[self.chat.api_function.log_group, self.chat.stream_function.log_group],
            ),
        )

        self.frontend.deploy_site(site_dir, self._runtime_config(data))
        self._outputs(data)

    def _outputs(self, data: DataStack) -> None:
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


def function_environment(config: DeploymentConfig, data: DataStack, models: ModelAccess) -> dict[str, str]:
    """The environment every application function shares: where the data is and which models."""
    store = data.data
    return {
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
        **data.vectors.environment(config),
        **models.environment(),
        "POWERTOOLS_METRICS_NAMESPACE": config.app_name,
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
