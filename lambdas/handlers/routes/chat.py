"""POST /v1/chat: answer one turn."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from lambdas.core.models import ChatCommand
from lambdas.handlers.identity import owner_from_request_context
from lambdas.handlers.observability import record_turn
from lambdas.handlers.schemas import ChatRequest, ChatResponse
from lambdas.wiring import get_services

router = Router()


@router.post("/v1/chat", summary="Ask a question", tags=["chat"])
def post_chat(request: Annotated[ChatRequest, Body()]) -> ChatResponse:
    owner = owner_from_request_context(router.current_event.raw_event.get("requestContext") or {})
    command = ChatCommand(
        owner=owner,
        message=request.message,
        conversation_id=request.conversation_id,
        model=request.model,
        temperature=request.temperature,
        max_tokens=request.max_tokens,
    )
    result = get_services().chat.answer(command)
    record_turn(result)
    return ChatResponse.of(result)
