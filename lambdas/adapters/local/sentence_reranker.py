"""Local second stage of retrieval: each candidate scored by its best-matching sentence group.

A chunk has one vector in the index, the mean of all its words: a chunk whose one sentence
answers the question is diluted by the rest. Here each candidate is split into groups of
sentences, each group embedded with the candidate's context line (title and heading path,
as `contextual_text` puts it first), and the candidate scored by its group nearest to the
question; that order and the first stage's are then fused by reciprocal rank, so the
keyword evidence the first stage weighed is not thrown away. The index is unchanged; only
the candidates are embedded again, through the same embedder, whose document cache makes
a candidate seen before a file read.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lambdas.core.ports import Embedder, Reranked
from lambdas.core.rag.chunking import sentence_groups
from lambdas.core.rag.fusion import RRF_K

GROUP_CHARS = 500
"""Sentences are grouped up to this many characters (measured: 300-600 alike, docs/decisions.md)."""


class SentenceGroupReranker:
    """Implements the Reranker port with a dense embedder: no model call, nothing to pay."""

    def __init__(self, embedder: Embedder, *, group_chars: int = GROUP_CHARS) -> None:
        self._embedder = embedder
        self._group_chars = group_chars
        self.model_id = f"sentence-groups/{embedder.model_id}"

    def rerank(self, query: str, texts: Sequence[str], top_n: int) -> list[Reranked]:
        if not texts:
            return []
        by_similarity = sorted(
            range(len(texts)), key=self._best_similarities(query, texts).__getitem__, reverse=True
        )
        similarity_rank = {text: rank for rank, text in enumerate(by_similarity)}
        scores = [1 / (RRF_K + first) + 1 / (RRF_K + similarity_rank[first]) for first in range(len(texts))]
        # sorted() is stable: equal scores keep the first stage's order.
        order = sorted(range(len(texts)), key=scores.__getitem__, reverse=True)
        return [Reranked(index=i, score=scores[i]) for i in order[: max(top_n, 0)]]

    def _best_similarities(self, query: str, texts: Sequence[str]) -> list[float]:
        """Per text, the cosine similarity of its group nearest to the query; -1 (the least
        possible) for a text with nothing to embed."""
        grouped = [self._groups(text) for text in texts]
        flat = [group for groups in grouped for group in groups]
        if not flat:
            return [-1.0] * len(texts)
        vectors = np.asarray(self._embedder.embed_documents(flat), dtype=np.float32)
        similarities = vectors @ np.asarray(self._embedder.embed_query(query), dtype=np.float32)
        best: list[float] = []
        offset = 0
        for groups in grouped:
            best.append(float(similarities[offset : offset + len(groups)].max()) if groups else -1.0)
            offset += len(groups)
        return best

    def _groups(self, text: str) -> list[str]:
        """The text's sentence groups, each led by its first line when that line is short
        enough to be a title or heading path."""
        context, _, body = text.strip().partition("\n")
        if body.strip() and len(context) <= self._group_chars:
            return [f"{context}\n{group}" for group in sentence_groups(body, self._group_chars)]
        return sentence_groups(text, self._group_chars)
