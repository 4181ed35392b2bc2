"""Hybrid retrieval: keyword (BM25) and vector search over the owner's chunks, fused by rank.

`RetrievalConfig` holds the defaults the chat flow, the ingestion workflow and the
evaluation CLI all use, so what is measured is what runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lambdas.core.models import Chunk, Passage, ScoredChunk
from lambdas.core.ports import ChunkIndex, Embedder
from lambdas.core.rag.chunking import ChunkingConfig, chunk_text, contextual_text
from lambdas.core.rag.fusion import RRF_K, reciprocal_rank_fusion


@dataclass(frozen=True, slots=True)
class RetrievalConfig:
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    top_k: int = 5
    candidates: int = 30
    """How deep each search looks before fusion; deeper lets a chunk ranked modestly by
    both searches rise above one ranked highly by only one."""
    rrf_k: int = RRF_K
    embedding_batch_size: int = 32


DEFAULT_CONFIG = RetrievalConfig()


class HybridRetriever:
    """Implements the Retriever port. Without an embedder it is keyword-only (BM25)."""

    def __init__(
        self, embedder: Embedder | None, index: ChunkIndex, *, config: RetrievalConfig = DEFAULT_CONFIG
    ) -> None:
        self._embedder = embedder
        self._index = index
        self._config = config

    @property
    def dense(self) -> bool:
        """False when retrieval is keyword-only (no dense embedder available)."""
        return self._embedder is not None

    def retrieve(self, owner: str, query: str, top_k: int | None = None) -> Sequence[Passage]:
        limit = top_k or self._config.top_k
        query = " ".join(query.split())
        if not query:
            return []
        depth = max(self._config.candidates, limit)
        rankings = [self._index.keyword_search(owner, query, depth)]
        if self._embedder is not None:
            rankings.append(self._index.vector_search(owner, self._embedder.embed_query(query), depth))
        fused = reciprocal_rank_fusion(rankings, k=self._config.rrf_k)
        return [_passage(scored) for scored in fused[:limit]]


def embed_chunks(embedder: Embedder, chunks: Sequence[Chunk], *, batch_size: int) -> list[list[float]]:
    """Vectors for chunks as search sees them (heading context included), in bounded batches."""
    texts = [contextual_text(chunk) for chunk in chunks]
    vectors: list[list[float]] = []
    for start in range(0, len(texts), batch_size):
        vectors.extend(embedder.embed_documents(texts[start : start + batch_size]))
    return vectors


def index_document(
    text: str,
    *,
    document_id: str,
    owner: str,
    title: str,
    embedder: Embedder | None,
    index: ChunkIndex,
    config: RetrievalConfig = DEFAULT_CONFIG,
) -> list[Chunk]:
    """Chunk, embed and index one document in-process, replacing any earlier version."""
    chunks = chunk_text(text, document_id=document_id, owner=owner, title=title, config=config.chunking)
    vectors = (
        embed_chunks(embedder, chunks, batch_size=config.embedding_batch_size)
        if embedder and chunks
        else None
    )
    index.replace_document(owner, document_id, chunks, vectors)
    return chunks


def _passage(scored: ScoredChunk) -> Passage:
    chunk = scored.chunk
    return Passage(
        document_id=chunk.document_id,
        title=chunk.title,
        text=chunk.text,
        score=scored.score,
        heading=" > ".join(chunk.heading_path),
        chunk_id=chunk.chunk_id,
    )
