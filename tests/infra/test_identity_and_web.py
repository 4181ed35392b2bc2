"""Cognito sign-in (the page's own form, or the hosted UI with federation) and the CloudFront site:
private origin, security headers."""

from __future__ import annotations

import json
import re
from typing import Any

from aws_cdk.assertions import Match

from tests.infra.conftest import Synthesized, resources_of


def test_self_signup_is_off_and_mfa_optional_by_default(dev: Synthesized) -> None:
    dev.data.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "AdminCreateUserConfig": Match.object_like({"AllowAdminCreateUserOnly": True}),
            "MfaConfiguration": "OPTIONAL",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
        },
    )


def test_web_client_has_no_secret(dev: Synthesized) -> None:
    dev.app.has_resource_properties("AWS::Cognito::UserPoolClient", {"GenerateSecret": False})


def test_site_is_served_through_origin_access_control(dev: Synthesized) -> None:
    (oac_id,) = resources_of(dev.app_json, "AWS::CloudFront::OriginAccessControl")
    dev.app.has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {
            "OriginAccessControlConfig": Match.object_like(
                {"SigningBehavior": "always", "SigningProtocol": "sigv4"}
            )
        },
    )
    (distribution,) = resources_of(dev.app_json, "AWS::CloudFront::Distribution").values()
    (origin,) = distribution["Properties"]["DistributionConfig"]["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}


def test_site_bucket_admits_only_this_distribution(dev: Synthesized) -> None:
    dev.app.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudfront.amazonaws.com"},
                                "Condition": {"StringEquals": {"AWS:SourceArn": Match.any_value()}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_responses_carry_security_headers(dev: Synthesized) -> None:
    (policy_id,) = resources_of(dev.app_json, "AWS::CloudFront::ResponseHeadersPolicy")
    (policy,) = resources_of(dev.app_json, "AWS::CloudFront::ResponseHeadersPolicy").values()
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert "frame-ancestors 'none'" in headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ContentTypeOptions"]["Override"] is True
    (distribution,) = resources_of(dev.app_json, "AWS::CloudFront::Distribution").values()
    behavior = distribution["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": policy_id}
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"


def _runtime_config(synthesized: Synthesized) -> dict[str, Any]:
    """The page's `config.json` as deployed, each deploy-time reference shown as `<its name>`."""
    (deployment,) = resources_of(synthesized.app_json, "Custom::CDKBucketDeployment").values()
    properties = deployment["Properties"]
    for object_key, markers in zip(properties["SourceObjectKeys"], properties["SourceMarkers"], strict=True):
        config_file = synthesized.directory / f"asset.{object_key.removesuffix('.zip')}" / "config.json"
        if config_file.exists():
            text = config_file.read_text()
            for marker, value in markers.items():
                text = text.replace(marker, _as_text(value))
            config: dict[str, Any] = json.loads(text)
            return config
    raise AssertionError("no config.json among the site deployment's sources")


def _as_text(value: Any) -> str:
    """A CloudFormation value as text: joins joined, references as `<import, logical id or pseudo>`."""
    if isinstance(value, str):
        return value
    ((function, argument),) = value.items()
    if function == "Fn::Join":
        separator, parts = argument
        return str(separator).join(_as_text(part) for part in parts)
    if function == "Fn::GetAtt":
        return f"<{'.'.join(argument)}>"
    return f"<{argument}>"


def _content_security_policy(synthesized: Synthesized) -> str:
    (policy,) = resources_of(synthesized.app_json, "AWS::CloudFront::ResponseHeadersPolicy").values()
    csp = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"][
        "ContentSecurityPolicy"
    ]
    return json.dumps(csp["ContentSecurityPolicy"])


def _connect_sources(csp_text: str) -> str:
    (directive,) = [part for part in csp_text.split(";") if "connect-src" in part]
    return directive


def test_without_federation_the_pool_has_no_hosted_domain_and_the_page_signs_in_itself(
    dev: Synthesized,
) -> None:
    dev.data.resource_count_is("AWS::Cognito::UserPoolDomain", 0)
    assert "cognitoDomain" not in _runtime_config(dev)
    assert "amazoncognito.com" not in _content_security_policy(dev)


def test_a_federated_pool_has_a_hosted_sign_in_domain(prod: Synthesized) -> None:
    prod.data.resource_count_is("AWS::Cognito::UserPoolDomain", 1)
    prod.app.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {"SupportedIdentityProviders": Match.array_with(["COGNITO", "Corporate"])},
    )


def test_page_config_names_the_hosted_sign_in_domain(prod: Synthesized) -> None:
    domain = _runtime_config(prod)["cognitoDomain"]
    assert re.fullmatch(r"https://<[^>]+HostedDomain\w+>\.auth\.us-east-1\.amazoncognito\.com", domain)


def test_page_may_exchange_sign_in_codes_with_the_hosted_domain(prod: Synthesized) -> None:
    connect = _connect_sources(_content_security_policy(prod))
    assert "HostedDomain" in connect
    assert ".auth.us-east-1.amazoncognito.com" in connect


def test_sign_in_returns_to_the_site_and_sign_out_leaves_for_it(prod: Synthesized) -> None:
    (distribution_id,) = resources_of(prod.app_json, "AWS::CloudFront::Distribution")
    site_url = {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}]]}
    (client,) = resources_of(prod.app_json, "AWS::Cognito::UserPoolClient").values()
    assert site_url in client["Properties"]["CallbackURLs"]
    assert site_url in client["Properties"]["LogoutURLs"]


def test_with_allowed_email_domains_a_pre_sign_up_trigger_admits_only_those(prod: Synthesized) -> None:
    (pool,) = resources_of(prod.data_json, "AWS::Cognito::UserPool").values()
    trigger_arn = pool["Properties"]["LambdaConfig"]["PreSignUp"]
    (function_id,) = [
        name
        for name, function in resources_of(prod.data_json, "AWS::Lambda::Function").items()
        if function["Properties"]["Handler"] == "lambdas.handlers.pre_sign_up.handler"
    ]
    assert trigger_arn == {"Fn::GetAtt": [function_id, "Arn"]}
    function = prod.data_json["Resources"][function_id]  # type: ignore[index]
    environment = function["Properties"]["Environment"]["Variables"]
    assert environment["ALLOWED_EMAIL_DOMAINS"] == "example.com,example.org"


def test_only_the_user_pool_may_invoke_the_pre_sign_up_trigger(prod: Synthesized) -> None:
    (pool_id,) = resources_of(prod.data_json, "AWS::Cognito::UserPool")
    prod.data.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "Principal": "cognito-idp.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": [pool_id, "Arn"]},
        },
    )


def test_without_allowed_email_domains_the_pool_has_no_trigger(dev: Synthesized) -> None:
    (pool,) = resources_of(dev.data_json, "AWS::Cognito::UserPool").values()
    assert "LambdaConfig" not in pool["Properties"]
    handlers = [
        function["Properties"].get("Handler")
        for function in resources_of(dev.data_json, "AWS::Lambda::Function").values()
    ]
    assert "lambdas.handlers.pre_sign_up.handler" not in handlers
