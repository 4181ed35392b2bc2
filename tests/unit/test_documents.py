"""DocumentService: uploads are validated and presigned, reads and deletes stay within one owner."""

from __future__ import annotations

import pytest

from lambdas.core.documents import (
    ABANDONED_UPLOAD_REASON,
    UPLOAD_GRACE_SECONDS,
    DocumentService,
    UploadKey,
    key_segment,
    sanitise_filename,
)
from lambdas.core.errors import InvalidRequest, NotFound
from lambdas.core.models import Chunk
from lambdas.core.rag.extraction import UnsupportedDocumentType
from tests.support.fakes import FixedClock, SequentialIds
from tests.support.ingestion_fakes import InMemoryChunkIndex, InMemoryDocumentStore, InMemoryObjectStore

MAX_BYTES = 1000


@pytest.fixture
def store() -> InMemoryDocumentStore:
    return InMemoryDocumentStore()


@pytest.fixture
def objects() -> InMemoryObjectStore:
    return InMemoryObjectStore()


@pytest.fixture
def index() -> InMemoryChunkIndex:
    return InMemoryChunkIndex()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def service(
    store: InMemoryDocumentStore, objects: InMemoryObjectStore, index: InMemoryChunkIndex, clock: FixedClock
) -> DocumentService:
    return DocumentService(
        store=store,
        objects=objects,
        index=index,
        clock=clock,
        ids=SequentialIds(),
        max_upload_bytes=MAX_BYTES,
    )


def test_upload_creates_a_pending_record(service: DocumentService, store: InMemoryDocumentStore) -> None:
    ticket = service.create_upload("alice", "notes.md", "text/markdown", 120)
    assert ticket.document.status == "PENDING"
    assert store.get("alice", ticket.document.id) == ticket.document


def test_upload_is_presigned_for_the_owner_scoped_key_and_the_declared_size(
    service: DocumentService, objects: InMemoryObjectStore
) -> None:
    ticket = service.create_upload("alice", "Q3 report (final).PDF", "application/pdf", 120)
    assert objects.presigned == [
        {
            "key": f"uploads/alice/{ticket.document.id}/Q3-report-final.pdf",
            "content_type": "application/pdf",
            "size_bytes": 120,
        }
    ]


def test_declared_content_type_parameters_are_ignored_and_the_canonical_type_stored(
    service: DocumentService,
) -> None:
    ticket = service.create_upload("alice", "notes.md", "text/plain; charset=utf-8", 10)
    assert ticket.document.content_type == "text/markdown"


