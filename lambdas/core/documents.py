"""A user's documents: presigned uploads, listing, and deletion of everything a document left behind.

Object keys (the ingestion state machine relies on them):
  upload   uploads/<owner>/<document id>/<filename reduced to [A-Za-z0-9._-]>
  batches  ingestion-batches/<owner>/<document id>/batch-<n>.json (+ .vectors.json)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from lambdas.core.errors import InvalidRequest, NotFound
from lambdas.core.models import Document
from lambdas.core.ports import ChunkIndex, Clock, DocumentStore, IdGenerator, ObjectStore, PresignedUpload
from lambdas.core.rag.extraction import CONTENT_TYPES, extension_of

UPLOADS_PREFIX = "uploads/"
BATCHES_PREFIX = "ingestion-batches/"
MAX_FILENAME_CHARS = 128

ACCEPTED_CONTENT_TYPES: dict[str, frozenset[str]] = {
    "text/plain": frozenset({"text/plain"}),
    # Browsers and operating systems disagree on Markdown's type.
    "text/markdown": frozenset({"text/markdown", "text/x-markdown", "text/plain"}),
    "text/html": frozenset({"text/html"}),
    "application/pdf": frozenset({"application/pdf"}),
}
"""For each canonical type, the types a client may declare for it."""

UPLOAD_GRACE_SECONDS = 300
"""An upload started just before its form expired may still be arriving."""
ABANDONED_UPLOAD_REASON = (
    "the file never arrived before its upload form expired (sent too late, refused, or not sent); "
    "upload it again"
)

_UNSAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class UploadKey:
    owner: str
    document_id: str
    filename: str

    def __str__(self) -> str:
        return f"{UPLOADS_PREFIX}{self.owner}/{self.document_id}/{self.filename}"

    @classmethod
    def parse(cls, key: str) -> UploadKey:
        parts = key.split("/")
        if len(parts) != 4 or f"{parts[0]}/" != UPLOADS_PREFIX or not all(parts[1:]):
            raise InvalidRequest(f"{key!r} is not an upload key (uploads/<owner>/<document id>/<filename>)")
        return cls(owner=parts[1], document_id=parts[2], filename=parts[3])


def batches_prefix(owner: str, document_id: str) -> str:
    return f"{BATCHES_PREFIX}{owner}/{document_id}/"


def sanitise_filename(filename: str) -> str:
    """The name shown to the user: last path segment, no control characters, single spaces,
    at most MAX_FILENAME_CHARS. Refuses unsupported extensions and names that are only an extension."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in base)
    name = " ".join(printable.split())
    extension = extension_of(name)
    stem = name[: -len(extension)].strip(" .")
    if not stem:
        raise InvalidRequest(f"{filename!r} has no name before {extension}", field="filename")
    return stem[: MAX_FILENAME_CHARS - len(extension)] + extension


def key_segment(filename: str) -> str:
    """`filename` reduced to characters that need no escaping in keys and S3 event payloads:
    `Q3 report (final).PDF` -> `Q3-report-final.pdf`. The document id keeps keys unique."""
    extension = extension_of(filename)
    ascii_stem = unicodedata.normalize("NFKD", filename[: -len(extension)]).encode("ascii", "ignore").decode()
    return (_UNSAFE_CHARACTERS.sub("-", ascii_stem).strip(".-") or "document") + extension


@dataclass(frozen=True, slots=True)
class UploadTicket:
    document: Document
    upload: PresignedUpload


class DocumentService:
    def __init__(
        self,
        *,
        store: DocumentStore,
        objects: ObjectStore,
        index: ChunkIndex,
        clock: Clock,
        ids: IdGenerator,
        max_upload_bytes: int,
        upload_expiry_seconds: int = 900,
    ) -> None:
        self._store = store
        self._objects = objects
        self._index = index
        self._clock = clock
        self._ids = ids
        self._max_upload_bytes = max_upload_bytes
        self._upload_expiry_seconds = upload_expiry_seconds

    def create_upload(self, owner: str, filename: str, content_type: str, size_bytes: int) -> UploadTicket:
        """Record the document as PENDING and return where to upload it.

        Uploading a name the owner already has replaces that document: same id, and
        ingestion swaps its chunks, so re-uploads never duplicate anything.
        """
        safe_name = sanitise_filename(filename)
        canonical_type = CONTENT_TYPES[extension_of(safe_name)]
        declared_type = content_type.split(";", maxsplit=1)[0].strip().lower()
        if declared_type not in ACCEPTED_CONTENT_TYPES[canonical_type]:
            raise InvalidRequest(
                f"content type {content_type!r} does not match {safe_name}; expected {canonical_type}",
                field="content_type",
            )
        if not 1 <= size_bytes <= self._max_upload_bytes:
            raise InvalidRequest(
                f"size must be between 1 and {self._max_upload_bytes} bytes", field="size_bytes"
            )
        previous = next((d for d in self._store.list_for(owner) if d.filename == safe_name), None)
        now = self._clock.now_iso()
        document = Document(
            id=previous.id if previous else self._ids.new_id(),
            owner=owner,
            filename=safe_name,
            content_type=canonical_type,
            size_bytes=size_bytes,
            status="PENDING",
            created_at=previous.created_at if previous else now,
            updated_at=now,
            chunk_count=previous.chunk_count if previous else 0,
        )
        self._store.put(document)
        upload = self._objects.presigned_upload(
            str(UploadKey(owner, document.id, key_segment(safe_name))),
            content_type=canonical_type,
            size_bytes=size_bytes,
            expires_in_seconds=self._upload_expiry_seconds,
        )
        return UploadTicket(document=document, upload=upload)

    def fail_abandoned_uploads(self) -> list[Document]:
        """Mark FAILED, with a reason, each PENDING document whose upload form has expired (plus
        a grace period for an upload still in flight) without its file having arrived: never
        sent, or refused by the storage. Returns the documents it failed.

        A file that did arrive is waiting for ingestion, which will settle its status."""
        cutoff = _iso_minus(self._clock.now_iso(), self._upload_expiry_seconds + UPLOAD_GRACE_SECONDS)
        failed = []
        for document in self._store.pending_since_before(cutoff):
            if self._objects.has_objects_under(f"{UPLOADS_PREFIX}{document.owner}/{document.id}/"):
                continue
            self._store.update_status(document.owner, document.id, "FAILED", reason=ABANDONED_UPLOAD_REASON)
            failed.append(document)
        return failed

    def list_for(self, owner: str) -> list[Document]:
        """Newest first."""
        return sorted(self._store.list_for(owner), key=lambda d: d.created_at, reverse=True)

    def get(self, owner: str, document_id: str) -> Document:
        document = self._store.get(owner, document_id)
        if document is None:
            raise NotFound(f"document {document_id} not found", field="document_id")
        return document

    def delete(self, owner: str, document_id: str) -> None:
        """Remove the chunks and vectors, the stored objects, then the record. The record goes
        last so that an interrupted delete is still listed and can simply be repeated."""
        self.get(owner, document_id)
        self._index.delete_document(owner, document_id)
        self._objects.delete_prefix(f"{UPLOADS_PREFIX}{owner}/{document_id}/")
        self._objects.delete_prefix(batches_prefix(owner, document_id))
        self._store.delete(owner, document_id)


def _iso_minus(now_iso: str, seconds: int) -> str:
    """`now_iso` (the Clock's ISO 8601 UTC form) moved back by `seconds`, in the same form."""
    moved = datetime.fromisoformat(now_iso.replace("Z", "+00:00")) - timedelta(seconds=seconds)
    return moved.isoformat(timespec="milliseconds").replace("+00:00", "Z")
