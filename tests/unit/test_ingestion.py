"""The ingestion steps over in-memory ports: extract+chunk into batches, embed a batch, index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pytest

from lambdas.core.errors import ModelThrottled, NotFound
from lambdas.core.ingestion import ExtractedDocument, IngestionPipeline, vectors_key
from lambdas.core.models import Document
from lambdas.core.rag.extraction import CorruptDocument, EmptyDocument
from tests.support.ingestion_fakes import (
    HashEmbedder,
    InMemoryChunkIndex,
    InMemoryDocumentStore,
    InMemoryObjectStore,
    paragraph_chunker,
)

OWNER = "alice"
DOC_ID = "doc1"
KEY = f"uploads/{OWNER}/{DOC_ID}/guide.md"
TEXT = "# Guide\n\nFirst paragraph.\n\nSecond paragraph.\n\nThird paragraph."


@pytest.fixture
def store() -> InMemoryDocumentStore:
    store = InMemoryDocumentStore()
    store.put(
        Document(
            id=DOC_ID,
            owner=OWNER,
            filename="Guide.md",
            content_type="text/markdown",
            size_bytes=len(TEXT),
            status="PENDING",
            created_at="2024-01-01T00:00:00.000Z",
            updated_at="2024-01-01T00:00:00.000Z",
        )
    )
    return store


@pytest.fixture
def objects() -> InMemoryObjectStore:
    objects = InMemoryObjectStore()
    objects.objects[KEY] = TEXT.encode()
    return objects


@pytest.fixture
def index() -> InMemoryChunkIndex:
    return InMemoryChunkIndex()


@dataclass
class RecordedEmbeddingUsage:
    """Keeps each recorded call as (owner, texts)."""

    calls: list[tuple[str, list[str]]] = field(default_factory=list)

    def record(self, owner: str, texts: Sequence[str]) -> None:
        self.calls.append((owner, list(texts)))


def pipeline(
    store: InMemoryDocumentStore,
    objects: InMemoryObjectStore,
    index: InMemoryChunkIndex | None = None,
    *,
    embedder: HashEmbedder | None = None,
    batch_size: int = 2,
    embedding_usage: RecordedEmbeddingUsage | None = None,
) -> IngestionPipeline:
    return IngestionPipeline(
        store=store,
        objects=objects,
        index=index or InMemoryChunkIndex(),
        chunker=paragraph_chunker,
        embedder=embedder,
        batch_size=batch_size,
        embedding_usage=embedding_usage,
    )


def extract(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore, batch_size: int = 2
) -> ExtractedDocument:
    return pipeline(store, objects, batch_size=batch_size).extract_and_chunk(KEY)


def ingest(
    store: InMemoryDocumentStore,
    objects: InMemoryObjectStore,
    index: InMemoryChunkIndex,
    embedder: HashEmbedder | None = None,
) -> int:
    steps = pipeline(store, objects, index, embedder=embedder or HashEmbedder())
    extracted = steps.extract_and_chunk(KEY)
    for key in extracted.batch_keys:
        steps.embed_batch(key)
    return steps.index_document(extracted)


def test_extract_marks_the_document_processing(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore
) -> None:
    extract(store, objects)
    document = store.get(OWNER, DOC_ID)
    assert document is not None
    assert document.status == "PROCESSING"


def test_extract_writes_chunks_in_batches_of_the_configured_size(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore
) -> None:
    extracted = extract(store, objects, batch_size=3)
    assert extracted.batch_keys == (
        f"ingestion-batches/{OWNER}/{DOC_ID}/batch-0.json",
        f"ingestion-batches/{OWNER}/{DOC_ID}/batch-1.json",
    )
    sizes = [len(objects.get_json(key)["chunks"]) for key in extracted.batch_keys]
    assert sizes == [3, 1]


def test_chunks_carry_the_record_filename_as_title_and_the_owner(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore
) -> None:
    extracted = extract(store, objects)
    first = objects.get_json(extracted.batch_keys[0])["chunks"][0]
    assert (first["title"], first["owner"], first["document_id"]) == ("Guide.md", OWNER, DOC_ID)


def test_extract_state_lists_batches_for_the_map_state(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore
) -> None:
    state = extract(store, objects, batch_size=10).as_state()
    assert state == {
        "document_id": DOC_ID,
        "owner": OWNER,
        "batches": [{"key": f"ingestion-batches/{OWNER}/{DOC_ID}/batch-0.json"}],
    }
    assert ExtractedDocument.from_state(state).batch_keys == (state["batches"][0]["key"],)


def test_extract_removes_batches_left_by_an_earlier_upload(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore
) -> None:
    stale = f"ingestion-batches/{OWNER}/{DOC_ID}/batch-7.json"
    objects.objects[stale] = b"{}"
    extract(store, objects)
    assert stale not in objects.objects


def test_extract_of_a_deleted_document_is_not_found(objects: InMemoryObjectStore) -> None:
    with pytest.raises(NotFound):
        extract(InMemoryDocumentStore(), objects)


def test_extract_of_an_empty_file_raises_empty_document(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore
) -> None:
    objects.objects[KEY] = b""
    with pytest.raises(EmptyDocument):
        extract(store, objects)


def test_extract_of_a_corrupt_pdf_raises_corrupt_document(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore
) -> None:
    pdf_key = f"uploads/{OWNER}/{DOC_ID}/scan.pdf"
    objects.objects[pdf_key] = b"%PDF-1.7\n%\xe2\xe3 broken"
    store.put(replace(store.documents[(OWNER, DOC_ID)], filename="scan.pdf"))
    with pytest.raises(CorruptDocument):
        pipeline(store, objects).extract_and_chunk(pdf_key)


def test_embed_writes_one_vector_per_chunk_next_to_the_batch(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore
) -> None:
    batch_key = extract(store, objects).batch_keys[0]
    written = pipeline(store, objects, embedder=HashEmbedder(dimensions=4)).embed_batch(batch_key)
    assert written == vectors_key(batch_key) == batch_key.replace(".json", ".vectors.json")
    stored = objects.get_json(written)
    assert (stored["model_id"], stored["dimensions"]) == ("hash-embedder", 4)
    assert [len(v) for v in stored["vectors"]] == [4, 4]


def test_embed_lets_throttling_surface_as_model_throttled(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore
) -> None:
    batch_key = extract(store, objects).batch_keys[0]
    with pytest.raises(ModelThrottled):
        pipeline(store, objects, embedder=HashEmbedder(throttle_calls=1)).embed_batch(batch_key)


def test_embed_records_the_texts_it_embedded_for_the_batchs_owner(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore
) -> None:
    batch_key = extract(store, objects).batch_keys[1]
    embedder, usage = HashEmbedder(), RecordedEmbeddingUsage()
    pipeline(store, objects, embedder=embedder, embedding_usage=usage).embed_batch(batch_key)
    [embedded] = embedder.calls
    assert usage.calls == [(OWNER, embedded)]
    assert "Second paragraph." in embedded[0]


def test_a_throttled_batch_records_no_usage(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore
) -> None:
    batch_key = extract(store, objects).batch_keys[0]
    usage = RecordedEmbeddingUsage()
    steps = pipeline(store, objects, embedder=HashEmbedder(throttle_calls=1), embedding_usage=usage)
    with pytest.raises(ModelThrottled):
        steps.embed_batch(batch_key)
    assert usage.calls == []


def test_keyword_only_ingestion_records_no_embedding_usage(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore
) -> None:
    batch_key = extract(store, objects).batch_keys[0]
    usage = RecordedEmbeddingUsage()
    pipeline(store, objects, embedder=None, embedding_usage=usage).embed_batch(batch_key)
    assert usage.calls == []


def test_index_stores_every_chunk_with_its_vector(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore, index: InMemoryChunkIndex
) -> None:
    assert ingest(store, objects, index) == 4
    rows = index.entries[(OWNER, DOC_ID)]
    assert [chunk.text for chunk, _ in rows][1] == "First paragraph."
    assert all(vector is not None and len(vector) == 8 for _, vector in rows)


def test_ingesting_the_same_document_twice_leaves_no_duplicates(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore, index: InMemoryChunkIndex
) -> None:
    ingest(store, objects, index)
    ingest(store, objects, index)
    assert len(index.chunks_of(OWNER, DOC_ID)) == 4


def test_a_new_version_replaces_the_old_chunks(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore, index: InMemoryChunkIndex
) -> None:
    ingest(store, objects, index)
    objects.objects[KEY] = b"Only one paragraph now."
    assert ingest(store, objects, index) == 1
    assert [c.text for c in index.chunks_of(OWNER, DOC_ID)] == ["Only one paragraph now."]


def test_without_an_embedder_chunks_are_indexed_keyword_only(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore, index: InMemoryChunkIndex
) -> None:
    steps = pipeline(store, objects, index, embedder=None)
    extracted = steps.extract_and_chunk(KEY)
    for key in extracted.batch_keys:
        steps.embed_batch(key)
    assert steps.index_document(extracted) == 4
    assert [vector for _, vector in index.entries[(OWNER, DOC_ID)]] == [None] * 4


def test_index_of_a_document_deleted_meanwhile_indexes_nothing(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore, index: InMemoryChunkIndex
) -> None:
    steps = pipeline(store, objects, index, embedder=HashEmbedder())
    extracted = steps.extract_and_chunk(KEY)
    for key in extracted.batch_keys:
        steps.embed_batch(key)
    store.delete(OWNER, DOC_ID)
    with pytest.raises(NotFound):
        steps.index_document(extracted)
    assert index.entries == {}


def test_progress_counts_the_chunks_embedded_of_the_total_batch_by_batch(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore
) -> None:
    steps = pipeline(store, objects, embedder=HashEmbedder(), batch_size=3)
    extracted = steps.extract_and_chunk(KEY)
    progress = [
        (store.documents[(OWNER, DOC_ID)].chunks_embedded, store.documents[(OWNER, DOC_ID)].chunks_total)
    ]
    for key in extracted.batch_keys:
        steps.embed_batch(key)
        document = store.documents[(OWNER, DOC_ID)]
        progress.append((document.chunks_embedded, document.chunks_total))

    assert progress == [(0, 4), (3, 4), (4, 4)]


def test_a_new_ingestion_of_the_document_restarts_its_progress(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore, index: InMemoryChunkIndex
) -> None:
    ingest(store, objects, index)
    extract(store, objects)

    document = store.documents[(OWNER, DOC_ID)]
    assert (document.chunks_embedded, document.chunks_total) == (0, 4)
