"""Ports: the small interfaces the domain needs from the outside world.

Adapters in `lambdas.adapters` implement them (Bedrock, DynamoDB, OpenSearch, local
embedded versions); tests use the in-memory ones from `lambdas.adapters.memory`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from lambdas.core.models import (
    Chunk,
    Conversation,
    Document,
    DocumentStatus,
    LimitStatus,
    Message,
    ModelRequest,
    ModelResponse,
    Passage,
    ScoredChunk,
    StreamEvent,
)


class LanguageModel(Protocol):
    """A chat model. Raises ModelThrottled / ModelUnavailable on provider failure."""

    def complete(self, request: ModelRequest) -> ModelResponse: ...

    def stream(self, request: ModelRequest) -> Iterator[StreamEvent]: ...


class ConversationStore(Protocol):
    """Conversations and their messages, always scoped to one owner."""

    def get_conversation(self, owner: str, conversation_id: str) -> Conversation | None: ...

    def list_conversations(self, owner: str) -> list[Conversation]: ...

    def rename_conversation(self, owner: str, conversation_id: str, title: str) -> Conversation | None: ...

    def delete_conversation(self, owner: str, conversation_id: str) -> bool: ...

    def list_messages(self, owner: str, conversation_id: str) -> list[Message]:
        """All messages, oldest first."""
        ...

    def recent_messages(self, owner: str, conversation_id: str, limit: int) -> list[Message]:
        """The newest `limit` messages, oldest first."""
        ...

    def append_turn(
        self, owner: str, conversation_id: str, question: Message, answer: Message, *, title_if_new: str
    ) -> None:
        """Store a user message and its answer together (both or neither), creating the
        conversation with `title_if_new` when it does not exist yet."""
        ...


QueryExpansion = Callable[[str], str]
"""Given a question, text to search together with it (a model's hypothetical answer); "" for none."""


class Retriever(Protocol):
    """Finds the passages of the owner's documents that best match a query.

    `expand` is called only once the question alone has found something; what it returns is
    searched together with the question, while a second stage still judges the question alone.
    """

    def retrieve(
        self, owner: str, query: str, top_k: int, *, expand: QueryExpansion | None = None
    ) -> Sequence[Passage]: ...


class Embedder(Protocol):
    """Turns text into dense vectors of `dimensions` floats."""

    model_id: str
    dimensions: int

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


@dataclass(frozen=True, slots=True)
class Reranked:
    """One text of a rerank call: its position in the call's input and its relevance."""

    index: int
    score: float


class Reranker(Protocol):
    """Second-stage ranking: scores each text against the query (a cross-encoder reads both
    together). Raises ModelThrottled / ModelUnavailable; retrieval then keeps its first-stage order."""

    model_id: str

    def rerank(self, query: str, texts: Sequence[str], top_n: int) -> list[Reranked]:
        """The `top_n` most relevant texts, best first."""
        ...


class ChunkIndex(Protocol):
    """Where chunks are searched: keywords (BM25) and/or vectors, always filtered by owner.

    A backend without keyword search (S3 Vectors) returns [] from keyword_search;
    one without vectors (local keyword-only mode) returns [] from vector_search.
    """

    def replace_document(
        self,
        owner: str,
        document_id: str,
        chunks: Sequence[Chunk],
        vectors: Sequence[Sequence[float]] | None,
    ) -> None:
        """Index a document's chunks, removing any earlier version first (idempotent)."""
        ...

    def delete_document(self, owner: str, document_id: str) -> None: ...

    def keyword_search(self, owner: str, query: str, k: int) -> list[ScoredChunk]: ...

    def vector_search(self, owner: str, vector: Sequence[float], k: int) -> list[ScoredChunk]: ...


@runtime_checkable
class ChunkLookup(Protocol):
    """Optional capability of a ChunkIndex: fetch chunks by id, so retrieval can widen a
    hit with its neighbours (ids follow `lambdas.core.rag.chunking.chunk_id`)."""

    def get_chunks(self, owner: str, chunk_ids: Sequence[str]) -> list[Chunk]:
        """The owner's chunks among `chunk_ids`, in any order; unknown ids are skipped."""
        ...


class DocumentStore(Protocol):
    """Document metadata and ingestion status, scoped to one owner."""

    def put(self, document: Document) -> None: ...

    def get(self, owner: str, document_id: str) -> Document | None: ...

    def list_for(self, owner: str) -> list[Document]: ...

    def update_status(
        self,
        owner: str,
        document_id: str,
        status: DocumentStatus,
        *,
        reason: str = "",
        chunk_count: int | None = None,
    ) -> None: ...

    def start_progress(self, owner: str, document_id: str, chunks_total: int) -> None:
        """An ingestion has `chunks_total` chunks to embed, none embedded yet."""
        ...

    def add_progress(self, owner: str, document_id: str, chunks: int) -> None:
        """`chunks` more are embedded; atomic, since batches are embedded concurrently in the cloud."""
        ...

    def delete(self, owner: str, document_id: str) -> bool: ...

    def pending_since_before(self, cutoff_iso: str) -> list[Document]:
        """Every owner's PENDING documents last updated before `cutoff_iso` (the upload sweep)."""
        ...


@dataclass(frozen=True, slots=True)
class PresignedUpload:
    """An HTML-form upload: POST `fields` plus the file (last, named `file`) to `url`."""

    url: str
    fields: Mapping[str, str]
    expires_in_seconds: int


class ObjectStore(Protocol):
    """The documents bucket: uploaded originals and the JSON work files between ingestion steps."""

    def presigned_upload(
        self, key: str, *, content_type: str, size_bytes: int, expires_in_seconds: int
    ) -> PresignedUpload:
        """A signed upload of exactly `key`, accepted only with `content_type` and exactly
        `size_bytes` bytes."""
        ...

    def get_bytes(self, key: str) -> bytes: ...

    def put_json(self, key: str, value: Any) -> None: ...

    def get_json(self, key: str) -> Any: ...

    def has_objects_under(self, prefix: str) -> bool: ...

    def delete_prefix(self, prefix: str) -> None:
        """Delete every object whose key starts with `prefix`."""
        ...


class Clock(Protocol):
    def now_iso(self) -> str: ...

    def monotonic_ms(self) -> float: ...


class IdGenerator(Protocol):
    def new_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class DailyUsage:
    """One user's use of one model on one UTC day, summed over every call that day."""

    day: str
    """YYYY-MM-DD"""
    model: str
    kind: str
    """`chat`, `embedding` or `rerank`."""
    input_tokens: int
    output_tokens: int
    cost_usd: float
    requests: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


class UsageStore(Protocol):
    """Per-user daily usage aggregates (chat turns add theirs in the conversation store's transaction)."""

    def daily_usage(self, owner: str, first_day: str, last_day: str) -> list[DailyUsage]:
        """Every aggregate of the owner from `first_day` to `last_day` inclusive (YYYY-MM-DD)."""
        ...

    def add_embedding_usage(
        self, owner: str, *, day: str, model: str, input_tokens: int, cost_usd: float, kind: str = "embedding"
    ) -> None:
        """Add one embedding call (or, with `kind="rerank"`, one rerank call: input only, like an
        embedding) to the owner's aggregate for that day and model."""
        ...

    def every_user_daily_usage(self, first_day: str, last_day: str) -> list[tuple[str, DailyUsage]]:
        """(owner, aggregate) for every owner's aggregates from `first_day` to `last_day` inclusive."""
        ...


class RateLimiter(Protocol):
    """Per-user request and token limits and the daily token budget."""

    def admit(self, owner: str) -> None:
        """Take one request from the owner's allowance, or raise RateLimited."""
        ...

    def charge(self, owner: str, tokens: int) -> None:
        """Count the tokens a finished turn used against the minute bucket and today's budget."""
        ...

    def status(self, owner: str) -> LimitStatus: ...


class RemainingTime(Protocol):
    """The part of a Lambda context that tells how long the invocation may still run."""

    def get_remaining_time_in_millis(self) -> int: ...


class IdempotentCalls(Protocol):
    """Runs a request at most once per owner and idempotency key, until the key expires."""

    def once(
        self,
        owner: str,
        key: str,
        request: Mapping[str, Any],
        compute: Callable[[], dict[str, Any]],
        *,
        time_left: RemainingTime | None = None,
    ) -> dict[str, Any]:
        """`compute()`'s result; a repeat with the same key and request gets the stored result
        without running it again. Raises InvalidRequest when the key was used with another
        request, Conflict while the first call is still running. A call that raises is not
        stored, so it can be retried; `time_left` bounds how long an unfinished call blocks
        its key."""
        ...
