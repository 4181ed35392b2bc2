"""Combine ranked lists from different searches (keyword, vector) into one ranking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from lambdas.core.models import ScoredChunk

FusionMethod = Literal["minmax", "rrf"]

RRF_K = 60
"""The constant of Cormack et al. (2009): damps the advantage of the very top ranks so a
chunk ranked well by both searches beats one ranked first by only one of them."""


def min_max_fusion(
    rankings: Sequence[Sequence[ScoredChunk]], *, weights: Sequence[float] | None = None
) -> list[ScoredChunk]:
    """Fuse by a weighted sum of each search's scores rescaled to [0, 1] over its own results.

    A search's best result scores 1 and its worst 0; a chunk a search did not return adds
    nothing from it. Unlike rank fusion, how far apart two results are counts: a chunk one
    search finds far better than anything else keeps that lead even when the other search
    missed it. The result is best first; ties keep the order in which chunks were first seen.
    """
    fused: dict[str, float] = {}
    chunks: dict[str, ScoredChunk] = {}
    for ranking, weight in zip(rankings, _weights(rankings, weights), strict=True):
        if not ranking:
            continue
        best = max(scored.score for scored in ranking)
        worst = min(scored.score for scored in ranking)
        spread = best - worst
        for scored in ranking:
            key = scored.chunk.chunk_id
            scaled = (scored.score - worst) / spread if spread > 0 else 1.0
            fused[key] = fused.get(key, 0.0) + weight * scaled
            chunks.setdefault(key, scored)
    return _best_first(fused, chunks)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[ScoredChunk]],
    *,
    k: int = RRF_K,
    weights: Sequence[float] | None = None,
) -> list[ScoredChunk]:
    """Fuse rankings by summing `weight / (k + rank)` per chunk (rank from 1).

    Only ranks matter, so scores on different scales (BM25, cosine) need no calibration.
    The result is best first; ties keep the order in which chunks were first seen.
    """
    fused: dict[str, float] = {}
    chunks: dict[str, ScoredChunk] = {}
    for ranking, weight in zip(rankings, _weights(rankings, weights), strict=True):
        for rank, scored in enumerate(ranking, start=1):
            key = scored.chunk.chunk_id
            fused[key] = fused.get(key, 0.0) + weight / (k + rank)
            chunks.setdefault(key, scored)
    return _best_first(fused, chunks)


def _weights(rankings: Sequence[Sequence[ScoredChunk]], weights: Sequence[float] | None) -> Sequence[float]:
    if weights is None:
        return [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    return weights


def _best_first(fused: dict[str, float], chunks: dict[str, ScoredChunk]) -> list[ScoredChunk]:
    order = sorted(fused, key=lambda key: -fused[key])
    return [ScoredChunk(chunks[key].chunk, fused[key]) for key in order]
