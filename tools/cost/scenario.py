"""What is being estimated: the traffic and corpus, and the monthly volumes derived from them.

The constants are the assumptions behind per-request and per-document volumes, taken from how
the application and its stacks behave. Each line of the estimate repeats the ones it uses, so a
reader can challenge them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from lambdas.core.rag.chunking import ChunkingConfig

VectorBackend = Literal["opensearch", "s3vectors"]
Architecture = Literal["arm64", "x86_64"]

CHARS_PER_TOKEN = 4
"""English text with BPE tokenizers."""
QUERY_TOKENS = 50
"""Tokens of the question embedded for retrieval."""
CHUNK_CHARS = ChunkingConfig().max_chars
CHUNK_OVERLAP_CHARS = ChunkingConfig().overlap_chars
"""The application's default chunking (`CHUNK_MAX_CHARS`, `CHUNK_OVERLAP_CHARS`), so the estimate follows it."""
EMBED_BATCH_SIZE = 32
"""Chunks per embedding batch (`INGEST_BATCH_SIZE`)."""
SUMMARY_OUTPUT_TOKENS = 300
"""The summary workflow's `max_tokens`."""
SUMMARY_PROMPT_TOKENS = 60
CITATIONS_BYTES = 1000
"""Citation snippets stored with an answer."""


@dataclass(frozen=True, slots=True)
class Scenario:
    requests_per_day: float = 10_000
    input_tokens: int = 500
    """Average input tokens per request: system prompt, history, passages and question."""
    output_tokens: int = 300
    cache_hit_rate: float = 0.0
    """Share of requests whose cacheable prefix is read from the prompt cache; the others write it."""
    cacheable_share: float = 0.6
    """Share of the input tokens in the stable prefix (system prompt and earlier turns)."""
    model: str = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    retrieval: bool = True
    documents_per_month: int = 1_000
    average_document_kb: float = 50.0
    corpus_documents: int | None = None
    """Documents kept in the index; None means twelve months of ingestion."""
    vector_backend: VectorBackend = "opensearch"
    standby_replicas: bool = True
    embedding_model: str = "amazon.titan-embed-text-v2:0"
    embedding_dimensions: int = 1024
    summary_model: str = "us.amazon.nova-lite-v1:0"
    guardrail: bool = True
    denied_topics: bool = False
    streaming: bool = False
    monthly_active_users: int = 1_000
    lambda_memory_mb: int = 512
    lambda_duration_ms: float = 3000.0
    lambda_architecture: Architecture = "arm64"

    @property
    def stored_documents(self) -> int:
        if self.corpus_documents is not None:
            return self.corpus_documents
        return 12 * self.documents_per_month


@dataclass(frozen=True, slots=True)
class Volumes:
    """Monthly quantities derived once from a scenario."""

    days: float
    requests: float
    documents: float
    chunks_per_document: int
    batches_per_document: int
    stored_chunks: int
    answer_bytes: int

    @classmethod
    def of(cls, scenario: Scenario, hours_per_month: float) -> Volumes:
        days = hours_per_month / 24
        document_chars = scenario.average_document_kb * 1024
        chunks = max(1, math.ceil(document_chars / (CHUNK_CHARS - CHUNK_OVERLAP_CHARS)))
        return cls(
            days=days,
            requests=scenario.requests_per_day * days,
            documents=float(scenario.documents_per_month),
            chunks_per_document=chunks,
            batches_per_document=math.ceil(chunks / EMBED_BATCH_SIZE),
            stored_chunks=scenario.stored_documents * chunks,
            answer_bytes=scenario.output_tokens * CHARS_PER_TOKEN + CITATIONS_BYTES,
        )
