"""POST /v1/chat: answer one turn, once per Idempotency-Key when the client sends one."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header

from lambdas.core.models import ChatCommand
from lambdas.handlers.identity import owner_from_request_context
from lambdas.handlers.observability import record_turn
from lambdas.handlers.openapi import declared_errors
from lambdas.handlers.schemas import ChatRequest, ChatResponse
from lambdas.wiring import get_services

router = Router()

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Repeating a request with the same key (within an hour) returns the first answer "
        "instead of asking again; the same key with another body is refused (422).",
    ),
]


@router.post(
    "/v1/chat",
    summary="Ask a question",
    tags=["chat"],
    openapi_extensions=declared_errors(404, 409, 429, 503),
)
def post_chat(
    request: Annotated[ChatRequest, Body()], idempotency_key: IdempotencyKey = None
) -> ChatResponse:
    owner = owner_from_request_context(router.current_event.raw_event.get("requestContext") or {})
    command = ChatCommand(
        owner=owner,
        message=request.message,
        conversation_id=request.conversation_id,
        model=request.model,
        temperature=request.temperature,
        max_tokens=request.max_tokens,
    )

    def answer() -> ChatResponse:
        result = get_services().chat.answer(command)
        record_turn(result, owner)
        return ChatResponse.of(result)

    if idempotency_key is None:
        return answer()
    first = get_services().chat_idempotency.once(
        owner,
        idempotency_key,
        request.model_dump(mode="json"),
        lambda: answer().model_dump(mode="json"),
        time_left=router.lambda_context,
    )
    return ChatResponse.model_validate(first)
