"""Composition root: builds the adapters named by Settings, once per Lambda container.

Local mode, the cloud and the tests all go through `build_services`; only the
settings (or explicitly injected adapters, in tests) differ.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache, partial
from typing import TYPE_CHECKING, Any

from lambdas.core.catalog import ModelCatalog
from lambdas.core.chat import ChatService, ChatSettings
from lambdas.core.clock import SystemClock, UuidGenerator
from lambdas.core.conversations import ConversationService
from lambdas.core.limits import LimitPolicy
from lambdas.core.models import ModelInfo, Passage
from lambdas.core.ports import (
    ChunkIndex,
    ConversationStore,
    DocumentStore,
    Embedder,
    IdempotentCalls,
    LanguageModel,
    ObjectStore,
    QueryExpansion,
    RateLimiter,
    Reranker,
    Retriever,
    UsageStore,
)
from lambdas.core.pricing import DEFAULT_PRICE_TABLE, PriceTable, load_price_table
from lambdas.core.response_cache import CachedModel

if TYPE_CHECKING:
    from lambdas.adapters.websocket import ConnectionPublisher
    from lambdas.core.admin import AdminService, LimitOverrides
    from lambdas.core.documents import DocumentService
    from lambdas.core.ingestion import EmbeddingUsage, IngestionPipeline
    from lambdas.core.rag.retrieval import RerankUsage, RetrievalConfig
    from lambdas.core.usage import UsageService
    from lambdas.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    prices: PriceTable
    catalog: ModelCatalog
    chat: ChatService
    conversations: ConversationService
    rag: RagServices
    chat_idempotency: IdempotentCalls
    usage_store: UsageStore
    limit_overrides: LimitOverrides
    rate_limiter: RateLimiter | None

    # Usage reports and administration are built, and their modules imported, on first use:
    # a container that only answers questions never pays for them at cold start.
    @cached_property
    def usage(self) -> UsageService:
        from lambdas.core.usage import UsageService

        return UsageService(self.usage_store, SystemClock())

    @cached_property
    def admin(self) -> AdminService:
        from lambdas.core.admin import AdminService

        return AdminService(
            usage=self.usage_store,
            overrides=self.limit_overrides,
            limiter=self.rate_limiter,
            default_policy=_default_limits(self.settings),
            clock=SystemClock(),
        )


_override: Services | None = None


def get_services() -> Services:
    return _override or _services_from_environment()


def use_services(services: Services | None) -> None:
    """Replace the environment-built services (tests); None restores them."""
    global _override  # noqa: PLW0603 - one process-wide composition root
    _override = services


@lru_cache(maxsize=1)
def _services_from_environment() -> Services:
    # Imported on first use: pydantic-settings is a noticeable part of a cold start.
    from lambdas.settings import Settings

    return build_services(Settings())


def build_services(
    settings: Settings,
    *,
    store: ConversationStore | None = None,
    model: LanguageModel | None = None,
    retriever: Retriever | None = None,
    rag: RagServices | None = None,
    usage_store: UsageStore | None = None,
    rate_limiter: RateLimiter | None = None,
    limit_overrides: LimitOverrides | None = None,
) -> Services:
    """Services from `settings`, with any adapter the caller injects. Rate limits live next to
    the DynamoDB stores: with an injected conversation store (tests, benchmarks) there are
    none unless `rate_limiter` is given."""
    rag = rag or RagServices(settings)
    prices = _price_table(settings)
    if settings.vector_backend != "local":
        # Every ingestion batch is priced with it: an unpriced embedding model is refused now.
        prices.embedding_price(settings.embedding_model_id)
    offered = [prices.model(model_id) for model_id in settings.offered_model_ids()]
    catalog = ModelCatalog(offered, default_model_id=offered[0].id)
    fallback_id = settings.bedrock_fallback_model_id if settings.provider == "bedrock" else None
    # Priced now: an unpriced fallback is refused at start-up, not billed as zero mid-outage.
    fallback = prices.model(fallback_id) if fallback_id else None
    overrides = limit_overrides or _dynamodb_limit_overrides(settings)
    if store is None:
        store = _dynamodb_conversation_store(settings)
        rate_limiter = rate_limiter or _dynamodb_rate_limiter(settings, overrides)
    usage_store = usage_store or _dynamodb_usage_store(settings)
    language_model = model or build_language_model(settings)
    if retriever is None:
        retriever = _DeferredRetriever(rag)
        if settings.rewrites_queries:
            from lambdas.core.rag.rewrite import RewritingRetriever, UsageStoreRewriteUsage

            rewrite_usage = UsageStoreRewriteUsage(
                usage_store or _dynamodb_usage_store(settings), SystemClock(), offered[0]
            )
            retriever = RewritingRetriever(retriever, language_model, offered[0].id, rewrite_usage)
    if settings.response_cache_seconds:
        language_model = CachedModel(language_model, ttl_seconds=settings.response_cache_seconds)
    chat = ChatService(
        store=store,
        catalog=catalog,
        model=language_model,
        clock=SystemClock(),
        ids=UuidGenerator(),
        retriever=retriever,
        settings=ChatSettings(
            default_max_tokens=settings.default_max_tokens,
            top_k=settings.retrieval_top_k,
            passage_threshold=settings.guard_passage_threshold,
            fallback_model=fallback,
        ),
        rate_limiter=rate_limiter,
    )
    return Services(
        settings=settings,
        prices=prices,
        catalog=catalog,
        chat=chat,
        conversations=ConversationService(store),
        rag=rag,
        chat_idempotency=_dynamodb_idempotency(settings, scope="CHAT"),
        usage_store=usage_store,
        limit_overrides=overrides,
        rate_limiter=rate_limiter,
    )


class RagServices:
    """Documents, ingestion and their adapters, each built on first use and then kept.

    Each ingestion Lambda needs only its own part, and the local embedder loads model
    weights: nothing is built before it is asked for. Tests inject in-memory adapters.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        store: DocumentStore | None = None,
        objects: ObjectStore | None = None,
        index: ChunkIndex | None = None,
        embedder: Embedder | None = None,
        embedding_usage: EmbeddingUsage | None = None,
        reranking_embedder: Embedder | None = None,
        meter_reranking: bool = True,
    ) -> None:
        self._settings = settings
        # False where nothing may be written to the usage table (evaluating a deployed backend).
        self._meter_reranking = meter_reranking
        self._store = store
        self._objects = objects
        self._index = index
        self._embedder = embedder
        self._embedder_built = embedder is not None
        # An injected dense embedder (tests, benchmarks) also scores local reranking, unless
        # a reranking embedder comes with it.
        self._reranking_embedder = reranking_embedder or embedder
        self._embedding_usage = embedding_usage
        # An injected embedder (tests, benchmarks) is metered only when `embedding_usage` comes
        # with it, as an injected conversation store has rate limits only when they are given.
        self._embedding_usage_built = embedder is not None or embedding_usage is not None
        self._lock = threading.RLock()

    @property
    def store(self) -> DocumentStore:
        with self._lock:
            if self._store is None:
                from lambdas.adapters.dynamodb_documents import DynamoDBDocumentStore

                table = _dynamodb_table(self._settings.documents_table, self._settings)
                self._store = DynamoDBDocumentStore(table, SystemClock())
            return self._store

    @property
    def objects(self) -> ObjectStore:
        with self._lock:
            if self._objects is None:
                self._objects = _s3_object_store(self._settings)
            return self._objects

    @property
    def index(self) -> ChunkIndex:
        with self._lock:
            if self._index is None:
                self._index = build_chunk_index(self._settings)
            return self._index

    @property
    def embedder(self) -> Embedder | None:
        """None when local mode has no dense model installed: retrieval is keyword-only."""
        with self._lock:
            if not self._embedder_built:
                self._embedder = build_embedder(self._settings)
                self._embedder_built = True
            return self._embedder

    @property
    def embedding_usage(self) -> EmbeddingUsage | None:
        """Adds each ingestion batch's embedding tokens and cost to its owner's usage."""
        with self._lock:
            if not self._embedding_usage_built:
                self._embedding_usage = build_embedding_usage(self._settings, self.embedder)
                self._embedding_usage_built = True
            return self._embedding_usage

    @property
    def documents(self) -> DocumentService:
        # Documents, ingestion and retrieval are imported on first use: a function that
        # serves only some routes never pays for the others at cold start.
        from lambdas.core.documents import DocumentService

        return DocumentService(
            store=self.store,
            objects=self.objects,
            index=self.index,
            clock=SystemClock(),
            ids=UuidGenerator(),
            max_upload_bytes=self._settings.max_upload_bytes,
            upload_expiry_seconds=self._settings.upload_url_expiry_seconds,
        )

    @property
    def ingestion(self) -> IngestionPipeline:
        from lambdas.core.ingestion import IngestionPipeline
        from lambdas.core.rag.chunking import chunk_text

        return IngestionPipeline(
            store=self.store,
            objects=self.objects,
            index=self.index,
            chunker=partial(chunk_text, config=self.retrieval_config.chunking),
            embedder=self.embedder,
            batch_size=self._settings.ingest_batch_size,
            embedding_usage=self.embedding_usage,
        )

    @property
    def retriever(self) -> Retriever:
        from lambdas.core.rag.retrieval import HybridRetriever

        return HybridRetriever(
            self.embedder,
            self.index,
            config=self.retrieval_config,
            reranker=self.reranker,
            rerank_usage=self.rerank_usage,
        )

    @cached_property
    def reranker(self) -> Reranker | None:
        """Bedrock's Rerank API when a reranking model is configured; else, in local mode with
        the dense embedder, the sentence-group reranker unless LOCAL_RERANKING is off, scoring
        with bge-small-en-v1.5 where it is installed and with the dense embedder elsewhere."""
        if not self._settings.rerank_model_id:
            return self._local_reranker()
        from lambdas.adapters.bedrock_rerank import BedrockReranker

        return BedrockReranker(
            _boto3_client("bedrock-agent-runtime", self._settings),
            model_id=self._settings.rerank_model_id,
            region=self._settings.aws_region,
        )

    def _local_reranker(self) -> Reranker | None:
        embedder = self.embedder
        if not (self._settings.vector_backend == "local" and self._settings.local_reranking and embedder):
            return None
        from lambdas.adapters.local.sentence_reranker import SentenceGroupReranker

        return SentenceGroupReranker(self._reranking_embedder or local_reranking_embedder() or embedder)

    @cached_property
    def rerank_usage(self) -> RerankUsage | None:
        """Records each Bedrock rerank call's cost in the caller's usage, at the price table's
        rate; the local reranker calls no model, so it records nothing."""
        if not (self._settings.rerank_model_id and self._meter_reranking):
            return None
        from lambdas.core.usage import RerankUsageRecorder

        return RerankUsageRecorder(
            _dynamodb_usage_store(self._settings),
            SystemClock(),
            model_id=self._settings.rerank_model_id,
            per_1k_queries_usd=_price_table(self._settings).rerank_price(self._settings.rerank_model_id),
        )

    @property
    def retrieval_config(self) -> RetrievalConfig:
        """Chunking and retrieval as configured; the rest of the defaults as measured (`make eval`)."""
        from lambdas.core.rag.chunking import ChunkingConfig
        from lambdas.core.rag.retrieval import RetrievalConfig

        chunking = ChunkingConfig(
            strategy=self._settings.chunking_strategy,
            max_chars=self._settings.chunk_max_chars,
            overlap_chars=self._settings.chunk_overlap_chars,
        )
        return RetrievalConfig(
            chunking=chunking,
            top_k=self._settings.retrieval_top_k,
            # Coverage was measured on questions as asked; an expanded query's words are mostly the
            # model's, so how many of them a keyword hit holds says little: equal weights there.
            keyword_weight_by_coverage=not self._settings.rewrites_queries,
        )


