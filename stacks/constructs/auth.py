"""Cognito user pool: who may use the application.

Self-service sign-up is off unless configured. With allowed email domains configured, a
pre sign-up trigger admits only addresses at exactly those domains, however the user arrives:
self-service sign-up, created by an administrator, or first sign-in through a federated
provider. OIDC and SAML identity providers from the configuration are federated into the same
pool, so the API sees one kind of token whatever the login.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from stacks.config import DeploymentConfig, OidcProvider, SamlProvider
from stacks.constructs.functions import FunctionFactory
from stacks.constructs.nag import acknowledge

ADMINS_GROUP = "admins"
"""Must match `lambdas.handlers.routes.admin.ADMINS_GROUP`."""

# Cognito waits at most 5 seconds for a trigger before failing the sign-up.
TRIGGER_TIMEOUT_SECONDS = 5


class Auth(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        removal_policy: RemovalPolicy,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=config.self_signup_enabled,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=config.is_prod,
            removal_policy=removal_policy,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG2",
            "MFA is optional by product decision so first use stays simple; TOTP is enabled for users "
            "who enrol (docs/deploy.md) and threat protection runs in full-function mode.",
        )
        if config.allowed_email_domains:
            self.user_pool.add_trigger(
                cognito.UserPoolOperation.PRE_SIGN_UP,
                functions.function(
                    self,
                    "PreSignUpFunction",
                    handler="lambdas.handlers.pre_sign_up.handler",
                    description="Cognito pre sign-up: admits only the allowed email domains",
                    service="pre-sign-up",
                    environment={"ALLOWED_EMAIL_DOMAINS": ",".join(config.allowed_email_domains)},
                    timeout_seconds=TRIGGER_TIMEOUT_SECONDS,
                    memory_size=256,
                ),
            )
        # Members get `cognito:groups: admins` in their ID token: the API's /v1/admin routes and
        # the page's admin view open to them only (docs/deploy.md: adding an administrator).
        self.admins_group = cognito.CfnUserPoolGroup(
            self,
            "AdminsGroup",
            user_pool_id=self.user_pool.user_pool_id,
            group_name=ADMINS_GROUP,
            description="Administrators: see usage and cost per user, set users' budgets and rate limits",
        )
        self.identity_providers = [cognito.UserPoolClientIdentityProvider.COGNITO]
        self.identity_providers += [self._oidc(provider) for provider in config.oidc_providers]
        self.identity_providers += [self._saml(provider) for provider in config.saml_providers]
        # Federated sign-in goes through the hosted UI, which needs a domain; without identity
        # providers the page signs in with its own form and the pool has no domain.
        self.domain: cognito.UserPoolDomain | None = None
        if config.oidc_providers or config.saml_providers:
            self.domain = self.user_pool.add_domain(
                "HostedDomain",
                cognito_domain=cognito.CognitoDomainOptions(
                    domain_prefix=config.cognito_domain_prefix(Stack.of(self).account)
                ),
            )

    @property
    def hosted_ui_url(self) -> str | None:
        """Base URL of the hosted UI (`https://<prefix>.auth.<region>.amazoncognito.com`), if any."""
        return self.domain.base_url() if self.domain is not None else None

    def add_web_client(
        self, scope: Construct, construct_id: str, *, callback_urls: list[str]
    ) -> cognito.UserPoolClient:
        """The public (secret-less) client of the web page, created in the stack that knows its URL."""
        client = cognito.UserPoolClient(
            scope,
            construct_id,
            user_pool=self.user_pool,
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            prevent_user_existence_errors=True,
            supported_identity_providers=self.identity_providers,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=callback_urls,
                logout_urls=callback_urls,
            ),
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        for provider in self.user_pool.identity_providers:
            client.node.add_dependency(provider)
        return client

    def _oidc(self, provider: OidcProvider) -> cognito.UserPoolClientIdentityProvider:
        cognito.UserPoolIdentityProviderOidc(
            self,
            f"Oidc{provider.name}",
            user_pool=self.user_pool,
            name=provider.name,
            issuer_url=provider.issuer_url,
            client_id=provider.client_id,
            # A `{{resolve:secretsmanager:...}}` reference: CloudFormation reads the secret at deploy
            # time, the template never contains it.
            client_secret=SecretValue.secrets_manager(provider.client_secret_name).unsafe_unwrap(),
            scopes=list(provider.scopes),
            attribute_mapping=cognito.AttributeMapping(email=cognito.ProviderAttribute.other("email")),
        )
        return cognito.UserPoolClientIdentityProvider.custom(provider.name)

    def _saml(self, provider: SamlProvider) -> cognito.UserPoolClientIdentityProvider:
        cognito.UserPoolIdentityProviderSaml(
            self,
            f"Saml{provider.name}",
            user_pool=self.user_pool,
            name=provider.name,
            metadata=cognito.UserPoolIdentityProviderSamlMetadata.url(provider.metadata_url),
            attribute_mapping=cognito.AttributeMapping(
                email=cognito.ProviderAttribute.other(
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
                )
            ),
        )
        return cognito.UserPoolClientIdentityProvider.custom(provider.name)
