"""Retrieval quality metrics, defined as the evaluation set defines them.

A passage is relevant to a question when its normalised text contains any of the
question's key phrases, normalised the same way. Each metric looks at the rank of the
first relevant passage only (binary relevance, one ideal item).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

_IGNORED = re.compile(r"[*_`#]")
_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lowercased, without `*`, `_`, backquote and `#`, whitespace collapsed to single spaces."""
    return _WHITESPACE.sub(" ", _IGNORED.sub("", text.lower())).strip()


def is_relevant(passage_text: str, phrases: Iterable[str]) -> bool:
    text = normalise(passage_text)
    return any(normalise(phrase) in text for phrase in phrases)


def first_relevant_rank(passages: Sequence[str], phrases: Sequence[str], *, depth: int) -> int | None:
    """1-based rank of the first relevant passage among the first `depth`, else None."""
    for rank, text in enumerate(passages[:depth], start=1):
        if is_relevant(text, phrases):
            return rank
    return None


def recall_at(rank: int | None, k: int) -> float:
    """1 when a relevant passage is within the top k."""
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank_at(rank: int | None, k: int) -> float:
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def ndcg_at(rank: int | None, k: int) -> float:
    """With one ideal relevant item IDCG is 1, so nDCG is the first hit's discount."""
    return 1.0 / math.log2(rank + 1) if rank is not None and rank <= k else 0.0
