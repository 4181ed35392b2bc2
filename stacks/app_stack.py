"""Stateless stack: functions, APIs, workflows, web hosting and monitoring.

Everything here can be destroyed and redeployed without losing data; it reads the stateful
resources through the `DataStack` it is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from stacks.config import DeploymentConfig
from stacks.constructs.api import RestApi
from stacks.constructs.functions import FunctionDefaults, FunctionFactory
from stacks.constructs.functions import log_retention as functions_log_retention
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
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        keys, tables = data.encryption, data.data
        removal_policy = RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY
        log_retention = functions_log_retention(config.log_retention_days)
        functions = FunctionFactory(
            self,
            "Functions",
            defaults=FunctionDefaults(
                code_dir=code_dir,
                architecture=config.lambda_architecture,
                powertools_version=config.powertools_version,
                logs_key=keys.logs_key,
                log_retention=log_retention,
                removal_policy=removal_policy,
                environment={
                    "LLM_PROVIDER": "bedrock",
                    "CONVERSATIONS_TABLE": tables.conversations_table.table_name,
                    "DOCUMENTS_TABLE": tables.documents_table.table_name,
                    "USAGE_TABLE": tables.usage_table.table_name,
                    "DOCUMENTS_BUCKET": tables.documents_bucket.bucket_name,
                    "BEDROCK_MODEL_ID": config.chat_model_id,
                    "BEDROCK_EXTRA_MODEL_IDS": json.dumps(list(config.extra_model_ids)),
                    "BEDROCK_FALLBACK_MODEL_ID": config.fallback_model_id,
                    "EMBEDDING_MODEL_ID": config.embedding_model_id,
                    "EMBEDDING_DIMENSIONS": str(config.embedding_dimensions),
                    "VECTOR_BACKEND": config.vector_backend,
                    "POWERTOOLS_METRICS_NAMESPACE": config.app_name,
                    "POWERTOOLS_LOG_LEVEL": "INFO",
                },
            ),
        )
        self.api_function = functions.function(
            self,
            "ApiFunction",
            handler="lambdas.handlers.api.handler",
            description="REST API: chat, conversations, documents",
            service="api",
        )
        tables.conversations_table.grant_read_write_data(self.api_function)
        tables.usage_table.grant_read_write_data(self.api_function)
        tables.documents_table.grant_read_write_data(self.api_function)

        self.rest_api = RestApi(
            self,
            "RestApi",
            handler=self.api_function,
            user_pool=data.auth.user_pool,
            cors_origins=config.cors_allowed_origins,
            rate_limit_rps=config.api_rate_limit_rps,
            burst_limit=config.api_burst_limit,
            waf_requests_per_5_minutes=config.waf_requests_per_5_minutes,
            logs_key=keys.logs_key,
            log_retention=log_retention,
        )
        CfnOutput(
            self, "ApiUrl", value=self.rest_api.api.url_for_path("/v1"), description="REST API base URL"
        )
        CfnOutput(self, "UserPoolId", value=data.auth.user_pool.user_pool_id)
