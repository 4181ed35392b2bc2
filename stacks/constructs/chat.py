"""The chat functions: REST API handler, WebSocket stream handler and its `$connect` authorizer,
each with exactly the data, model and vector grants its requests need."""

from __future__ import annotations

from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.constructs.data import BATCHES_PREFIX, UPLOADS_PREFIX, Data
from stacks.constructs.documents import DocumentObjects
from stacks.constructs.functions import FunctionFactory
from stacks.constructs.models import ModelAccess
from stacks.constructs.vectors import VectorStore


class ChatFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: FunctionFactory,
        store: Data,
        documents: DocumentObjects,
        vectors: VectorStore,
        models: ModelAccess,
        user_pool: cognito.IUserPool,
        web_client: cognito.IUserPoolClient,
    ) -> None:
        super().__init__(scope, construct_id)
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
                "COGNITO_USER_POOL_ID": user_pool.user_pool_id,
                "COGNITO_APP_CLIENT_ID": web_client.user_pool_client_id,
            },
            memory_size=256,
            timeout_seconds=10,
        )
        for chat in (self.api_function, self.stream_function):
            store.conversations_table.grant_read_write_data(chat)
            store.usage_table.grant_read_write_data(chat)
            models.grant_chat(chat)
            models.grant_embeddings(chat)
            vectors.grant_read(chat)
        store.documents_table.grant_read_write_data(self.api_function)
        store.documents_table.grant_read_data(self.stream_function)
        # Presigned uploads into uploads/<owner>/..., and deletion of a user's documents: the
        # upload and the ingestion batches are listed under the document's prefix and deleted.
        documents.allow(self.api_function, UPLOADS_PREFIX, "s3:PutObject", "s3:DeleteObject")
        documents.allow(self.api_function, BATCHES_PREFIX, "s3:DeleteObject")
        documents.allow_listing(self.api_function, UPLOADS_PREFIX, BATCHES_PREFIX)
        vectors.grant_delete(self.api_function)

    @property
    def functions(self) -> dict[str, lambda_.Function]:
        """Monitoring name -> function."""
        return {"Api": self.api_function, "Stream": self.stream_function, "WsAuthorizer": self.ws_authorizer}