class _DeferredRetriever:
    """Builds the retriever at the first question, not when the API container starts."""

    def __init__(self, rag: RagServices) -> None:
        self._rag = rag

    def retrieve(
        self, owner: str, query: str, top_k: int, *, expand: QueryExpansion | None = None
    ) -> Sequence[Passage]:
        return self._rag.retriever.retrieve(owner, query, top_k, expand=expand)


def build_chunk_index(settings: Settings) -> ChunkIndex:
    if settings.vector_backend == "local":
        from lambdas.adapters.local.index import SqliteChunkIndex

        return SqliteChunkIndex(settings.local_index_path or ":memory:")
    if settings.vector_backend == "opensearch":
        import boto3

        from lambdas.adapters.opensearch import OpenSearchChunkIndex
        from lambdas.adapters.signed_http import SigV4Transport

        if not settings.opensearch_endpoint:
            raise ValueError("VECTOR_BACKEND=opensearch needs OPENSEARCH_ENDPOINT")
        transport = SigV4Transport(
            settings.opensearch_endpoint,
            service="aoss",
            region=settings.aws_region,
            credentials=boto3.Session().get_credentials(),
        )
        return OpenSearchChunkIndex(transport, settings.opensearch_index)
    from lambdas.adapters.s3vectors import S3VectorsChunkIndex

    if not settings.s3vectors_bucket:
        raise ValueError("VECTOR_BACKEND=s3vectors needs S3VECTORS_BUCKET")
    return S3VectorsChunkIndex(
        _boto3_client("s3vectors", settings), bucket=settings.s3vectors_bucket, index=settings.s3vectors_index
    )


def build_embedder(settings: Settings) -> Embedder | None:
    if settings.vector_backend == "local":
        return local_dense_embedder()
    from lambdas.adapters.bedrock_embeddings import TitanEmbedder

    # Both cloud backends store Titan vectors; botocore retries a throttle a few times before
    # the embedder raises ModelThrottled for the workflow's slower retry.
    return TitanEmbedder(
        _boto3_client("bedrock-runtime", settings),
        model_id=settings.embedding_model_id,
        dimensions=settings.embedding_dimensions,
    )


def build_embedding_usage(settings: Settings, embedder: Embedder | None) -> EmbeddingUsage | None:
    """Records into the usage table at the embedder's price; the local MiniLM is priced at zero,
    so local mode shows the tokens ingestion would send to a paid model, at no cost."""
    if embedder is None:
        return None
    from lambdas.core.usage import EmbeddingUsageRecorder

    return EmbeddingUsageRecorder(
        _dynamodb_usage_store(settings),
        SystemClock(),
        model_id=embedder.model_id,
        input_per_1k_usd=_price_table(settings).embedding_price(embedder.model_id),
    )


@lru_cache(maxsize=1)
def local_dense_embedder() -> Embedder | None:
    """MiniLM, which local mode indexes with; one per process: loading the weights takes a
    while and they never change."""
    from lambdas.adapters.local.embedder import load_local_embedder

    return _disk_cached(load_local_embedder())


@lru_cache(maxsize=1)
def local_reranking_embedder() -> Embedder | None:
    """bge-small, which local reranking scores with; one per process."""
    from lambdas.adapters.local.bge_embedder import load_bge_embedder

    return _disk_cached(load_bge_embedder())


def _disk_cached(embedder: Embedder | None) -> Embedder | None:
    """Restarts, re-uploads and repeated candidates embed the same texts again: the disk cache
    makes that a file read."""
    from lambdas.adapters.local.embedding_cache import CachedEmbedder

    return CachedEmbedder(embedder) if embedder else None


def _price_table(settings: Settings) -> PriceTable:
    return load_price_table(settings.price_table_path or DEFAULT_PRICE_TABLE)


def default_model(settings: Settings) -> ModelInfo:
    """The default chat model with its prices: it also writes the query rewrites."""
    return _price_table(settings).model(settings.offered_model_ids()[0])


def _s3_object_store(settings: Settings) -> ObjectStore:
    from lambdas.adapters.s3 import S3ObjectStore

    presign_client = None
    if settings.upload_endpoint_url:
        import boto3
        from botocore.config import Config

        # Presigning makes no request: this client only writes URLs for browsers to call.
        presign_client = boto3.client(
            "s3",
            region_name=settings.aws_region,
            endpoint_url=settings.upload_endpoint_url,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )
    return S3ObjectStore(
        _boto3_client("s3", settings), settings.documents_bucket, presign_client=presign_client
    )


