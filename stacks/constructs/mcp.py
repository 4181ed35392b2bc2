"""The MCP endpoint: a function behind the REST API's `/mcp` route, and what it may reach.

The route shares the API's stage, so its WAF, throttling, usage plan, access logs and alarms.
It has no API Gateway authorizer: the function is the OAuth protected resource of the MCP
authorization spec and verifies Cognito access tokens itself, so that an unauthenticated
client gets the spec's 401 with `WWW-Authenticate: Bearer resource_metadata=...` (an API
Gateway authorizer answers a bare 401, which MCP clients cannot follow to the user pool).
The protected-resource metadata (RFC 9728) is public by definition.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_opensearchserverless as aoss
from constructs import Construct

from stacks.config import DeploymentConfig
from stacks.constructs.data import Data
from stacks.constructs.functions import FunctionFactory
from stacks.constructs.models import ModelAccess
from stacks.constructs.nag import acknowledge
from stacks.constructs.vectors import VectorStore

MCP_METHODS = ("POST", "GET", "DELETE")
"""POST carries every JSON-RPC message; the function answers GET and DELETE (stream, session end)
with 405, as the Streamable HTTP transport expects of a server without sessions."""
METADATA_PATH = (".well-known", "oauth-protected-resource", "mcp")


class McpEndpoint(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        functions: FunctionFactory,
        api: apigw.RestApi,
        data: Data,
        vectors: VectorStore,
        models: ModelAccess,
        user_pool: cognito.IUserPool,
        app_client: cognito.IUserPoolClient,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = functions.function(
            self,
            "Function",
            handler="lambdas.handlers.mcp.handler",
            description="MCP endpoint: the knowledge base and the assistant as tools",
            service="mcp",
            timeout_seconds=60,
            # A cold start imports the MCP SDK, CPU-bound (its protocol models): `python -X importtime`
            # measured 2.0 s against 0.2 s for the API handler on a shared 2-core machine; Lambda's
            # CPU share grows with memory.
            memory_size=1024,
            environment={
                "COGNITO_USER_POOL_ID": user_pool.user_pool_id,
                "COGNITO_APP_CLIENT_ID": app_client.user_pool_client_id,
            },
        )
        self._grant(config, data, vectors, models)
        self._routes(api)
        output = CfnOutput(self, "Url", value=api.url_for_path("/mcp"), description="MCP endpoint")
        output.override_logical_id("McpUrl")

    def _grant(self, config: DeploymentConfig, data: Data, vectors: VectorStore, models: ModelAccess) -> None:
        """What a chat turn needs (`ask`), and reading documents and chunks (the other tools)."""
        function = self.function
        data.conversations_table.grant_read_write_data(function)
        # Rate-limit buckets and the per-turn usage aggregates.
        data.usage_table.grant_read_write_data(function)
        data.documents_table.grant_read_data(function)
        models.grant_chat(function)
        models.grant_embeddings(function)
        vectors.grant_read(function)
        if vectors.collection is not None:
            self._opensearch_read_access(config, vectors, function)

    def _opensearch_read_access(
        self, config: DeploymentConfig, vectors: VectorStore, function: lambda_.Function
    ) -> None:
        """A data-access policy of its own, so the endpoint reads chunks without `VectorAccess`
        knowing about it (policy names are at most 32 characters)."""
        name = vectors.collection_name
        assert function.role is not None
        aoss.CfnAccessPolicy(
            self,
            "ChunkReadPolicy",
            name=f"{name[:28]}-mcp",
            type="data",
            policy=Stack.of(self).to_json_string(
                [
                    {
                        "Description": "MCP: read chunks",
                        "Rules": [
                            {
                                "ResourceType": "index",
                                "Resource": [f"index/{name}/{config.opensearch_index}"],
                                "Permission": ["aoss:ReadDocument", "aoss:DescribeIndex"],
                            }
                        ],
                        "Principal": [function.role.role_arn],
                    }
                ]
            ),
        )

    def _routes(self, api: apigw.RestApi) -> None:
        integration = apigw.LambdaIntegration(self.function)
        endpoint = api.root.add_resource("mcp")
        metadata = api.root
        for part in METADATA_PATH:
            metadata = metadata.get_resource(part) or metadata.add_resource(part)
        methods = [endpoint.add_method(method, integration) for method in MCP_METHODS]
        methods.append(metadata.add_method("GET", integration))
        for method in methods:
            for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                acknowledge(
                    method,
                    rule,
                    "The function verifies the Cognito access token itself (RS256 against the pool's "
                    "JWKS, issuer, expiry, token use and app client) to answer the MCP authorization "
                    "spec's 401 with resource metadata; the metadata document is public by RFC 9728. "
                    "The stage's WAF and throttling apply.",
                )
