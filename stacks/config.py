"""Typed deployment settings, read once from CDK context in `app.py`.

Defaults live in `cdk.json`; override any of them per deployment with
`npx cdk deploy -c stage=prod -c chatModelId=...`. Constructs receive this object and never
read the environment themselves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from lambdas.settings import GivenSettings, Settings

Stage = Literal["dev", "prod"]
VectorBackend = Literal["opensearch", "s3vectors"]
Architecture = Literal["arm64", "x86_64"]

# Bedrock's reranking models and the regions offering each (Bedrock docs, "Supported Regions and
# models for reranking"), in order of preference: with `reranking` on, retrieval reranks with the
# first one the deployment's region offers.
RERANK_MODEL_REGIONS: Mapping[str, tuple[str, ...]] = {
    "cohere.rerank-v3-5:0": ("ap-northeast-1", "ca-central-1", "eu-central-1", "us-east-1", "us-west-2"),
    "amazon.rerank-v1:0": ("ap-northeast-1", "ca-central-1", "eu-central-1", "us-west-2"),
}


def rerank_model_for(region: str) -> str | None:
    return next((model for model, regions in RERANK_MODEL_REGIONS.items() if region in regions), None)


GLOBAL_PROFILE = "global"
ALL_COMMERCIAL_REGIONS = ("*",)
INFERENCE_PROFILE_REGIONS: Mapping[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-1", "us-west-2"),
    "us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "eu": (
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
    ),
    "apac": (
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "me-central-1",
    ),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    GLOBAL_PROFILE: ALL_COMMERCIAL_REGIONS,
}
"""Where each system-defined cross-Region inference profile may serve a request, by the prefix of
its id (`us.anthropic...`): Amazon Bedrock User Guide, "Supported Regions and models for
inference profiles" (geographic profiles, listed per model on each model's page; this is the
union over models, since a profile may route to any of them) and "Global cross-Region
inference" (`global.`: every commercial Region).

