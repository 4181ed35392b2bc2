"""What every `ChunkIndex.replace_document` refuses before touching its store."""

from __future__ import annotations

from collections.abc import Sequence

from lambdas.core.models import Chunk


def check_replacement(
    owner: str, document_id: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]] | None
) -> None:
    """Raise ValueError unless there is one vector per chunk (or none at all) and every chunk
    belongs to `owner`'s `document_id`: a mismatch would index one owner's text under another."""
    if vectors is not None and len(vectors) != len(chunks):
        raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
    if any(chunk.owner != owner or chunk.document_id != document_id for chunk in chunks):
        raise ValueError("every chunk must belong to the document being replaced")
