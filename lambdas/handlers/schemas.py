"""Request and response models of the public API. The OpenAPI document is generated from them,
so every rule a request must meet is written here, as a constraint the document shows."""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from lambdas.core.models import ChatResult

MAX_MESSAGE_CHARS = 8000
ResourceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class ApiModel(BaseModel):
    """Base of the API's models. Each builds its validator when first used, so a cold start
    builds only those of the route it serves, not of every route in the document."""

    model_config = ConfigDict(defer_build=True)


class _Strict(ApiModel):
    # Strict: JSON `true` is not a number and `1` is not a string, as the schema says.
    model_config = ConfigDict(extra="forbid", strict=True)


class ChatRequest(_Strict):
    message: str = Field(
        min_length=1,
        max_length=MAX_MESSAGE_CHARS,
        pattern=r"\S",
        description="The user's question (not only white space).",
    )
    conversation_id: ResourceId | None = Field(default=None, description="Continue this conversation.")
    model: str | None = Field(
        default=None, min_length=1, max_length=128, description="A model id from GET /v1/models."
    )
    temperature: float = Field(default=0.2, ge=0.0, le=1.0)
    max_tokens: int | None = Field(
        default=None,
        ge=1,
        le=8192,
        description="Upper bound on answer tokens; the model's own limit (GET /v1/models) applies above it.",
    )


@cache
def _upload_formats() -> list[tuple[str, str]]:
    """(filename pattern, content type pattern) per accepted format.

    A name must end in the format's extension and hold a letter or digit before it in its last
    path segment (what is left once the name is cleaned for display); the declared type may
    carry parameters (`; charset=utf-8`) and any case. Built on first use: only uploads need
    the document domain, and a chat turn never imports it."""
    from lambdas.core.documents import ACCEPTED_CONTENT_TYPES
    from lambdas.core.rag.extraction import CONTENT_TYPES

    formats = []
    for canonical, declared in ACCEPTED_CONTENT_TYPES.items():
        extensions = "|".join(sorted(re.escape(e[1:]) for e, c in CONTENT_TYPES.items() if c == canonical))
        types = "|".join(sorted(re.escape(t) for t in declared))
        formats.append(
            (
                rf"^(?:[\s\S]*[/\\])?[^/\\]*\w[^/\\]*\.(?i:{extensions})$",
                rf"^\s*(?i:{types})\s*(?:;[\s\S]*)?$",
            )
        )
    return formats


def _pairings(schema: dict[str, Any]) -> None:
    schema["anyOf"] = [
        {"properties": {"filename": {"pattern": name}, "content_type": {"pattern": kind}}}
        for name, kind in _upload_formats()
    ]


class UploadRequest(_Strict):
    model_config = ConfigDict(json_schema_extra=_pairings)
    filename: str = Field(
        min_length=1,
        max_length=255,
        description="Name of the file, ending in .txt, .md, .markdown, .html, .htm or .pdf.",
    )
    content_type: str = Field(
        min_length=1,
        max_length=100,
        description="text/plain, text/markdown, text/html or application/pdf, matching the extension.",
    )
    size_bytes: int = Field(ge=1, description="Exact size of the file; at most the configured upload limit.")

    @field_validator("filename")
    @classmethod
    def _known_format(cls, filename: str) -> str:
        if not any(re.search(name, filename) for name, _ in _upload_formats()):
            raise ValueError(
                "the name needs a letter or digit and one of .txt, .md, .markdown, .html, .htm, .pdf"
            )
        return filename

    @field_validator("content_type")
    @classmethod
    def _matches_extension(cls, content_type: str, info: ValidationInfo) -> str:
        filename = info.data.get("filename", "")
        if not any(
            re.search(name, filename) and re.search(kind, content_type) for name, kind in _upload_formats()
        ):
            raise ValueError(f"{content_type!r} is not the content type of {filename!r}")
        return content_type


class DomainView(ApiModel):
    """A response model filled from the domain record whose fields it names."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, record: object) -> Self:
        return cls.model_validate(record)


class RenameRequest(_Strict):
    title: str = Field(min_length=1, max_length=200)


class UsageOut(DomainView):
    input_tokens: int = Field(description="Input tokens neither read from nor written to the prompt cache.")
    output_tokens: int
    cache_read_tokens: int = Field(default=0, description="Input tokens read from the prompt cache.")
    cache_write_tokens: int = Field(default=0, description="Input tokens written to the prompt cache.")
    estimated: bool = Field(default=False, description="True when the provider reported no usage.")


class CitationOut(DomainView):
    n: int
    document_id: str
    title: str
    heading: str
    snippet: str
    score: float


class ChatResponse(ApiModel):
    conversation_id: str
    message_id: str
    answer: str
    citations: list[CitationOut]
    model: str
    usage: UsageOut
    cost_usd: float
    latency_ms: int
    blocked: bool = Field(
        default=False,
        description="True when the input guard, the output check or the Bedrock guardrail stopped "
        "the turn: `answer` is then a refusal.",
    )
    reason: str | None = Field(
        default=None,
        description="Why the turn was blocked: `prompt_injection:<family>`, `guardrail` or `system_prompt_leak`.",
    )

    @classmethod
    def of(cls, result: ChatResult) -> ChatResponse:
        return cls(
            conversation_id=result.conversation_id,
            message_id=result.message_id,
            answer=result.answer,
            citations=[CitationOut.of(c) for c in result.citations],
            model=result.model,
            usage=UsageOut.of(result.usage),
            cost_usd=result.cost_usd,
            latency_ms=result.latency_ms,
            blocked=result.blocked,
            reason=result.reason or None,
        )


class ConversationOut(DomainView):
    id: str
    title: str
    created_at: str
    updated_at: str
    message_count: int


class MessageOut(DomainView):
    id: str
    role: Literal["user", "assistant"]
    content: str
    created_at: str
    model: str | None
    usage: UsageOut | None
    cost_usd: float
    latency_ms: int
    citations: list[CitationOut]
    complete: bool


class ConversationList(ApiModel):
    conversations: list[ConversationOut]


class ConversationDetail(ApiModel):
    conversation: ConversationOut
    messages: list[MessageOut]


class ModelOut(DomainView):
    id: str
    provider: str
    display_name: str
    context_window: int
    input_per_1k_usd: float
    output_per_1k_usd: float


class ModelList(ApiModel):
    default_model: str
    price_table_version: str
    models: list[ModelOut]


class Health(ApiModel):
    status: Literal["ok"] = "ok"
    provider: str
    version: str


class ErrorDetail(ApiModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(ApiModel):
    error: ErrorDetail