def test_content_type_contradicting_the_extension_is_refused(
    service: DocumentService, store: InMemoryDocumentStore
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        service.create_upload("alice", "report.pdf", "text/html", 10)
    assert refused.value.field == "content_type"
    assert store.documents == {}


def test_unsupported_extension_is_refused_naming_the_filename_field(service: DocumentService) -> None:
    with pytest.raises(UnsupportedDocumentType) as refused:
        service.create_upload("alice", "slides.pptx", "application/vnd.ms-powerpoint", 10)
    assert refused.value.field == "filename"


@pytest.mark.parametrize("size", [0, MAX_BYTES + 1])
def test_size_outside_the_limit_is_refused(service: DocumentService, size: int) -> None:
    with pytest.raises(InvalidRequest) as refused:
        service.create_upload("alice", "notes.txt", "text/plain", size)
    assert refused.value.field == "size_bytes"


def test_a_name_that_is_only_an_extension_is_refused(service: DocumentService) -> None:
    with pytest.raises(InvalidRequest) as refused:
        service.create_upload("alice", "../ .txt", "text/plain", 10)
    assert refused.value.field == "filename"


def test_uploading_a_name_again_reuses_the_document(
    service: DocumentService, store: InMemoryDocumentStore
) -> None:
    first = service.create_upload("alice", "notes.md", "text/markdown", 10)
    store.update_status("alice", first.document.id, "READY", chunk_count=3)
    again = service.create_upload("alice", "notes.md", "text/markdown", 20)
    assert again.document.id == first.document.id
    assert again.document.status == "PENDING"
    assert [d.id for d in service.list_for("alice")] == [first.document.id]


def test_the_same_name_from_another_owner_is_another_document(service: DocumentService) -> None:
    alice = service.create_upload("alice", "notes.md", "text/markdown", 10)
    bob = service.create_upload("bob", "notes.md", "text/markdown", 10)
    assert alice.document.id != bob.document.id


def test_list_shows_only_the_owners_documents_newest_first(service: DocumentService) -> None:
    older = service.create_upload("alice", "a.txt", "text/plain", 10).document
    service.create_upload("bob", "b.txt", "text/plain", 10)
    newer = service.create_upload("alice", "c.txt", "text/plain", 10).document
    assert [d.id for d in service.list_for("alice")] == [newer.id, older.id]


def test_another_owners_document_is_not_found(service: DocumentService) -> None:
    document = service.create_upload("alice", "a.txt", "text/plain", 10).document
    with pytest.raises(NotFound):
        service.get("bob", document.id)


def test_delete_removes_record_objects_and_chunks(
    service: DocumentService,
    store: InMemoryDocumentStore,
    objects: InMemoryObjectStore,
    index: InMemoryChunkIndex,
) -> None:
    document = service.create_upload("alice", "a.txt", "text/plain", 10).document
    objects.objects[f"uploads/alice/{document.id}/a.txt"] = b"hello"
    objects.objects[f"ingestion-batches/alice/{document.id}/batch-0.json"] = b"{}"
    chunk = Chunk("c1", document.id, "alice", "a.txt", "hello", 0, 5)
    index.replace_document("alice", document.id, [chunk], None)

    service.delete("alice", document.id)

    assert store.get("alice", document.id) is None
    assert objects.objects == {}
    assert index.chunks_of("alice", document.id) == []


def test_delete_of_another_owners_document_is_not_found_and_keeps_it(
    service: DocumentService, store: InMemoryDocumentStore
) -> None:
    document = service.create_upload("alice", "a.txt", "text/plain", 10).document
    with pytest.raises(NotFound):
        service.delete("bob", document.id)
    assert store.get("alice", document.id) is not None


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("C:\\Users\\me\\notes.txt", "notes.txt"),
        ("../../etc/passwd.md", "passwd.md"),
        ("tab\tand\nnewline.txt", "tab and newline.txt"),
        ("Résumé.PDF", "Résumé.pdf"),
    ],
)
def test_filenames_lose_paths_and_control_characters_and_keep_letters(given: str, shown: str) -> None:
    assert sanitise_filename(given) == shown


@pytest.mark.parametrize(
    ("name", "segment"),
    [("Résumé 2024.pdf", "Resume-2024.pdf"), ("報告.md", "document.md"), ("a+b=c.txt", "a-b-c.txt")],
)
def test_key_segments_use_only_characters_safe_in_s3_events(name: str, segment: str) -> None:
    assert key_segment(name) == segment


def test_upload_keys_round_trip() -> None:
    key = UploadKey("alice", "doc1", "a.txt")
    assert UploadKey.parse(str(key)) == key


@pytest.mark.parametrize("key", ["uploads/alice/a.txt", "other/alice/doc1/a.txt", "uploads//doc1/a.txt"])
def test_keys_outside_the_upload_layout_are_refused(key: str) -> None:
    with pytest.raises(InvalidRequest):
        UploadKey.parse(key)


EXPIRY_SECONDS = 900  # DocumentService's default upload form lifetime


def test_an_upload_that_never_arrived_ends_failed_with_a_reason_after_the_form_expired(
    service: DocumentService, store: InMemoryDocumentStore, clock: FixedClock
) -> None:
    ticket = service.create_upload("alice", "notes.md", "text/markdown", 10)
    clock.advance(EXPIRY_SECONDS + UPLOAD_GRACE_SECONDS)

    service.fail_abandoned_uploads()

    document = store.get("alice", ticket.document.id)
    assert document is not None
    assert (document.status, document.reason) == ("FAILED", ABANDONED_UPLOAD_REASON)


def test_an_upload_whose_form_is_still_valid_stays_pending(
    service: DocumentService, store: InMemoryDocumentStore, clock: FixedClock
) -> None:
    ticket = service.create_upload("alice", "notes.md", "text/markdown", 10)
    clock.advance(EXPIRY_SECONDS)

    assert service.fail_abandoned_uploads() == []
    assert store.get("alice", ticket.document.id).status == "PENDING"


def test_an_upload_that_arrived_and_waits_for_ingestion_stays_pending(
    service: DocumentService, store: InMemoryDocumentStore, objects: InMemoryObjectStore, clock: FixedClock
) -> None:
    ticket = service.create_upload("alice", "notes.md", "text/markdown", 10)
    objects.objects[objects.presigned[0]["key"]] = b"0123456789"
    clock.advance(EXPIRY_SECONDS + UPLOAD_GRACE_SECONDS)

    service.fail_abandoned_uploads()

    assert store.get("alice", ticket.document.id).status == "PENDING"
