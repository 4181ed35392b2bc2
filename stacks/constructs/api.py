"""REST API: Cognito-authorized proxy to the API function, with WAF, throttling and access logs.

Only `/v1/health` and `/v1/openapi.json` are public; every other path goes through the
`/v1/{proxy+}` resource, which requires a user-pool token.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct, IConstruct

from stacks.constructs.nag import acknowledge

PUBLIC_PATHS = ("health", "openapi.json")


class RestApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        handler: lambda_.IFunction,
        user_pool: cognito.IUserPool,
        cors_origins: Sequence[str],
        rate_limit_rps: int,
        burst_limit: int,
        waf_requests_per_5_minutes: int,
        logs_key: kms.IKey,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        access_logs = logs.LogGroup(self, "AccessLogs", encryption_key=logs_key, retention=log_retention)
        self.api = apigw.RestApi(
            self,
            "Api",
            # The API's metrics are keyed by this name: unique per deployment in an account.
            rest_api_name=name,
            description="Chat and document API",
            cloud_watch_role=True,
            endpoint_types=[apigw.EndpointType.REGIONAL],
            deploy_options=apigw.StageOptions(
                stage_name="prod",
                tracing_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                throttling_rate_limit=rate_limit_rps,
                throttling_burst_limit=burst_limit,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=list(cors_origins),
                allow_methods=apigw.Cors.ALL_METHODS,
                allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            )
            if cors_origins
            else None,
        )
        acknowledge(
            self.api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-level role API Gateway uses to write execution logs; AWS maintains this "
            "narrowly scoped managed policy.",
        )
        account = self.api.node.try_find_child("Account")
        assert account is not None, "cloud_watch_role=True creates the API Gateway account setting"
        # API Gateway's account-wide CloudWatch Logs role: any access-logged stage (REST or
        # WebSocket) must be created after it, or the first deployment in a region fails.
        self.cloud_watch_account: IConstruct = account
        authorizer = apigw.CognitoUserPoolsAuthorizer(self, "Authorizer", cognito_user_pools=[user_pool])
        validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        integration = apigw.LambdaIntegration(handler)
        v1 = self.api.root.add_resource("v1")
        for path in PUBLIC_PATHS:
            method = v1.add_resource(path).add_method("GET", integration, request_validator=validator)
            for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                acknowledge(
                    method,
                    rule,
                    f"/v1/{path} is public by design (health probe, API description); it returns no "
                    "user data and is rate-limited by the stage throttle and WAF.",
                )
        v1.add_proxy(
            default_integration=integration,
            any_method=True,
            default_method_options=apigw.MethodOptions(
                authorizer=authorizer,
                authorization_type=apigw.AuthorizationType.COGNITO,
                request_validator=validator,
            ),
        )
        self.usage_plan = self.api.add_usage_plan(
            "UsagePlan",
            description="Default per-stage throttle and daily quota",
            throttle=apigw.ThrottleSettings(rate_limit=rate_limit_rps, burst_limit=burst_limit),
            quota=apigw.QuotaSettings(limit=100_000, period=apigw.Period.DAY),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
        )
        self.web_acl = regional_web_acl(self, "WebAcl", waf_requests_per_5_minutes)
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )


def regional_web_acl(scope: Construct, construct_id: str, requests_per_5_minutes: int) -> wafv2.CfnWebACL:
    """AWS managed rule groups plus a per-IP rate limit."""
    managed = [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ]
    rules = [
        wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=name
                )
            ),
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            visibility_config=_visibility(name),
        )
        for priority, name in enumerate(managed)
    ]
    rules.append(
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerIp",
            priority=len(managed),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=requests_per_5_minutes, aggregate_key_type="IP"
                )
            ),
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            visibility_config=_visibility("RateLimitPerIp"),
        )
    )
    return wafv2.CfnWebACL(
        scope,
        construct_id,
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=_visibility(construct_id),
        rules=rules,
    )


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )
