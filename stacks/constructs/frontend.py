"""Web hosting: a private bucket behind CloudFront (origin access control) with security headers.

The page learns its API and user pool from `/config.json`, written at deploy time from the
stack's own outputs, so one static build serves every deployment.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from stacks.constructs.nag import acknowledge, logical_arn, partition_account_and_region

RUNTIME_CONFIG_FILE = "config.json"


class Frontend(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        access_logs_bucket: s3.IBucket,
        removal_policy: RemovalPolicy,
        sign_in_url: str | None = None,
    ) -> None:
        """`sign_in_url`: base URL of the user pool's hosted UI, when the page signs in through it."""
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        self.bucket = s3.Bucket(
            self,
            "SiteBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix="site/",
            removal_policy=removal_policy,
            auto_delete_objects=removal_policy == RemovalPolicy.DESTROY,
        )
        api_hosts = f"https://*.execute-api.{region}.amazonaws.com wss://*.execute-api.{region}.amazonaws.com"
        # The page signs in against Cognito's API (SRP) or, with a hosted UI, trades the returned
        # code for tokens at the hosted domain's token endpoint.
        sign_in_hosts = f"https://cognito-idp.{region}.amazonaws.com"
        if sign_in_url is not None:
            sign_in_hosts += f" {sign_in_url}"
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=(
                        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                        f"connect-src 'self' {api_hosts} {sign_in_hosts}; "
                        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
                    ),
                    override=True,
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730),
                    include_subdomains=True,
                    preload=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
                xss_protection=cloudfront.ResponseHeadersXSSProtection(
                    protection=True, mode_block=True, override=True
                ),
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Web chat",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=headers,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            ),
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=access_logs_bucket,
            log_file_prefix="cloudfront/",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "The chat is offered worldwide; access is controlled by Cognito sign-in, not geography.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR2",
            "The distribution serves only static files; the APIs carrying user data sit behind the "
            "regional WAF. A CLOUDFRONT-scope web ACL would have to live in us-east-1.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR4",
            "The site is served on its *.cloudfront.net name, whose default certificate has a fixed "
            "TLSv1 security policy that no setting changes (CloudFront ignores a minimum protocol "
            "version without a custom certificate). A custom domain with an ACM certificate is "
            "needed to require TLSv1.2_2021; the APIs carrying user data are on API Gateway.",
        )

    @property
    def url(self) -> str:
        return f"https://{self.distribution.distribution_domain_name}"

    def deploy_site(self, site_dir: Path, runtime_config: Mapping[str, str]) -> None:
        """Upload the static site plus `config.json` and invalidate the cache."""
        deployment = s3deploy.BucketDeployment(
            self,
            "Deploy",
            destination_bucket=self.bucket,
            sources=[
                s3deploy.Source.asset(str(site_dir), exclude=["**/*.test.*", "**/node_modules/**"]),
                s3deploy.Source.json_data(RUNTIME_CONFIG_FILE, dict(runtime_config)),
            ],
            distribution=self.distribution,
            distribution_paths=["/*"],
            memory_limit=256,
        )
        _acknowledge_deployment_function(Stack.of(self), deployment, self.bucket)


def _acknowledge_deployment_function(
    stack: Stack, deployment: s3deploy.BucketDeployment, site: s3.IBucket
) -> None:
    """CDK's deploy-time copy function: its runtime, managed policy and wildcards are CDK's own."""
    reason = (
        "CDK's BucketDeployment function runs only during deployment to copy the built site from the "
        "CDK assets bucket into the site bucket; its runtime and policy are maintained by CDK."
    )
    partition, account, region = partition_account_and_region(stack)
    rules = [
        "AwsSolutions-L1",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "AwsSolutions-IAM5[Resource::*]",
        f"AwsSolutions-IAM5[Resource::{logical_arn(site)}/*]",
        f"AwsSolutions-IAM5[Resource::arn:{partition}:s3:::cdk-hnb659fds-assets-{account}-{region}/*]",
    ] + [
        f"AwsSolutions-IAM5[Action::{action}]"
        for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*")
    ]
    handler = deployment.handler_role.node.scope
    assert handler is not None
    for rule in rules:
        acknowledge(handler, rule, reason)
