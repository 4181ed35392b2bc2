"""Typed deployment settings, read once from CDK context in `app.py`.

Defaults live in `cdk.json`; override any of them per deployment with
`npx cdk deploy -c stage=prod -c chatModelId=...`. Constructs receive this object and never
read the environment themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Stage = Literal["dev", "prod"]
VectorBackend = Literal["opensearch", "s3vectors"]
Architecture = Literal["arm64", "x86_64"]

# Where each cross-region inference-profile prefix may route requests (Bedrock docs, "Supported
# Regions and models for inference profiles"). IAM must allow the foundation model in every one.
INFERENCE_PROFILE_REGIONS: Mapping[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1"),
    "apac": ("ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2"),
}

# Retention periods CloudWatch Logs accepts that make sense for an application's logs.
LOG_RETENTION_DAYS = frozenset({7, 14, 30, 60, 90, 180, 365, 731})


@dataclass(frozen=True, slots=True)
class DeniedTopic:
    """A subject the Bedrock guardrail refuses to discuss."""

    name: str
    definition: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OidcProvider:
    """An OpenID Connect identity provider federated into the user pool.

    The client secret is read by CloudFormation from Secrets Manager at deploy time, never
    stored in context or code.
    """

    name: str
    issuer_url: str
    client_id: str
    client_secret_name: str
    scopes: tuple[str, ...] = ("openid", "email", "profile")


@dataclass(frozen=True, slots=True)
class SamlProvider:
    name: str
    metadata_url: str


@dataclass(frozen=True, slots=True)
class DeploymentConfig:
    stage: Stage = "dev"
    account: str | None = None
    region: str = "us-east-1"
    app_name: str = "genai-chat"
    chat_model_id: str = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    extra_model_ids: tuple[str, ...] = ()
    fallback_model_id: str = "us.amazon.nova-lite-v1:0"
    embedding_model_id: str = "amazon.titan-embed-text-v2:0"
    embedding_dimensions: int = 1024
    summary_model_id: str = "amazon.nova-lite-v1:0"
    vector_backend: VectorBackend = "opensearch"
    guardrail_enabled: bool = True
    denied_topics: tuple[DeniedTopic, ...] = ()
    cors_allowed_origins: tuple[str, ...] = ()
    log_retention_days: int = 30
    self_signup_enabled: bool = False
    allowed_email_domains: tuple[str, ...] = ()
    oidc_providers: tuple[OidcProvider, ...] = ()
    saml_providers: tuple[SamlProvider, ...] = ()
    alarm_email: str | None = None
    monthly_budget_usd: float | None = None
    user_hourly_cost_alarm_usd: float | None = 1.0
    """Alarm when one user's model cost in an hour reaches this; None: no per-user cost rule."""
    api_rate_limit_rps: int = 20
    api_burst_limit: int = 40
    waf_requests_per_5_minutes: int = 1000
    lambda_architecture: Architecture = "arm64"
    powertools_version: str = "3.37.0"
    opensearch_index: str = "chunks"
    s3vectors_index: str = "chunks"
    extra_tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.stage not in ("dev", "prod"):
            raise ValueError(f"stage must be dev or prod, got {self.stage!r}")
        if self.vector_backend not in ("opensearch", "s3vectors"):
            raise ValueError(f"vectorBackend must be opensearch or s3vectors, got {self.vector_backend!r}")
        if self.embedding_dimensions not in (256, 512, 1024):
            raise ValueError("embeddingDimensions must be 256, 512 or 1024 (Titan Text Embeddings v2)")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(f"logRetentionDays must be one of {sorted(LOG_RETENTION_DAYS)}")
        if self.monthly_budget_usd is not None and self.monthly_budget_usd <= 0:
            raise ValueError("monthlyBudgetUsd must be a positive amount of US dollars")
        if self.user_hourly_cost_alarm_usd is not None and self.user_hourly_cost_alarm_usd <= 0:
            raise ValueError("userHourlyCostAlarmUsd must be a positive amount of US dollars")
        if not self.summary_model_id.startswith("amazon.nova-"):
            # The summary workflow sends the Nova messages body straight from Step Functions.
            raise ValueError("summaryModelId must be an Amazon Nova model id, e.g. amazon.nova-lite-v1:0")
        if self.stage == "prod" and "*" in self.cors_allowed_origins:
            raise ValueError("a prod deployment must name its CORS origins; '*' is for dev only")

    @property
    def is_prod(self) -> bool:
        return self.stage == "prod"

    @property
    def deployment_name(self) -> str:
        """Names this deployment in tags, the budget's cost filter and shared resource names."""
        return f"{self.app_name}-{self.stage}"

    @property
    def chat_model_ids(self) -> tuple[str, ...]:
        """Every model the chat functions may call: default, extras and fallback."""
        return tuple(dict.fromkeys((self.chat_model_id, *self.extra_model_ids, self.fallback_model_id)))

    @property
    def opensearch_standby_replicas(self) -> bool:
        # Standby replicas double the minimum OCUs; dev trades availability for half the idle cost.
        return self.is_prod

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> DeploymentConfig:
        """Build from CDK context (`app.node.try_get_context`); absent keys keep their defaults.

        Context values given on the command line arrive as strings, so lists, objects and
        booleans are also accepted in their JSON form.
        """
        values: dict[str, Any] = {}
        for name, key in _CONTEXT_KEYS.items():
            raw = get(key)
            if raw is not None:
                values[name] = _coerce(name, raw)
        return cls(**values)


