"""Map `[n]` markers in an answer to the passages they cite."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lambdas.core.models import Citation, Passage

_MARKER = re.compile(r"\[(\d{1,3})\]")
SNIPPET_CHARS = 240


def cited_numbers(answer: str) -> list[int]:
    """Distinct marker numbers in order of first use."""
    seen: dict[int, None] = {}
    for match in _MARKER.finditer(answer):
        seen.setdefault(int(match.group(1)), None)
    return list(seen)


def citations_for(answer: str, passages: Sequence[Passage]) -> tuple[Citation, ...]:
    """Citations for the passages the answer actually uses; markers out of range are ignored."""
    result = []
    for n in cited_numbers(answer):
        if 1 <= n <= len(passages):
            passage = passages[n - 1]
            result.append(
                Citation(
                    n=n,
                    document_id=passage.document_id,
                    title=passage.title,
                    heading=passage.heading,
                    snippet=_snippet(passage.text),
                    score=round(passage.score, 4),
                )
            )
    return tuple(result)


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1].rstrip() + "…"
