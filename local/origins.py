"""Which web pages may talk to the local server: only its own.

The server listens on loopback, but any page the developer opens could still reach it: with
a form or fetch posted to 127.0.0.1 (cross-site request), a WebSocket (browsers do not apply
the same-origin policy to WebSockets), or a domain of its own re-pointed at 127.0.0.1 (DNS
rebinding). So every request must name this server in `Host`, and every request that
changes state, and every WebSocket handshake, that carries an `Origin` must come from one
of the configured local origins. Clients that are not browsers (curl, tests) send no
`Origin` and are let through.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WEBSOCKET_POLICY_VIOLATION = 1008


@dataclass(frozen=True, slots=True)
class LocalOrigins:
    origins: frozenset[str]

    @classmethod
    def serving(cls, host: str, port: int, extra: Iterable[str] = ()) -> LocalOrigins:
        """The server's own origins (by address and as `localhost`), plus `extra` ones."""
        own = {f"http://{name}:{port}" for name in {host, "localhost", "127.0.0.1"}}
        return cls(frozenset(own | {origin.strip().rstrip("/") for origin in extra if origin.strip()}))

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset(urlsplit(origin).netloc for origin in self.origins)

    def refusal(self, scope: Scope) -> str | None:
        """Why the request is refused, or None."""
        headers = Headers(scope=scope)
        if headers.get("host", "") not in self.hosts:
            return "the Host header does not name this server"
        origin = headers.get("origin")
        changes_state = scope["type"] == "websocket" or scope["method"] not in SAFE_METHODS
        if origin is not None and changes_state and origin not in self.origins:
            return f"requests from {origin} are not accepted; open the page this server serves"
        return None


class OriginGuard:
    """ASGI middleware applying `LocalOrigins` to every HTTP request and WebSocket handshake."""

    def __init__(self, app: ASGIApp, *, origins: LocalOrigins) -> None:
        self._app = app
        self._origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._origins.refusal(scope) if scope["type"] in ("http", "websocket") else None
        if refusal is None:
            await self._app(scope, receive, send)
        elif scope["type"] == "websocket":
            # Closing before accepting makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": WEBSOCKET_POLICY_VIOLATION, "reason": refusal})
        else:
            body = json.dumps(
                {"error": {"code": "forbidden_origin", "message": refusal, "field": None}}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
