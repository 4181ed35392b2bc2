"""Streaming chat over an API Gateway WebSocket API: `$connect`, `$disconnect`, `$default`.

Protocol (JSON text frames):
- client -> server (UTF-8 JSON text frames; anything else gets an error frame):
  {"action": "chat", "request_id", "message", "conversation_id"?, "model"?,
  "temperature"?, "max_tokens"?}
- server -> client: {"type": "delta", "request_id", "text"} ..., then either
  {"type": "done", "request_id", ...the fields of POST /v1/chat's response} or
  {"type": "error", "request_id", "error": {"code", "message", "field"}}; a `rate_limited`
  error also carries "retry_after_seconds".
To stop a generation the client closes the connection: the next post fails with
GoneException, the chat flow stops and stores the partial answer marked incomplete.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lambdas.adapters.websocket import ConnectionGone, ConnectionPublisher
from lambdas.core.errors import DomainError
from lambdas.core.models import ChatCommand, ChatResult
from lambdas.handlers.body_limits import event_body_text
from lambdas.handlers.errors import ApiError, api_error_of
from lambdas.handlers.identity import owner_from_request_context
from lambdas.handlers.observability import record_turn
from lambdas.handlers.schemas import ChatRequest, ChatResponse
from lambdas.wiring import build_connection_publisher, get_services

logger = Logger()
OK = {"statusCode": 200}


class StreamEnvelope(BaseModel):
    """The routing part of a client frame; the rest is a ChatRequest."""

    model_config = ConfigDict(extra="allow")
    action: str = Field(pattern=r"^chat$")
    request_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")


@lru_cache(maxsize=1)
def _default_publisher() -> ConnectionPublisher:
    return build_connection_publisher(get_services().settings)


_publisher_override: ConnectionPublisher | None = None


def use_publisher(publisher: ConnectionPublisher | None) -> None:
    """Replace the settings-built publisher (tests); None restores it."""
    global _publisher_override  # noqa: PLW0603 - one publisher per container, like get_services
    _publisher_override = publisher


def _publisher() -> ConnectionPublisher:
    return _publisher_override or _default_publisher()


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request_context = event.get("requestContext") or {}
    route = request_context.get("routeKey")
    try:
        owner = owner_from_request_context(request_context)
    except DomainError as error:
        # On $connect a non-2xx status makes API Gateway refuse the connection.
        return {"statusCode": api_error_of(error).status}
    if route == "$default":
        _on_message(owner, request_context["connectionId"], event)
    return OK


def _on_message(owner: str, connection_id: str, event: dict[str, Any]) -> None:
    publisher = _publisher()
    try:
        if event.get("isBase64Encoded"):
            raise ApiError(400, "binary_frame", "send each message as a JSON text frame, not binary", "body")
        body = event_body_text(event)
    except ApiError as refusal:
        # Not even the request id is read from a body that is unsafe to parse.
        _post_error(publisher, connection_id, None, refusal)
        return
    request_id = _request_id_of(body)
    try:
        command = _command(owner, body)
        events = get_services().chat.stream(command)
        try:
            for item in events:
                if isinstance(item, ChatResult):
                    record_turn(item, owner)
                    done = ChatResponse.of(item).model_dump(mode="json")
                    publisher.post(connection_id, {"type": "done", "request_id": request_id, **done})
                else:
                    delta = {"type": "delta", "request_id": request_id, "text": item.text}
                    publisher.post(connection_id, delta)
        finally:
            # Closing now (not at garbage collection) makes the chat flow store the partial
            # answer as incomplete as soon as the client has gone.
            _close(events)
    except ConnectionGone:
        logger.info("client left before the answer ended", extra={"request_id": request_id})
    except ApiError as refusal:
        _post_error(publisher, connection_id, request_id, refusal)
    except DomainError as error:
        _post_error(publisher, connection_id, request_id, api_error_of(error))


def _command(owner: str, body: str) -> ChatCommand:
    try:
        payload = json.loads(body)
    except json.JSONDecodeError:
        raise ApiError(400, "malformed_json", "the message is not valid JSON", "body") from None
    if not isinstance(payload, dict):
        raise ApiError(422, "validation_error", "the message must be a JSON object", "body")
    try:
        envelope = StreamEnvelope.model_validate(payload)
        request = ChatRequest.model_validate(envelope.model_extra or {})
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise ApiError(422, "validation_error", first["msg"], field) from None
    return ChatCommand(
        owner=owner,
        message=request.message,
        conversation_id=request.conversation_id,
        model=request.model,
        temperature=request.temperature,
        max_tokens=request.max_tokens,
    )


def _close(events: Iterator[object]) -> None:
    close = getattr(events, "close", None)
    if callable(close):
        close()


def _request_id_of(body: str) -> str | None:
    """The client's request id, echoed even on errors so the client can match them."""
    try:
        payload = json.loads(body)
    except json.JSONDecodeError:
        return None
    request_id = payload.get("request_id") if isinstance(payload, dict) else None
    return request_id if isinstance(request_id, str) else None


def _post_error(
    publisher: ConnectionPublisher, connection_id: str, request_id: str | None, failure: ApiError
) -> None:
    error: dict[str, Any] = {"code": failure.code, "message": failure.message, "field": failure.field}
    if failure.retry_after_seconds is not None:
        error["retry_after_seconds"] = failure.retry_after_seconds
    try:
        publisher.post(connection_id, {"type": "error", "request_id": request_id, "error": error})
    except ConnectionGone:
        logger.info("client left before the error could be sent", extra={"request_id": request_id})
