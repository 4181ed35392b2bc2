"""The ingestion pipeline as three steps over the ports: extract+chunk, embed one batch, index.

Each step is what one Step Functions task runs (see `lambdas/handlers/ingest_*.py`); local
mode runs the same handlers in the same order. Steps hand over through JSON objects in the
documents bucket, so a state carries only keys, never document text:

  ingestion-batches/<owner>/<document id>/batch-<n>.json          {"chunks": [...]}
  ingestion-batches/<owner>/<document id>/batch-<n>.vectors.json  {"model_id", "dimensions", "vectors"}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from lambdas.core.documents import UploadKey, batches_prefix
from lambdas.core.errors import NotFound
from lambdas.core.models import Chunk
from lambdas.core.ports import ChunkIndex, DocumentStore, Embedder, ObjectStore
from lambdas.core.rag.chunking import contextual_text
from lambdas.core.rag.extraction import EmptyDocument, extract_text

_BATCH_SUFFIX = ".json"
_VECTORS_SUFFIX = ".vectors.json"


class Chunker(Protocol):
    """Splits extracted text into chunks carrying the document id, owner and title."""

    def __call__(self, text: str, *, document_id: str, owner: str, title: str) -> list[Chunk]: ...


class EmbeddingUsage(Protocol):
    """Adds the tokens and cost of one embedding call to the owner's usage
    (`lambdas.core.usage.EmbeddingUsageRecorder`, bound to the embedder's model and price)."""

    def record(self, owner: str, texts: Sequence[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class ExtractedDocument:
    """Output of the extract step: the input of the Map (over `batches`) and of the index step."""

    document_id: str
    owner: str
    batch_keys: tuple[str, ...]

    def as_state(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "owner": self.owner,
            "batches": [{"key": key} for key in self.batch_keys],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> ExtractedDocument:
        return cls(
            document_id=str(state["document_id"]),
            owner=str(state["owner"]),
            batch_keys=tuple(str(batch["key"]) for batch in state["batches"]),
        )


def vectors_key(batch_key: str) -> str:
    return batch_key.removesuffix(_BATCH_SUFFIX) + _VECTORS_SUFFIX


@dataclass(frozen=True, slots=True)
class IngestionPipeline:
    store: DocumentStore
    objects: ObjectStore
    index: ChunkIndex
    chunker: Chunker
    embedder: Embedder | None
    """None in keyword-only mode: chunks are indexed without vectors."""
    batch_size: int = 32
    embedding_usage: EmbeddingUsage | None = None
    """None where embeddings are not metered (keyword-only mode, injected test embedders)."""

    def extract_and_chunk(self, upload_key: str) -> ExtractedDocument:
        """Mark the document PROCESSING, extract and chunk it, and write the chunks in batches.

        Raises UnsupportedDocumentType / EmptyDocument / CorruptDocument for a bad file and
        NotFound when the document was deleted before ingestion began.
        """
        key = UploadKey.parse(upload_key)
        document = self.store.get(key.owner, key.document_id)
        if document is None:
            raise NotFound(f"document {key.document_id} was deleted before ingestion")
        self.store.update_status(key.owner, key.document_id, "PROCESSING")
        text = extract_text(document.filename, self.objects.get_bytes(upload_key))
        chunks = self.chunker(text, document_id=document.id, owner=document.owner, title=document.filename)
        if not chunks:
            raise EmptyDocument(f"{document.filename} contains no text to index")
        self.store.start_progress(key.owner, key.document_id, len(chunks))
        prefix = batches_prefix(key.owner, key.document_id)
        # Batches of an earlier upload of this document must not leak into this run.
        self.objects.delete_prefix(prefix)
        batch_keys = []
        for number, start in enumerate(range(0, len(chunks), self.batch_size)):
            batch_key = f"{prefix}batch-{number}{_BATCH_SUFFIX}"
            batch = chunks[start : start + self.batch_size]
            self.objects.put_json(batch_key, {"chunks": [asdict(chunk) for chunk in batch]})
            batch_keys.append(batch_key)
        return ExtractedDocument(key.document_id, key.owner, tuple(batch_keys))

    def embed_batch(self, batch_key: str) -> str:
        """Embed one batch, record its usage for the owner, write its vectors next to it, and
        count its chunks in the document's progress; returns the vectors' key.

        The embedder raises ModelThrottled when the provider throttles, which the state
        machine retries with backoff. Usage is recorded once the call succeeded, so a retried
        batch counts every call the provider billed.
        """
        vectors: list[list[float]] | None = None
        chunks = _read_chunks(self.objects, batch_key)
        if self.embedder is not None:
            texts = [contextual_text(chunk) for chunk in chunks]
            vectors = self.embedder.embed_documents(texts)
            if self.embedding_usage is not None:
                # A batch holds chunks of one document, so of one owner.
                self.embedding_usage.record(chunks[0].owner, texts)
        key = vectors_key(batch_key)
        self.objects.put_json(
            key,
            {
                "model_id": self.embedder.model_id if self.embedder else None,
                "dimensions": self.embedder.dimensions if self.embedder else 0,
                "vectors": vectors,
            },
        )
        # A batch holds chunks of one document.
        self.store.add_progress(chunks[0].owner, chunks[0].document_id, len(chunks))
        return key

    def index_document(self, document: ExtractedDocument) -> int:
        """Replace the document's chunks and vectors in the index; returns the chunk count."""
        if self.store.get(document.owner, document.document_id) is None:
            raise NotFound(f"document {document.document_id} was deleted during ingestion")
        chunks: list[Chunk] = []
        vectors: list[list[float]] | None = []
        for batch_key in document.batch_keys:
            batch_chunks = _read_chunks(self.objects, batch_key)
            batch_vectors = self.objects.get_json(vectors_key(batch_key))["vectors"]
            chunks.extend(batch_chunks)
            if batch_vectors is None or vectors is None:
                vectors = None  # keyword-only: no batch may be half-embedded
            elif len(batch_vectors) != len(batch_chunks):
                raise ValueError(f"{batch_key}: {len(batch_chunks)} chunks but {len(batch_vectors)} vectors")
            else:
                vectors.extend(batch_vectors)
        self.index.replace_document(document.owner, document.document_id, chunks, vectors)
        return len(chunks)


def _read_chunks(objects: ObjectStore, batch_key: str) -> list[Chunk]:
    return [_chunk(item) for item in objects.get_json(batch_key)["chunks"]]


def _chunk(item: Mapping[str, Any]) -> Chunk:
    heading_path: Sequence[str] = item.get("heading_path", ())
    return Chunk(
        chunk_id=item["chunk_id"],
        document_id=item["document_id"],
        owner=item["owner"],
        title=item["title"],
        text=item["text"],
        start=item["start"],
        end=item["end"],
        heading_path=tuple(heading_path),
    )
