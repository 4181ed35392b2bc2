"""WebSocket API for streamed answers.

WebSocket APIs accept no Cognito user-pool authorizer, so `$connect` runs a Lambda REQUEST
authorizer that verifies the user-pool token passed as the `token` query parameter. The stage
is throttled and access-logged like the REST API. AWS WAF cannot be associated with WebSocket
APIs; the authorizer runs before any message is accepted and the stage throttle bounds abuse.
"""

from __future__ import annotations

import json

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from stacks.constructs.nag import acknowledge, logical_ref, partition_account_and_region

STAGE_NAME = "prod"
_ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "eventType": "$context.eventType",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "connectionId": "$context.connectionId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "user": "$context.authorizer.principalId",
    "error": "$context.error.message",
    "authorizerError": "$context.authorizer.error",
}


class WebSocketChannel(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction,
        authorizer: lambda_.IFunction,
        rate_limit_rps: int,
        burst_limit: int,
        logs_key: kms.IKey,
        log_retention: logs.RetentionDays,
        cloud_watch_account: IConstruct,
    ) -> None:
        """`cloud_watch_account`: API Gateway's account-wide CloudWatch Logs role setting, which an
        access-logged stage needs in place before it is created."""
        super().__init__(scope, construct_id)
        integration = integrations.WebSocketLambdaIntegration("Stream", handler)
        self.api = apigwv2.WebSocketApi(
            self,
            "Api",
            description="Streamed chat answers",
            connect_route_options=apigwv2.WebSocketRouteOptions(
                integration=integration,
                authorizer=authorizers.WebSocketLambdaAuthorizer(
                    "TokenAuthorizer", authorizer, identity_source=["route.request.querystring.token"]
                ),
            ),
            disconnect_route_options=apigwv2.WebSocketRouteOptions(integration=integration),
            default_route_options=apigwv2.WebSocketRouteOptions(integration=integration),
        )
        access_logs = logs.LogGroup(self, "AccessLogs", encryption_key=logs_key, retention=log_retention)
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=STAGE_NAME,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=rate_limit_rps, burst_limit=burst_limit),
        )
        cfn_stage = self.stage.node.default_child
        assert isinstance(cfn_stage, apigwv2.CfnStage)
        cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn, format=json.dumps(_ACCESS_LOG_FIELDS)
        )
        self.stage.node.add_dependency(cloud_watch_account)
        # Only the connections of this API's stage, not every API in the account.
        handler.add_to_role_policy(
            iam.PolicyStatement(
                actions=["execute-api:ManageConnections"],
                resources=[self.api.arn_for_execute_api_v2(stage=STAGE_NAME, route="POST/@connections/*")],
            )
        )
        partition, account, region = partition_account_and_region(self)
        assert handler.role is not None
        acknowledge(
            handler.role,
            f"AwsSolutions-IAM5[Resource::arn:{partition}:execute-api:"
            f"{region}:{account}:{logical_ref(self.api)}/{STAGE_NAME}/POST/@connections/*]",
            "Posting to a connection needs its id, known only at run time; the grant is limited to "
            "this API's stage.",
        )
        for route in ("$disconnect", "$default"):
            acknowledge(
                self.api.node.find_child(f"{route}-Route"),
                "AwsSolutions-APIG4",
                f"The {route} route only exists on connections that passed the $connect authorizer.",
            )

    @property
    def callback_url(self) -> str:
        return self.stage.callback_url
