"""Combine ranked lists from different searches (keyword, vector) into one ranking."""

from __future__ import annotations

from collections.abc import Sequence

from lambdas.core.models import ScoredChunk

RRF_K = 60
"""The constant of Cormack et al. (2009): damps the advantage of the very top ranks so a
chunk ranked well by both searches beats one ranked first by only one of them."""


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
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    fused: dict[str, float] = {}
    chunks: dict[str, ScoredChunk] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, scored in enumerate(ranking, start=1):
            key = scored.chunk.chunk_id
            fused[key] = fused.get(key, 0.0) + weight / (k + rank)
            chunks.setdefault(key, scored)
    order = sorted(fused, key=lambda key: -fused[key])
    return [ScoredChunk(chunks[key].chunk, fused[key]) for key in order]
