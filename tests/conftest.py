"""Session fixtures shared by test levels: each deployment profile is synthesized once per session.

`dev` is the default profile (OpenSearch Serverless, no budget); `prod` switches on everything a
production deployment adds (S3 Vectors backend, retention, deletion protection, budget, email,
a federated OIDC identity provider, sign-up limited to allowed email domains, operator function
settings); `s3vectors` is
dev on the S3 Vectors backend; `federation` is dev with OIDC and SAML identity providers (so
with the hosted-UI domain) and a search operator in the data-access policy. CDK is imported only when a test asks for a synthesis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.infra.conftest import Synthesized

CORS = ("https://chat.example.com",)
SEARCH_OPERATOR = "arn:aws:iam::123456789012:role/retrieval-evaluator"


def _synthesize(tmp_path_factory: pytest.TempPathFactory, name: str, **settings: object) -> Synthesized:
    from stacks.config import DeploymentConfig
    from tests.infra.conftest import ACCOUNT, REGION, synthesize

    config = DeploymentConfig(account=ACCOUNT, region=REGION, cors_allowed_origins=CORS, **settings)  # type: ignore[arg-type]
    return synthesize(config, tmp_path_factory.mktemp(f"cdk-{name}"))


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return _synthesize(tmp_path_factory, "dev", stage="dev")


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from stacks.config import OidcProvider

    return _synthesize(
        tmp_path_factory,
        "prod",
        stage="prod",
        vector_backend="s3vectors",
        alarm_email="ops@example.com",
        monthly_budget_usd=250.0,
        reranking=True,
        function_settings={"RATE_LIMIT_REQUESTS_PER_MINUTE": "30", "CHUNKING_STRATEGY": "fixed"},
        allowed_email_domains=("example.com", "example.org"),
        oidc_providers=(
            OidcProvider(
                name="Corporate",
                issuer_url="https://login.example.com",
                client_id="genai-chat",
                client_secret_name="genai-chat/oidc-client-secret",
            ),
        ),
    )


@pytest.fixture(scope="session")
def s3vectors(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return _synthesize(tmp_path_factory, "s3vectors", stage="dev", vector_backend="s3vectors")


@pytest.fixture(scope="session")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from stacks.config import OidcProvider, SamlProvider

    return _synthesize(
        tmp_path_factory,
        "federation",
        stage="dev",
        self_signup_enabled=True,
        oidc_providers=(OidcProvider("Corporate", "https://login.example.com", "genai-chat", "chat/oidc"),),
        saml_providers=(SamlProvider("Directory", "https://idp.example.com/metadata.xml"),),
        search_operator_arns=(SEARCH_OPERATOR,),
    )