IAM must allow the profile in the deployment's Region and the foundation model in every Region
a request may land in (`stacks.constructs.models.model_arns`). A global profile's requests are
authorized against the Region-less model ARN `arn:aws:bedrock:::foundation-model/<model>`.
When AWS adds a destination Region to a geography, add it here.
"""

# Every per-deployment name starts with `<appName>-<stage>`. The tightest limit on such a name is
# OpenSearch Serverless's 32 characters for `<appName>-<stage>-data` (access policy; the
# collection and its other policies are shorter); "prod" is the longest stage.
APP_NAME_MAX_LENGTH = 32 - len("-prod-data")
# Lower case only: collection, policy and domain names refuse upper case, and names differing only
# in case would collide there. A letter first, no trailing hyphen.
_APP_NAME = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")
# The Cognito hosted-UI domain prefix: lower-case letters, digits and hyphens, at most 63
# characters, never containing these reserved words.
_DOMAIN_PREFIX = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_DOMAIN_RESERVED_WORDS = ("aws", "amazon", "cognito")
# The principals an OpenSearch Serverless data-access policy accepts by IAM ARN.
_PRINCIPAL_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:iam::\d{12}:(?:role|user)/[\w+=,.@/-]{1,512}")

# Function settings the stacks set themselves, from their resources or from other context keys
# (tables, buckets, endpoints, model ids, the guardrail, Cognito): `functionSettings` cannot
# override them. `FunctionFactory` also refuses any clash with what a function is given.
STACK_OWNED_SETTINGS = frozenset(
    {
        "LLM_PROVIDER",
        "RERANK_MODEL_ID",
        "BEDROCK_MODEL_ID",
        "BEDROCK_EXTRA_MODEL_IDS",
        "BEDROCK_FALLBACK_MODEL_ID",
        "BEDROCK_GUARDRAIL_ID",
        "BEDROCK_GUARDRAIL_VERSION",
        "AWS_REGION",
        "CONVERSATIONS_TABLE",
        "USAGE_TABLE",
        "DOCUMENTS_TABLE",
        "DOCUMENTS_BUCKET",
        "EMBEDDING_MODEL_ID",
        "EMBEDDING_DIMENSIONS",
        "VECTOR_BACKEND",
        "OPENSEARCH_ENDPOINT",
        "OPENSEARCH_INDEX",
        "S3VECTORS_BUCKET",
        "S3VECTORS_INDEX",
        "WEBSOCKET_CALLBACK_URL",
        "COGNITO_USER_POOL_ID",
        "COGNITO_APP_CLIENT_ID",
    }
)
# Settings of local mode only (another model server, local files and endpoints).
LOCAL_ONLY_SETTINGS = frozenset(
    {
        "LLM_BASE_URL",
        "LLM_API_KEY",
        "LLM_MODEL",
        "LOCAL_STREAM_DELAY_MS",
        "LOCAL_INDEX_PATH",
        "UPLOAD_ENDPOINT_URL",
        "PRICE_TABLE_PATH",
        "ADMIN_USERS",
        "LOCAL_RERANKING",
    }
)

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
    cognito_domain_prefix_override: str | None = None
    function_settings: Mapping[str, str] = field(default_factory=dict)
    reranking: bool = False
    search_operator_arns: tuple[str, ...] = ()
    """IAM roles or users that may read and write the OpenSearch chunk index (`make eval
    DEPLOYED_FUNCTION=...`); none by default."""

    def __post_init__(self) -> None:
        _check_app_name(self.app_name)
        _check_principal_arns("searchOperatorArns", self.search_operator_arns)
        if self.reranking and rerank_model_for(self.region) is None:
            raise ValueError(
                f"reranking: no Bedrock reranking model is offered in {self.region}; "
                f"regions with one: {', '.join(sorted({r for rs in RERANK_MODEL_REGIONS.values() for r in rs}))}"
            )
        check_function_settings(self.function_settings)
        if self.cognito_domain_prefix_override is not None:
            _check_domain_prefix("cognitoDomainPrefix", self.cognito_domain_prefix_override)
        elif self.oidc_providers or self.saml_providers:
            # The derived prefix carries appName: refuse what Cognito would refuse at deploy time.
            _check_domain_prefix("appName", self.cognito_domain_prefix("123456789012"))
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

    def cognito_domain_prefix(self, account: str) -> str:
        """The hosted-UI domain prefix: `cognitoDomainPrefix` if set, else `<appName>-<stage>-<account>`.

        Prefixes are global per region across all AWS accounts; the account id keeps the derived
        one free of other accounts' deployments and stable across redeployments. `account` may
        be a CloudFormation token (an environment-agnostic stack).
        """
        if self.cognito_domain_prefix_override is not None:
            return self.cognito_domain_prefix_override
        return f"{self.deployment_name}-{account}"

    @property
    def rerank_model_id(self) -> str | None:
        """The reranking model retrieval uses: the region's preferred one, when `reranking` is on."""
        return rerank_model_for(self.region) if self.reranking else None

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
    "cognito_domain_prefix_override": "cognitoDomainPrefix",
    "function_settings": "functionSettings",
    "reranking": "reranking",
    "search_operator_arns": "searchOperatorArns",
}


def context_keys() -> tuple[str, ...]:
    """Every CDK context key a deployment reads (`docs/deploy.md`'s settings table lists each)."""
    return tuple(_CONTEXT_KEYS.values())


def _check_app_name(name: str) -> None:
    if not _APP_NAME.fullmatch(name):
        raise ValueError(
            f"appName {name!r} must be lower-case letters, digits and hyphens, starting with a letter "
            "and not ending with a hyphen (it prefixes collection, policy and domain names)"
        )
    if len(name) > APP_NAME_MAX_LENGTH:
        raise ValueError(
            f"appName {name!r} has {len(name)} characters; at most {APP_NAME_MAX_LENGTH} fit OpenSearch "
            "Serverless's 32-character limit on the names derived from it (<appName>-<stage>-data)"
        )