_CONTEXT_KEYS: Mapping[str, str] = {
    "stage": "stage",
    "account": "account",
    "region": "region",
    "app_name": "appName",
    "chat_model_id": "chatModelId",
    "extra_model_ids": "extraModelIds",
    "fallback_model_id": "fallbackModelId",
    "embedding_model_id": "embeddingModelId",
    "embedding_dimensions": "embeddingDimensions",
    "summary_model_id": "summaryModelId",
    "vector_backend": "vectorBackend",
    "guardrail_enabled": "guardrailEnabled",
    "denied_topics": "deniedTopics",
    "cors_allowed_origins": "corsAllowedOrigins",
    "log_retention_days": "logRetentionDays",
    "self_signup_enabled": "selfSignupEnabled",
    "allowed_email_domains": "allowedEmailDomains",
    "oidc_providers": "oidcProviders",
    "saml_providers": "samlProviders",
    "alarm_email": "alarmEmail",
    "monthly_budget_usd": "monthlyBudgetUsd",
    "user_hourly_cost_alarm_usd": "userHourlyCostAlarmUsd",
    "api_rate_limit_rps": "apiRateLimitRps",
    "api_burst_limit": "apiBurstLimit",
    "waf_requests_per_5_minutes": "wafRequestsPer5Minutes",
    "lambda_architecture": "lambdaArchitecture",
    "powertools_version": "powertoolsVersion",
    "opensearch_index": "opensearchIndex",
    "s3vectors_index": "s3vectorsIndex",
    "extra_tags": "tags",
}


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"context {_CONTEXT_KEYS[name]} must be true or false")
    return value


def _string_list(name: str, value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in _as_list(name, value))


def _denied_topics(name: str, value: Any) -> tuple[DeniedTopic, ...]:
    return tuple(
        DeniedTopic(item["name"], item["definition"], tuple(item.get("examples", ())))
        for item in _as_list(name, value)
    )


def _oidc_providers(name: str, value: Any) -> tuple[OidcProvider, ...]:
    return tuple(
        OidcProvider(
            name=item["name"],
            issuer_url=item["issuerUrl"],
            client_id=item["clientId"],
            client_secret_name=item["clientSecretName"],
            scopes=tuple(item.get("scopes", ("openid", "email", "profile"))),
        )
        for item in _as_list(name, value)
    )


def _saml_providers(name: str, value: Any) -> tuple[SamlProvider, ...]:
    return tuple(SamlProvider(item["name"], item["metadataUrl"]) for item in _as_list(name, value))


def _integer(_name: str, value: Any) -> int:
    return int(value)


def _amount(_name: str, value: Any) -> float:
    return float(value)


def _tags(_name: str, value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(value).items()}


_CONVERTERS: Mapping[str, Callable[[str, Any], Any]] = {
    "guardrail_enabled": _boolean,
    "self_signup_enabled": _boolean,
    "embedding_dimensions": _integer,
    "log_retention_days": _integer,
    "api_rate_limit_rps": _integer,
    "api_burst_limit": _integer,
    "waf_requests_per_5_minutes": _integer,
    "monthly_budget_usd": _amount,
    "user_hourly_cost_alarm_usd": _amount,
    "extra_model_ids": _string_list,
    "cors_allowed_origins": _string_list,
    "allowed_email_domains": _string_list,
    "denied_topics": _denied_topics,
    "oidc_providers": _oidc_providers,
    "saml_providers": _saml_providers,
    "extra_tags": _tags,
}


def _coerce(name: str, raw: Any) -> Any:
    converter = _CONVERTERS.get(name)
    if converter is None:
        return str(raw)
    return converter(name, _parse_json_text(raw))


def _parse_json_text(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _as_list(name: str, value: Any) -> list[Any]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        raise ValueError(f"context {_CONTEXT_KEYS[name]} must be a list")
    return value
