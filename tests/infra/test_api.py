"""The REST API: every method authorized except the two public ones, behind WAF, throttled, logged."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from tests.infra.conftest import Synthesized, resources_of

# `/mcp` and its `/.well-known/oauth-protected-resource/mcp` metadata: the MCP function checks
# tokens itself (tests/infra/test_mcp.py).
PUBLIC = {"health", "openapi.json", "mcp"}


def test_every_method_except_health_and_openapi_uses_the_cognito_authorizer(dev: Synthesized) -> None:
    resources = resources_of(dev.app_json, "AWS::ApiGateway::Resource")
    methods = resources_of(dev.app_json, "AWS::ApiGateway::Method")
    unauthorized = set()
    for method in methods.values():
        props = method["Properties"]
        if props["HttpMethod"] == "OPTIONS":
            continue
        path_part = resources[props["ResourceId"]["Ref"]]["Properties"]["PathPart"]
        if props["AuthorizationType"] != "COGNITO_USER_POOLS":
            unauthorized.add(path_part)
    assert unauthorized == PUBLIC


def test_stage_has_tracing_throttling_and_access_logs(dev: Synthesized) -> None:
    dev.app.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "TracingEnabled": True,
            "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
            "MethodSettings": Match.array_with(
                [Match.object_like({"ThrottlingRateLimit": 20, "ThrottlingBurstLimit": 40})]
            ),
        },
    )


def test_usage_plan_throttles_the_stage(dev: Synthesized) -> None:
    dev.app.has_resource_properties(
        "AWS::ApiGateway::UsagePlan",
        {"Throttle": {"RateLimit": 20, "BurstLimit": 40}, "ApiStages": Match.any_value()},
    )


def test_waf_with_managed_rules_and_rate_limit_is_associated_with_the_stage(dev: Synthesized) -> None:
    acls = resources_of(dev.app_json, "AWS::WAFv2::WebACL")
    regional = [acl for acl in acls.values() if acl["Properties"]["Scope"] == "REGIONAL"]
    assert len(regional) == 1
    rules = regional[0]["Properties"]["Rules"]
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in rules
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= managed
    assert any("RateBasedStatement" in r["Statement"] for r in rules)
    dev.app.has_resource_properties(
        "AWS::WAFv2::WebACLAssociation",
        {"ResourceArn": Match.any_value(), "WebACLArn": Match.any_value()},
    )


def test_request_validation_is_enabled(dev: Synthesized) -> None:
    dev.app.has_resource_properties(
        "AWS::ApiGateway::RequestValidator", {"ValidateRequestBody": True, "ValidateRequestParameters": True}
    )


def test_websocket_connect_requires_the_token_authorizer(dev: Synthesized) -> None:
    routes = {
        route["Properties"]["RouteKey"]: route["Properties"]
        for route in resources_of(dev.app_json, "AWS::ApiGatewayV2::Route").values()
    }
    connect = routes["$connect"]
    assert connect["AuthorizationType"] == "CUSTOM"
    authorizer = resources_of(dev.app_json, "AWS::ApiGatewayV2::Authorizer")[connect["AuthorizerId"]["Ref"]]
    assert authorizer["Properties"]["AuthorizerType"] == "REQUEST"
    assert authorizer["Properties"]["IdentitySource"] == ["route.request.querystring.token"]
    assert "WsAuthorizerFunction" in str(authorizer["Properties"]["AuthorizerUri"])


def test_websocket_stage_is_throttled_and_access_logged(dev: Synthesized) -> None:
    dev.app.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "DefaultRouteSettings": Match.object_like(
                {"ThrottlingRateLimit": 20, "ThrottlingBurstLimit": 40}
            ),
            "AccessLogSettings": Match.object_like({"DestinationArn": Match.any_value()}),
        },
    )


@pytest.mark.parametrize("stage_type", ["AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"])
def test_access_logged_stages_are_created_after_the_api_gateway_logging_role(
    dev: Synthesized, stage_type: str
) -> None:
    (account,) = resources_of(dev.app_json, "AWS::ApiGateway::Account")
    logged_stages = [
        stage
        for stage in resources_of(dev.app_json, stage_type).values()
        if "AccessLogSetting" in stage["Properties"] or "AccessLogSettings" in stage["Properties"]
    ]
    assert logged_stages
    for stage in logged_stages:
        assert account in stage.get("DependsOn", [])
