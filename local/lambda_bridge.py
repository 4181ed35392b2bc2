"""Run the Lambda handlers from the local server: REST requests and WebSocket sockets."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from lambdas.adapters.websocket import ConnectionGone, LocalConnectionPublisher
from local.events import HttpRequest, caller_sub, http_response, rest_proxy_event, websocket_event

WEBSOCKET_POLICY_VIOLATION = 1008
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
SEND_TIMEOUT_SECONDS = 10.0
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(slots=True)
class LocalLambdaContext:
    """The attributes of a Lambda context object that Powertools reads."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = ""
    log_group_name: str = "local"
    log_stream_name: str = "local"

    def __post_init__(self) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@dataclass(frozen=True, slots=True)
class Bridge:
    """The handlers and what happens around them in local mode."""

    rest_handler: LambdaHandler
    stream_handler: LambdaHandler
    connections: LocalConnectionPublisher
    after_change: Callable[[], None]
    """Called (in a worker thread) after each request that may have changed state."""

    async def rest(self, request: Request) -> Response:
        http_request = HttpRequest(
            method=request.method,
            path=request.url.path,
            headers=[
                (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
            ],
            query=list(request.query_params.multi_items()),
            body=await request.body(),
            source_ip=request.client.host if request.client else "127.0.0.1",
        )
        event = rest_proxy_event(http_request)
        result = await run_in_threadpool(self.rest_handler, event, LocalLambdaContext("api"))
        if request.method not in READ_ONLY_METHODS:
            await run_in_threadpool(self.after_change)
        mapped = http_response(result)
        response = Response(content=mapped.body, status_code=mapped.status)
        # Raw headers keep repeated names (Set-Cookie, Vary) as separate lines.
        response.raw_headers.extend(
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in mapped.headers
        )
        return response

    async def websocket(self, socket: WebSocket) -> None:
        connection_id = str(uuid.uuid4())
        sub = caller_sub(socket.headers.items())
        connected = await self._invoke_stream(
            websocket_event("$connect", connection_id=connection_id, sub=sub)
        )
        if int(connected.get("statusCode", 200)) >= 300:
            # As API Gateway does when $connect refuses: the handshake fails (HTTP 403).
            await socket.close(code=WEBSOCKET_POLICY_VIOLATION)
            return
        await socket.accept()
        self.connections.register(connection_id, self._sender(socket, asyncio.get_running_loop()))
        pending: set[asyncio.Task[Any]] = set()
        try:
            while (frame := await _next_frame(socket)) is not None:
                event = websocket_event("$default", connection_id=connection_id, sub=sub, body=frame)
                # Each frame runs on its own, as each is a separate Lambda invocation in AWS;
                # the loop keeps reading so a closing client is noticed at once.
                task = asyncio.create_task(self._invoke_stream(event, changes_state=True))
                pending.add(task)
                task.add_done_callback(pending.discard)
        finally:
            self.connections.unregister(connection_id)
            await self._invoke_stream(websocket_event("$disconnect", connection_id=connection_id, sub=sub))

    async def _invoke_stream(self, event: dict[str, Any], *, changes_state: bool = False) -> dict[str, Any]:
        result = await run_in_threadpool(self.stream_handler, event, LocalLambdaContext("stream"))
        if changes_state:
            await run_in_threadpool(self.after_change)
        return result

    def _sender(self, socket: WebSocket, loop: asyncio.AbstractEventLoop) -> Callable[[str], None]:
        def send_text(text: str) -> None:
            future = asyncio.run_coroutine_threadsafe(socket.send_text(text), loop)
            try:
                future.result(timeout=SEND_TIMEOUT_SECONDS)
            except Exception as error:
                raise ConnectionGone(str(error)) from error

        return send_text


async def _next_frame(socket: WebSocket) -> str | bytes | None:
    """The next text or binary frame; None once the client has gone."""
    message = await socket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    text: str | None = message.get("text")
    return text if text is not None else bytes(message.get("bytes") or b"")
