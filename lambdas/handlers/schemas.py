"""Request and response models of the public API. The OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from lambdas.core.models import ChatResult

MAX_MESSAGE_CHARS = 8000
ResourceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChatRequest(_Strict):
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, description="The user's question.")
    conversation_id: ResourceId | None = Field(default=None, description="Continue this conversation.")
    model: str | None = Field(default=None, max_length=128, description="A model id from GET /v1/models.")
    temperature: float = Field(default=0.2, ge=0.0, le=1.0)
    max_tokens: int | None = Field(default=None, ge=1, le=8192, description="Upper bound on answer tokens.")

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message must not be blank")
        return value


class DomainView(BaseModel):
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


class ChatResponse(BaseModel):
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


class ConversationList(BaseModel):
    conversations: list[ConversationOut]


class ConversationDetail(BaseModel):
    conversation: ConversationOut
    messages: list[MessageOut]


class ModelOut(DomainView):
    id: str
    provider: str
    display_name: str
    context_window: int
    input_per_1k_usd: float
    output_per_1k_usd: float


class ModelList(BaseModel):
    default_model: str
    price_table_version: str
    models: list[ModelOut]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    provider: str
    version: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail
