"""Runtime configuration, read once from environment variables (see the README's configuration table)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from lambdas.core.rag.chunking import ChunkingConfig, ChunkingStrategy

Provider = Literal["bedrock", "openai", "extractive"]
_CHUNKING = ChunkingConfig()
"""Chunking's defaults, as measured (`make eval`); the cost estimate reads the same."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    llm_provider: Provider | None = Field(
        default=None,
        description="bedrock | openai | extractive. Unset: openai when LLM_BASE_URL is set, else extractive.",
    )
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint, e.g. Ollama's.")
    llm_api_key: SecretStr | None = Field(default=None, description="Bearer token for LLM_BASE_URL, if any.")
    llm_model: str = Field(default="llama3.2", description="Model id served by LLM_BASE_URL.")
    bedrock_model_id: str = Field(default="us.anthropic.claude-3-5-haiku-20241022-v1:0")
    bedrock_extra_model_ids: list[str] = Field(
        default_factory=list, description="More Bedrock models users may pick (JSON list)."
    )
    bedrock_fallback_model_id: str | None = Field(
        default=None, description="Answers when the chosen model is failing; must be in the price table."
    )
    bedrock_guardrail_id: str | None = Field(default=None, description="Guardrail applied to chat calls.")
    bedrock_guardrail_version: str | None = Field(
        default=None, description="Its version; set both or neither."
    )
    aws_region: str = Field(default="us-east-1")
    conversations_table: str = Field(default="conversations")
    usage_table: str = Field(default="usage", description="Daily usage aggregates and rate-limit buckets.")
    price_table_path: Path | None = Field(default=None, description="Override of the bundled price table.")
    model_timeout_seconds: float = Field(default=60.0, gt=0)
    default_max_tokens: int = Field(default=1024, ge=1)
    websocket_callback_url: str | None = Field(
        default=None,
        description="https://{api-id}.execute-api.{region}.amazonaws.com/{stage} of the streaming "
        "WebSocket API. Unset: local mode, messages go to the local server's sockets.",
    )
    cognito_user_pool_id: str | None = Field(default=None, description="Verifies WebSocket ID tokens.")
    cognito_app_client_id: str | None = Field(default=None, description="Expected `aud` of ID tokens.")
    local_stream_delay_ms: int = Field(
        default=0, ge=0, le=1000, description="Local mode: pause between the extractive answerer's deltas."
    )
    documents_table: str = Field(default="documents")
    documents_bucket: str = Field(default="documents")
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1, description="Largest accepted upload.")
    upload_url_expiry_seconds: int = Field(default=900, ge=60, le=3600)
    upload_endpoint_url: str | None = Field(
        default=None,
        description="Where browsers send presigned uploads. Unset: S3 itself; local mode: "
        "the local server's /local-s3.",
    )
    ingest_batch_size: int = Field(default=32, ge=1, le=500, description="Chunks per embedding batch.")
    embedding_model_id: str = Field(default="amazon.titan-embed-text-v2:0")
    query_rewriting: bool = Field(
        default=True,
        description="With a generative model (Bedrock or OpenAI-compatible), have it write an answer-like "
        "passage that retrieval searches with the question; its tokens and cost count in usage.",
    )
    rerank_model_id: str = Field(
        default="",
        description="Bedrock reranking model for retrieval's second stage (cohere.rerank-v3-5:0 or "
        "amazon.rerank-v1:0); empty: no reranking. The deployment sets it where the region offers one.",
    )
    local_reranking: bool = Field(
        default=True,
        description="Local mode with the dense embedder: re-score the fused top 40 hits by their sentence "
        "group nearest to the question by bge-small-en-v1.5 (MiniLM where it is not installed), fused "
        "by rank with the first stage (no model call, no cost); ignored when RERANK_MODEL_ID is set.",
    )
    embedding_dimensions: int = Field(default=1024, description="256, 512 or 1024 for Titan v2.")
    vector_backend: Literal["local", "opensearch", "s3vectors"] = Field(default="local")
    opensearch_endpoint: str | None = Field(default=None)
    opensearch_index: str = Field(default="chunks")
    s3vectors_bucket: str | None = Field(default=None)
    s3vectors_index: str = Field(default="chunks")
    local_index_path: Path | None = Field(
        default=None, description="SQLite file of the local index. Unset: in memory."
    )
    chunking_strategy: ChunkingStrategy = Field(
        default=_CHUNKING.strategy,
        description="structure: split on headings and paragraphs first; fixed: windows with overlap.",
    )
    chunk_max_chars: int = Field(
        default=_CHUNKING.max_chars, ge=50, le=8000, description="Largest chunk, in characters."
    )
    chunk_overlap_chars: int = Field(
        default=_CHUNKING.overlap_chars,
        ge=0,
        description="Characters shared by neighbouring chunks; under half of CHUNK_MAX_CHARS.",
    )
    retrieval_top_k: int = Field(default=5, ge=1, le=20, description="Passages retrieved per question.")
    guard_passage_threshold: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Classifier score from which a sentence of a retrieved passage is left out as an "
        "instruction; unset: the trained model's own (0.715). Higher removes fewer benign sentences and "
        "misses more injected ones (figures in docs/security.md); the patterns apply either way.",
    )
    rate_limit_requests_per_minute: int = Field(default=20, ge=0, description="Per user; 0: no limit.")
    rate_limit_tokens_per_minute: int = Field(
        default=40_000, ge=0, description="Model tokens (input + output) per user; 0: no limit."
    )
    daily_token_budget: int = Field(
        default=200_000, ge=0, description="Model tokens per user per UTC day; 0: no limit."
    )
    response_cache_seconds: int = Field(
        default=0, ge=0, le=3600, description="Reuse the answer to an identical prompt this long; 0: off."
    )
    prompt_cache: bool = Field(
        default=True,
        description="Bedrock prompt-cache checkpoints for the models the price table gives a minimum for.",
    )
    admin_users: str = Field(
        default="",
        description="Comma-separated user ids treated as administrators when no Cognito groups claim "
        "is present (local mode only; in the cloud, membership of the Cognito admins group decides).",
    )

    @model_validator(mode="after")
    def _choose_provider(self) -> Settings:
        if self.llm_provider is None:
            self.llm_provider = "openai" if self.llm_base_url else "extractive"
        if self.llm_provider == "openai" and not self.llm_base_url:
            raise ValueError("LLM_PROVIDER=openai needs LLM_BASE_URL")
        if self.chunk_overlap_chars >= self.chunk_max_chars // 2:
            raise ValueError("CHUNK_OVERLAP_CHARS must be under half of CHUNK_MAX_CHARS")
        return self

    @property
    def provider(self) -> Provider:
        assert self.llm_provider is not None  # set by the validator
        return self.llm_provider

    @property
    def rewrites_queries(self) -> bool:
        """Query rewriting is on and a generative model is there to write the passage."""
        return self.query_rewriting and self.provider in ("bedrock", "openai")

    def offered_model_ids(self) -> list[str]:
        """Models users may choose, default first."""
        if self.provider == "bedrock":
            return list(dict.fromkeys([self.bedrock_model_id, *self.bedrock_extra_model_ids]))
        if self.provider == "openai":
            return [self.llm_model]
        return ["local-extractive"]


class GivenSettings(Settings):
    """Settings built from the values given only, never from this machine's environment."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)