def build_language_model(settings: Settings) -> LanguageModel:
    # Adapters are imported here, not at module top, to keep cold starts short.
    if settings.provider == "bedrock":
        from lambdas.adapters.bedrock import BedrockChatModel
        from lambdas.core.resilience import ResilientModel

        # One attempt per botocore call: ResilientModel retries, so its breaker sees every failure.
        client = _boto3_client(
            "bedrock-runtime", settings, read_timeout=settings.model_timeout_seconds, total_max_attempts=1
        )
        bedrock = BedrockChatModel(
            client,
            guardrail_id=settings.bedrock_guardrail_id,
            guardrail_version=settings.bedrock_guardrail_version,
            cache_minimums=_price_table(settings).cache_minimums() if settings.prompt_cache else None,
        )
        return ResilientModel(bedrock, fallback_model_id=settings.bedrock_fallback_model_id)
    if settings.provider == "openai":
        from lambdas.adapters.openai_compat import OpenAICompatibleModel

        assert settings.llm_base_url is not None  # enforced by Settings
        api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return OpenAICompatibleModel(
            settings.llm_base_url, api_key=api_key, timeout_seconds=settings.model_timeout_seconds
        )
    from lambdas.adapters.local.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer(delay_seconds=settings.local_stream_delay_ms / 1000)


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

    return DynamoDBConversationStore(
        _dynamodb_table(settings.conversations_table, settings), usage_table_name=settings.usage_table
    )


def _dynamodb_usage_store(settings: Settings) -> UsageStore:
    from lambdas.adapters.dynamodb_usage import DynamoDBUsageStore

    return DynamoDBUsageStore(lambda: _dynamodb_table(settings.usage_table, settings))


def _default_limits(settings: Settings) -> LimitPolicy:
    return LimitPolicy(
        requests_per_minute=settings.rate_limit_requests_per_minute,
        tokens_per_minute=settings.rate_limit_tokens_per_minute,
        daily_tokens=settings.daily_token_budget,
    )


def _dynamodb_rate_limiter(settings: Settings, overrides: LimitOverrides) -> RateLimiter:
    """Kept even when the defaults set no limit: an administrator may set one for a user."""
    from lambdas.adapters.dynamodb_limits import DynamoDBRateLimiter

    return DynamoDBRateLimiter(
        lambda: _dynamodb_table(settings.usage_table, settings),
        _default_limits(settings),
        overrides=overrides,
    )


def _dynamodb_limit_overrides(settings: Settings) -> LimitOverrides:
    from lambdas.adapters.dynamodb_overrides import DynamoDBLimitOverrides

    return DynamoDBLimitOverrides(lambda: _dynamodb_table(settings.usage_table, settings))


def _dynamodb_idempotency(settings: Settings, *, scope: str) -> IdempotentCalls:
    from lambdas.adapters.idempotency import DynamoDBIdempotency

    return DynamoDBIdempotency(settings.usage_table, lambda: _boto3_client("dynamodb", settings), scope=scope)


def _dynamodb_table(name: str, settings: Settings) -> Any:
    return _dynamodb_resource(settings.aws_region).Table(name)


@lru_cache(maxsize=4)
def _dynamodb_resource(region: str) -> Any:
    """One DynamoDB resource per container for every table: each new resource rebuilds its
    classes from the service's resource model, about as long as a first client costs."""
    import boto3

    return boto3.resource("dynamodb", region_name=region, config=_client_config())


def _boto3_client(
    service: str,
    settings: Settings,
    *,
    read_timeout: float = 10.0,
    total_max_attempts: int = 3,
    endpoint_url: str | None = None,
) -> Any:
    import boto3

    config = _client_config(read_timeout=read_timeout, total_max_attempts=total_max_attempts)
    return boto3.client(service, region_name=settings.aws_region, config=config, endpoint_url=endpoint_url)


def _client_config(*, read_timeout: float = 10.0, total_max_attempts: int = 3) -> Any:
    """Timeouts on every AWS call, and botocore's standard retries (jittered exponential
    backoff, a retry quota per client); `total_max_attempts` counts the first call."""
    from botocore.config import Config

    return Config(
        connect_timeout=5,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": total_max_attempts},
    )
