"""Composition root: builds the adapters named by Settings, once per Lambda container.

Local mode, the cloud and the tests all go through `build_services`; only the
settings (or explicitly injected adapters, in tests) differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lambdas.core.catalog import ModelCatalog
from lambdas.core.chat import ChatService, ChatSettings
from lambdas.core.clock import SystemClock, UuidGenerator
from lambdas.core.conversations import ConversationService
from lambdas.core.ports import ConversationStore, LanguageModel, Retriever
from lambdas.core.pricing import DEFAULT_PRICE_TABLE, PriceTable, load_price_table
from lambdas.settings import Settings

if TYPE_CHECKING:
    from lambdas.adapters.websocket import ConnectionPublisher


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    prices: PriceTable
    catalog: ModelCatalog
    chat: ChatService
    conversations: ConversationService


_override: Services | None = None


def get_services() -> Services:
    return _override or _services_from_environment()


def use_services(services: Services | None) -> None:
    """Replace the environment-built services (tests); None restores them."""
    global _override  # noqa: PLW0603 - one process-wide composition root
    _override = services


@lru_cache(maxsize=1)
def _services_from_environment() -> Services:
    return build_services(Settings())


def build_services(
    settings: Settings,
    *,
    store: ConversationStore | None = None,
    model: LanguageModel | None = None,
    retriever: Retriever | None = None,
) -> Services:
    prices = load_price_table(settings.price_table_path or DEFAULT_PRICE_TABLE)
    offered = [prices.model(model_id) for model_id in settings.offered_model_ids()]
    catalog = ModelCatalog(offered, default_model_id=offered[0].id)
    store = store or _dynamodb_conversation_store(settings)
    chat = ChatService(
        store=store,
        catalog=catalog,
        model=model or build_language_model(settings),
        clock=SystemClock(),
        ids=UuidGenerator(),
        retriever=retriever,
        settings=ChatSettings(default_max_tokens=settings.default_max_tokens),
    )
    return Services(
        settings=settings,
        prices=prices,
        catalog=catalog,
        chat=chat,
        conversations=ConversationService(store),
    )


def build_language_model(settings: Settings) -> LanguageModel:
    # Adapters are imported here, not at module top, to keep cold starts short.
    if settings.provider == "bedrock":
        from lambdas.adapters.bedrock import BedrockChatModel

        return BedrockChatModel(
            _boto3_client("bedrock-runtime", settings, read_timeout=settings.model_timeout_seconds),
        )
    if settings.provider == "openai":
        from lambdas.adapters.openai_compat import OpenAICompatibleModel

        assert settings.llm_base_url is not None  # enforced by Settings
        api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return OpenAICompatibleModel(
            settings.llm_base_url, api_key=api_key, timeout_seconds=settings.model_timeout_seconds
        )
    from lambdas.adapters.local.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer()


def build_connection_publisher(settings: Settings) -> ConnectionPublisher:
    """Where streamed answer events go: API Gateway's callback URL, or the local server's sockets."""
    from lambdas.adapters.websocket import LOCAL_CONNECTIONS, ApiGatewayConnectionPublisher

    callback_url = settings.websocket_callback_url
    if callback_url is None:
        return LOCAL_CONNECTIONS
    return ApiGatewayConnectionPublisher(
        lambda: _boto3_client("apigatewaymanagementapi", settings, endpoint_url=callback_url)
    )


def _dynamodb_conversation_store(settings: Settings) -> ConversationStore:
    from lambdas.adapters.dynamodb import DynamoDBConversationStore

    return DynamoDBConversationStore(_dynamodb_table(settings.conversations_table, settings))


def _dynamodb_table(name: str, settings: Settings) -> Any:
    import boto3

    return boto3.resource("dynamodb", region_name=settings.aws_region).Table(name)


def _boto3_client(
    service: str, settings: Settings, *, read_timeout: float = 10.0, endpoint_url: str | None = None
) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=5,
        read_timeout=read_timeout,
        retries={"mode": "standard", "max_attempts": 4},
    )
    return boto3.client(service, region_name=settings.aws_region, config=config, endpoint_url=endpoint_url)
