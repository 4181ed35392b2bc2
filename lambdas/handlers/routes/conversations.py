"""The caller's conversations: list, read, rename, delete."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from lambdas.handlers.identity import owner_from_request_context
from lambdas.handlers.schemas import (
    ConversationDetail,
    ConversationList,
    ConversationOut,
    MessageOut,
    RenameRequest,
    ResourceId,
)
from lambdas.wiring import get_services

router = Router()


def _owner() -> str:
    return owner_from_request_context(router.current_event.raw_event.get("requestContext") or {})


@router.get("/v1/conversations", summary="List conversations, newest first", tags=["conversations"])
def list_conversations() -> ConversationList:
    conversations = get_services().conversations.list_for(_owner())
    return ConversationList(conversations=[ConversationOut.of(c) for c in conversations])


@router.get(
    "/v1/conversations/<conversation_id>", summary="A conversation and its messages", tags=["conversations"]
)
def get_conversation(conversation_id: ResourceId) -> ConversationDetail:
    conversation, messages = get_services().conversations.get(_owner(), conversation_id)
    return ConversationDetail(
        conversation=ConversationOut.of(conversation), messages=[MessageOut.of(m) for m in messages]
    )


@router.patch("/v1/conversations/<conversation_id>", summary="Rename a conversation", tags=["conversations"])
def rename_conversation(
    conversation_id: ResourceId, request: Annotated[RenameRequest, Body()]
) -> ConversationOut:
    return ConversationOut.of(get_services().conversations.rename(_owner(), conversation_id, request.title))


@router.delete(
    "/v1/conversations/<conversation_id>",
    summary="Delete a conversation",
    tags=["conversations"],
    status_code=204,
)
def delete_conversation(conversation_id: ResourceId) -> Response[None]:
    get_services().conversations.delete(_owner(), conversation_id)
    return Response(status_code=204)
