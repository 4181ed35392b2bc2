"""Hybrid retrieval: keyword (BM25) and vector search over the owner's chunks, fused.

`RetrievalConfig` holds the defaults the chat flow, the ingestion workflow and the
evaluation CLI all use, so what is measured is what runs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from lambdas.core.errors import ModelUnavailable
from lambdas.core.models import Chunk, Passage, ScoredChunk
from lambdas.core.ports import ChunkIndex, ChunkLookup, Embedder, QueryExpansion, Reranker
from lambdas.core.rag.chunking import ChunkingConfig, chunk_id, chunk_ordinal, chunk_text, contextual_text
from lambdas.core.rag.fusion import RRF_K, FusionMethod, min_max_fusion, reciprocal_rank_fusion
from lambdas.core.rag.text import keyword_query, query_coverage

logger = logging.getLogger(__name__)


class RerankUsage(Protocol):
    """Adds a rerank call's cost to the owner's usage (`lambdas.core.usage.RerankUsageRecorder`)."""

    def record(self, owner: str, query: str, texts: Sequence[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class RetrievalConfig:
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    top_k: int = 5
    candidates: int = 30
    """How deep each search looks before fusion; deeper lets a chunk ranked modestly by
    both searches rise above one ranked highly by only one."""
    fusion: FusionMethod = "minmax"
    """Min-max score fusion: measured against rank fusion it kept its gain over every chunk
    size tried (docs/decisions.md, "Fusion of keyword and vector search"); the weights are
    set by `keyword_weight_by_coverage`."""
    rrf_k: int = RRF_K
    """Only used by `fusion="rrf"`."""
    keyword_weight_by_coverage: bool = True
    """Weight the keyword ranking in fusion by how much of the question its best hit
    contains (`query_coverage`), the vector ranking by 1: a question worded unlike its
    passage leaves BM25 matching incidental words, and then the dense ranking should lead."""
    passage_chars: int = 1400
    """A hit is widened with its neighbouring chunks up to this many characters (0: never)."""
    neighbour_radius: int = 2
    """At most this many chunks are added on each side of a hit."""
    embedding_batch_size: int = 32
    rerank_candidates: int = 40
    """How many fused hits a reranker (Bedrock's, or local mode's) reorders."""


DEFAULT_CONFIG = RetrievalConfig()


class HybridRetriever:
    """Implements the Retriever port. Without an embedder it is keyword-only (BM25).

    Chunks are small so that each search matches them precisely; the passage handed to
    the model is the hit widened with its neighbours (when the index can look chunks up),
    because the sentence that answers a question often sits just before or after the one
    that matched it. Passages never repeat text an earlier passage already holds.
    """

    def __init__(
        self,
        embedder: Embedder | None,
        index: ChunkIndex,
        *,
        config: RetrievalConfig = DEFAULT_CONFIG,
        reranker: Reranker | None = None,
        rerank_usage: RerankUsage | None = None,
    ) -> None:
        self._embedder = embedder
        self._index = index
        self._config = config
        self._reranker = reranker
        self._rerank_usage = rerank_usage

    @property
    def dense(self) -> bool:
        """False when retrieval is keyword-only (no dense embedder available)."""
        return self._embedder is not None

    def retrieve(
        self, owner: str, query: str, top_k: int | None = None, *, expand: QueryExpansion | None = None
    ) -> Sequence[Passage]:
        limit = top_k or self._config.top_k
        query = " ".join(query.split())
        if not query:
            return []
        fused = self._first_stage(owner, query, limit)
        if fused and expand is not None:
            expansion = " ".join(expand(query).split())
            if expansion:
                fused = self._first_stage(owner, f"{query} {expansion}", limit)
        if not fused:
            return []
        if self._reranker is not None:
            # The second stage judges the question as asked, never the expansion: a reranker
            # is trained on question-passage pairs, and a model's expansion may invent facts.
            fused = self._reranked(owner, query, fused, self._reranker)
        if self._config.passage_chars <= 0 or not isinstance(self._index, ChunkLookup):
            return [_passage(hit, [hit.chunk]) for hit in fused[:limit]]
        return self._widened(owner, fused, limit, self._index)

    def _first_stage(self, owner: str, query: str, limit: int) -> list[ScoredChunk]:
        """Keyword and vector hits for `query`, fused."""
        depth = max(self._config.candidates, limit)
        rankings = [self._index.keyword_search(owner, keyword_query(query), depth)]
        if self._embedder is not None:
            rankings.append(self._index.vector_search(owner, self._embedder.embed_query(query), depth))
        weights = self._weights(query, rankings)
        if self._config.fusion == "rrf":
            return reciprocal_rank_fusion(rankings, k=self._config.rrf_k, weights=weights)
        return min_max_fusion(rankings, weights=weights)

    def _weights(self, query: str, rankings: Sequence[Sequence[ScoredChunk]]) -> list[float] | None:
        """Keyword and vector weights for fusion; None (equal) unless both searches ran."""
        keyword, *dense = rankings
        if not (self._config.keyword_weight_by_coverage and keyword and dense):
            return None
        return [query_coverage(query, contextual_text(keyword[0].chunk)), 1.0]

    def _widened(
        self, owner: str, fused: Sequence[ScoredChunk], limit: int, lookup: ChunkLookup
    ) -> list[Passage]:
        radius = self._config.neighbour_radius
        # Fetch the neighbours of every hit likely to be used in one round trip; a hit
        # further down (when earlier ones were merged away) is used unwidened.
        wanted = {
            chunk_id(hit.chunk.document_id, ordinal)
            for hit in fused[: limit * 2]
            for ordinal in _around(chunk_ordinal(hit.chunk.chunk_id), radius)
        }
        known = {chunk.chunk_id: chunk for chunk in lookup.get_chunks(owner, sorted(wanted))}
        passages: list[Passage] = []
        taken: set[str] = set()
        for hit in fused:
            if len(passages) == limit:
                break
            if hit.chunk.chunk_id in taken:
                continue
            group = _widen(hit.chunk, known, taken, self._config.passage_chars, radius)
            taken.update(chunk.chunk_id for chunk in group)
            passages.append(_passage(hit, group))
        return passages

    def _reranked(
        self, owner: str, query: str, fused: Sequence[ScoredChunk], reranker: Reranker
    ) -> list[ScoredChunk]:
        """The first `rerank_candidates` hits in the reranker's order, then the rest as fused;
        the fused order unchanged when the reranker fails (throttled, no access, no model here)."""
        candidates = fused[: self._config.rerank_candidates]
        texts = [contextual_text(hit.chunk) for hit in candidates]
        try:
            ranked = reranker.rerank(query, texts, len(texts))
        except ModelUnavailable as error:
            logger.warning("reranking skipped: %s", error.message)
            return list(fused)
        if self._rerank_usage is not None:
            self._rerank_usage.record(owner, query, texts)
        order = [ScoredChunk(candidates[item.index].chunk, item.score) for item in ranked]
        seen = {hit.chunk.chunk_id for hit in order}
        return order + [hit for hit in fused if hit.chunk.chunk_id not in seen]


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


def _around(ordinal: int, radius: int) -> range:
    return range(max(0, ordinal - radius), ordinal + radius + 1)


def _widen(hit: Chunk, known: dict[str, Chunk], taken: set[str], budget: int, radius: int) -> list[Chunk]:
    """`hit` plus adjacent chunks of its document, next side first, while the span fits
    `budget` characters and the neighbour is not already in another passage."""
    group = [hit]
    first = last = chunk_ordinal(hit.chunk_id)
    growing = True
    while growing:
        growing = False
        for ordinal, at_end in ((last + 1, True), (first - 1, False)):
            neighbour = known.get(chunk_id(hit.document_id, ordinal))
            if (
                neighbour is None
                or neighbour.chunk_id in taken
                or abs(ordinal - chunk_ordinal(hit.chunk_id)) > radius
            ):
                continue
            start = min(group[0].start, neighbour.start)
            end = max(group[-1].end, neighbour.end)
            if end - start > budget:
                continue
            if at_end:
                group.append(neighbour)
                last = ordinal
            else:
                group.insert(0, neighbour)
                first = ordinal
            growing = True
    return group


def _joined_text(group: Sequence[Chunk]) -> str:
    """The text the chunks cover, each overlap kept once; a gap between chunks (blank
    lines only) becomes a paragraph break."""
    text = group[0].text
    end = group[0].end
    for chunk in group[1:]:
        if chunk.start >= end:
            text += "\n\n" + chunk.text
        elif chunk.end > end:
            text += chunk.text[end - chunk.start :]
        end = max(end, chunk.end)
    return text


def _passage(hit: ScoredChunk, group: Sequence[Chunk]) -> Passage:
    chunk = hit.chunk
    return Passage(
        document_id=chunk.document_id,
        title=chunk.title,
        text=_joined_text(group),
        score=hit.score,
        heading=" > ".join(chunk.heading_path),
        chunk_id=chunk.chunk_id,
    )