def _check_principal_arns(key: str, arns: tuple[str, ...]) -> None:
    for arn in arns:
        if not _PRINCIPAL_ARN.fullmatch(arn):
            raise ValueError(
                f"{key}: {arn!r} is not an IAM role or user ARN "
                "(arn:aws:iam::<12-digit account>:role/<name> or :user/<name>)"
            )


def _check_domain_prefix(key: str, prefix: str) -> None:
    if not _DOMAIN_PREFIX.fullmatch(prefix):
        raise ValueError(
            f"{key} gives the Cognito domain prefix {prefix!r}, which must be 1 to 63 lower-case letters, "
            "digits and hyphens, not starting or ending with a hyphen"
        )
    reserved = [word for word in _DOMAIN_RESERVED_WORDS if word in prefix]
    if reserved:
        raise ValueError(
            f"{key} gives the Cognito domain prefix {prefix!r}, which contains {reserved[0]!r}; Cognito "
            f"refuses prefixes containing any of {', '.join(_DOMAIN_RESERVED_WORDS)}"
        )


def inference_profile_regions(model_id: str) -> tuple[str, ...]:
    """The Regions a request for `model_id` may be served in, from INFERENCE_PROFILE_REGIONS:
    a geographic profile's destinations, `("*",)` for a global profile (every commercial Region),
    and `()` for a plain foundation-model id (served in the deployment's own Region only)."""
    prefix, separator, _ = model_id.partition(".")
    return INFERENCE_PROFILE_REGIONS.get(prefix, ()) if separator else ()


def foundation_model_id(model_id: str) -> str:
    """The foundation model behind `model_id`: the id without its inference-profile prefix."""
    prefix, _, base = model_id.partition(".")
    return base if prefix in INFERENCE_PROFILE_REGIONS else model_id


def operator_settings() -> frozenset[str]:
    """Names `functionSettings` may set: every runtime setting the stacks do not own."""
    declared = {name.upper() for name in Settings.model_fields}
    return frozenset(declared - STACK_OWNED_SETTINGS - LOCAL_ONLY_SETTINGS)


def check_function_settings(values: Mapping[str, str]) -> None:
    """Refuse names the functions do not read or the stacks own, and values `Settings` refuses."""
    settable = operator_settings()
    for name in values:
        if name in settable:
            continue
        if name in STACK_OWNED_SETTINGS:
            reason = "is set by the stack from its resources or another context key"
        elif name in LOCAL_ONLY_SETTINGS:
            reason = "applies to local mode only"
        else:
            reason = "is not a setting the functions read"
        raise ValueError(f"functionSettings.{name} {reason}; settable: {', '.join(sorted(settable))}")
    try:
        GivenSettings.model_validate(
            {"llm_provider": "bedrock", **{name.lower(): value for name, value in values.items()}}
        )
    except ValidationError as error:
        problems = "; ".join(
            ".".join(["functionSettings", *(str(part).upper() for part in problem["loc"])])
            + f": {problem['msg']}"
            for problem in error.errors(include_url=False)
        )
        raise ValueError(problems) from None


def _function_settings(name: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError(
            f"context {_CONTEXT_KEYS[name]} must be an object of setting names to values, "
            'e.g. {"RATE_LIMIT_REQUESTS_PER_MINUTE": 30}'
        )
    return {str(key): _environment_value(item) for key, item in value.items()}


def _environment_value(value: Any) -> str:
    """A context value as the function's environment carries it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


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
    "reranking": _boolean,
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
    "search_operator_arns": _string_list,
    "denied_topics": _denied_topics,
    "oidc_providers": _oidc_providers,
    "saml_providers": _saml_providers,
    "extra_tags": _tags,
    "function_settings": _function_settings,
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
