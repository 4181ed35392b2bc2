"""In-memory doubles of the document and ingestion ports: deterministic, no network."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lambdas.core.errors import ModelThrottled
from lambdas.core.models import Chunk, Document, DocumentStatus, ScoredChunk
from lambdas.core.ports import PresignedUpload


class InMemoryDocumentStore:
    def __init__(self) -> None:
        self.documents: dict[tuple[str, str], Document] = {}
        self._lock = threading.Lock()

    def put(self, document: Document) -> None:
        with self._lock:
            self.documents[(document.owner, document.id)] = document

    def get(self, owner: str, document_id: str) -> Document | None:
        return self.documents.get((owner, document_id))

    def list_for(self, owner: str) -> list[Document]:
        return [d for (o, _), d in self.documents.items() if o == owner]

    def update_status(
        self,
        owner: str,
        document_id: str,
        status: DocumentStatus,
        *,
        reason: str = "",
        chunk_count: int | None = None,
    ) -> None:
        changes: dict[str, Any] = {"status": status, "reason": reason}
        if chunk_count is not None:
            changes["chunk_count"] = chunk_count
        self._replace(owner, document_id, **changes)

    def start_progress(self, owner: str, document_id: str, chunks_total: int) -> None:
        self._replace(owner, document_id, chunks_total=chunks_total, chunks_embedded=0)

    def add_progress(self, owner: str, document_id: str, chunks: int) -> None:
        with self._lock:
            current = self.documents.get((owner, document_id))
            if current is not None:
                embedded = current.chunks_embedded + chunks
                self.documents[(owner, document_id)] = replace(current, chunks_embedded=embedded)

    def _replace(self, owner: str, document_id: str, **changes: Any) -> None:
        with self._lock:
            current = self.documents.get((owner, document_id))
            if current is not None:
                self.documents[(owner, document_id)] = replace(current, **changes)

    def delete(self, owner: str, document_id: str) -> bool:
        with self._lock:
            return self.documents.pop((owner, document_id), None) is not None

    def pending_since_before(self, cutoff_iso: str) -> list[Document]:
        return [d for d in self.documents.values() if d.status == "PENDING" and d.updated_at < cutoff_iso]


class InMemoryObjectStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.presigned: list[dict[str, Any]] = []

    def presigned_upload(
        self, key: str, *, content_type: str, size_bytes: int, expires_in_seconds: int
    ) -> PresignedUpload:
        self.presigned.append({"key": key, "content_type": content_type, "size_bytes": size_bytes})
        return PresignedUpload(
            url="https://uploads.example/documents",
            fields={"key": key, "Content-Type": content_type},
            expires_in_seconds=expires_in_seconds,
        )

    def get_bytes(self, key: str) -> bytes:
        return self.objects[key]

    def put_json(self, key: str, value: Any) -> None:
        self.objects[key] = json.dumps(value).encode()

    def get_json(self, key: str) -> Any:
        return json.loads(self.objects[key])

    def has_objects_under(self, prefix: str) -> bool:
        return any(key.startswith(prefix) for key in self.objects)

    def delete_prefix(self, prefix: str) -> None:
        for key in [k for k in self.objects if k.startswith(prefix)]:
            del self.objects[key]


class InMemoryChunkIndex:
    """Keyword search by shared lower-case words; vector search by dot product."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], list[tuple[Chunk, list[float] | None]]] = {}

    def replace_document(
        self,
        owner: str,
        document_id: str,
        chunks: Sequence[Chunk],
        vectors: Sequence[Sequence[float]] | None,
    ) -> None:
        rows = [list(v) for v in vectors] if vectors is not None else [None] * len(chunks)
        self.entries[(owner, document_id)] = list(zip(chunks, rows, strict=True))

    def delete_document(self, owner: str, document_id: str) -> None:
        self.entries.pop((owner, document_id), None)

    def chunks_of(self, owner: str, document_id: str) -> list[Chunk]:
        return [chunk for chunk, _ in self.entries.get((owner, document_id), [])]

    def keyword_search(self, owner: str, query: str, k: int) -> list[ScoredChunk]:
        words = set(query.lower().split())
        scored = [
            ScoredChunk(chunk, float(len(words & set(chunk.text.lower().split()))))
            for (o, _), rows in self.entries.items()
            if o == owner
            for chunk, _ in rows
        ]
        return sorted((s for s in scored if s.score > 0), key=lambda s: -s.score)[:k]

    def vector_search(self, owner: str, vector: Sequence[float], k: int) -> list[ScoredChunk]:
        scored = [
            ScoredChunk(chunk, sum(a * b for a, b in zip(vector, row, strict=True)))
            for (o, _), rows in self.entries.items()
            if o == owner
            for chunk, row in rows
            if row is not None
        ]
        return sorted(scored, key=lambda s: -s.score)[:k]


@dataclass
class HashEmbedder:
    """Deterministic vectors from a text's hash; throttles the first `throttle_calls` calls."""

    model_id: str = "hash-embedder"
    dimensions: int = 8
    throttle_calls: int = 0
    calls: list[list[str]] = field(default_factory=list)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        if len(self.calls) <= self.throttle_calls:
            raise ModelThrottled("embedding model throttled")
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        return [byte / 255 for byte in digest[: self.dimensions]]


def paragraph_chunker(text: str, *, document_id: str, owner: str, title: str) -> list[Chunk]:
    """One chunk per blank-line-separated paragraph, with exact character offsets."""
    chunks = []
    position = 0
    for paragraph in text.split("\n\n"):
        start = text.index(paragraph, position)
        position = start + len(paragraph)
        if paragraph.strip():
            chunks.append(
                Chunk(
                    chunk_id=f"{document_id}:{len(chunks)}",
                    document_id=document_id,
                    owner=owner,
                    title=title,
                    text=paragraph,
                    start=start,
                    end=position,
                )
            )
    return chunks
