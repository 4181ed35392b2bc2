"""Cognito sign-in defaults and the CloudFront site: private origin, security headers."""

from __future__ import annotations

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
