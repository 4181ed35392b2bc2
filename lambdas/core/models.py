"""Domain records shared by the chat flow, the stores and the model adapters.

Plain dataclasses: cheap to build on the hot path and free of any AWS or HTTP concern.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["user", "assistant"]


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    """Input tokens read neither from nor into the prompt cache (Bedrock's `inputTokens`)."""
    output_tokens: int
    estimated: bool = False
    """True when the provider reported no usage and the counts come from our estimator."""
    cache_read_tokens: int = 0
    """Input tokens read from the prompt cache, at the model's cache-read rate."""
    cache_write_tokens: int = 0
    """Input tokens written to the prompt cache, at the model's cache-write rate."""

    @property
    def total_tokens(self) -> int:
        """Every token the model processed: what the daily budget counts."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    provider: str
    display_name: str
    context_window: int
    input_per_1k_usd: float
    output_per_1k_usd: float
    max_output_tokens: int = 4096
    cache_read_per_1k_usd: float | None = None
    """None: the input rate (a server that caches without a price of its own)."""
    cache_write_per_1k_usd: float | None = None
    cache_min_tokens: int = 0
    """Fewest prompt tokens before a cache checkpoint; 0: the model takes no checkpoints."""


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved piece of a document, offered to the model as numbered context."""

    document_id: str
    title: str
    text: str
    score: float
    heading: str = ""
    chunk_id: str = ""


@dataclass(frozen=True, slots=True)
class Citation:
    n: int
    document_id: str
    title: str
    heading: str
    snippet: str
    score: float


@dataclass(frozen=True, slots=True)
class PromptMessage:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """What a LanguageModel receives. The last of `messages` is the current user turn with
    the passages rendered into it; `question` and `passages` are also given structured so
    an extractive answerer can quote them."""

    model_id: str
    system: str
    messages: tuple[PromptMessage, ...]
    temperature: float
    max_tokens: int
    question: str = ""
    passages: tuple[Passage, ...] = ()
    owner: str = ""
    """Who asked: the response cache keeps each user's answers apart."""


@dataclass(frozen=True, slots=True)
class ModelResponse:
    text: str
    model_id: str
    usage: Usage | None
    stop_reason: str = "end_turn"


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of streamed answer text."""

    text: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """Last event of a model stream."""

    usage: Usage | None
    stop_reason: str = "end_turn"
    model_id: str = ""
    """The model that produced the stream, when a fallback answered in place of the requested one."""


StreamEvent = TextDelta | StreamEnd


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    owner: str
    title: str
    created_at: str
    updated_at: str
    message_count: int = 0


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    conversation_id: str
    role: Role
    content: str
    created_at: str
    model: str | None = None
    usage: Usage | None = None
    cost_usd: float = 0.0
    latency_ms: int = 0
    citations: tuple[Citation, ...] = ()
    complete: bool = True
    """False when a stream ended early (dropped connection, model error)."""


@dataclass(frozen=True, slots=True)
class ChatCommand:
    """A validated user turn, as the chat flow receives it from any channel."""

    owner: str
    message: str
    conversation_id: str | None = None
    model: str | None = None
    temperature: float = 0.2
    max_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ChatResult:
    conversation_id: str
    message_id: str
    answer: str
    model: str
    usage: Usage
    cost_usd: float
    latency_ms: int
    citations: tuple[Citation, ...] = field(default_factory=tuple)
    blocked: bool = False
    """True when the input guard, the output check or a guardrail stopped the turn: `answer`
    is then a refusal."""
    reason: str = ""
    """Why the turn was blocked, e.g. `prompt_injection:instruction_override` or `guardrail`."""


DocumentStatus = Literal["PENDING", "PROCESSING", "READY", "FAILED"]


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    owner: str
    filename: str
    content_type: str
    size_bytes: int
    status: DocumentStatus
    created_at: str
    updated_at: str
    chunk_count: int = 0
    reason: str = ""
    """Why ingestion FAILED, in words a user can act on."""
    chunks_total: int = 0
    """Chunks the current ingestion embeds; 0 until extraction has chunked the file."""
    chunks_embedded: int = 0
    """Chunks of `chunks_total` embedded so far: the ingestion's progress."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a document as indexed: text plus where it came from."""

    chunk_id: str
    document_id: str
    owner: str
    title: str
    text: str
    start: int
    end: int
    """Character offsets of `text` in the extracted document text."""
    heading_path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    chunk: Chunk
    score: float


@dataclass(frozen=True, slots=True)
class LimitStatus:
    """A user's limits and what is left of today's token budget. None means "no limit"."""

    requests_per_minute: int | None
    tokens_per_minute: int | None
    daily_tokens: int | None
    daily_tokens_used: int
    daily_tokens_remaining: int | None
    resets_at: str
    """When the daily budget renews (ISO 8601, UTC midnight)."""
