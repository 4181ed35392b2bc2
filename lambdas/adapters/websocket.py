"""Connection publishers: how the streaming handler sends a JSON message to one WebSocket client.

In AWS the API Gateway Management API posts to the connection (`post_to_connection`); in local
mode the local server registers each open socket here and the message is pushed into it. The
streaming handler sees only `ConnectionPublisher`, so both paths run the same code.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol


class ConnectionGone(Exception):
    """The client has disconnected: stop producing for it."""


class ConnectionPublisher(Protocol):
    def post(self, connection_id: str, message: Mapping[str, Any]) -> None:
        """Send one JSON message; raises ConnectionGone when the client has left."""
        ...


class ApiGatewayConnectionPublisher:
    """Posts through the API Gateway Management API of the WebSocket stage.

    `client_factory` builds the `apigatewaymanagementapi` client for the callback URL
    (https://{api-id}.execute-api.{region}.amazonaws.com/{stage}); it is called on first use,
    so importing or constructing this class costs nothing at cold start.
    """

    def __init__(self, client_factory: Callable[[], Any]) -> None:
        self._client_factory = client_factory
        self._client: Any = None

    def post(self, connection_id: str, message: Mapping[str, Any]) -> None:
        if self._client is None:
            self._client = self._client_factory()
        client = self._client
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=_encode(message))
        except client.exceptions.GoneException as error:
            raise ConnectionGone(connection_id) from error


Sender = Callable[[str], None]


class LocalConnectionPublisher:
    """Connections of the local server: each open socket registers a thread-safe text sender."""

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}
        self._lock = threading.Lock()

    def register(self, connection_id: str, send_text: Sender) -> None:
        with self._lock:
            self._senders[connection_id] = send_text

    def unregister(self, connection_id: str) -> None:
        with self._lock:
            self._senders.pop(connection_id, None)

    def post(self, connection_id: str, message: Mapping[str, Any]) -> None:
        with self._lock:
            send_text = self._senders.get(connection_id)
        if send_text is None:
            raise ConnectionGone(connection_id)
        send_text(_encode(message).decode("utf-8"))


LOCAL_CONNECTIONS = LocalConnectionPublisher()
"""The local server's connections: one per process, as there is one server per process."""


def _encode(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
