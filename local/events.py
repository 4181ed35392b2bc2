"""Translate between HTTP / WebSocket traffic and the API Gateway events the Lambda handlers receive.

REST requests become API Gateway REST proxy events (payload format 1.0) with the claims a
Cognito user-pool authorizer would add; WebSocket frames become API Gateway WebSocket events
with the context a Lambda REQUEST authorizer would add. The handlers cannot tell the difference.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

STAGE = "local"
DEV_USER_SUB = "local-dev-user"
LOCAL_USER_HEADER = "x-local-user"
"""Local mode only: selects another development user's `sub`, for multi-user tests.
The cloud path has no such header: identity there comes from the verified token."""

WebSocketRoute = Literal["$connect", "$disconnect", "$default"]
_EVENT_TYPES: dict[WebSocketRoute, str] = {
    "$connect": "CONNECT",
    "$disconnect": "DISCONNECT",
    "$default": "MESSAGE",
}


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    body: bytes
    source_ip: str


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def dev_user_claims(sub: str) -> dict[str, str]:
    """The claims a Cognito user-pool authorizer puts in `requestContext.authorizer.claims`."""
    return {"sub": sub, "email": f"{sub}@localhost", "cognito:username": sub}


def caller_sub(headers: Iterable[tuple[str, str]]) -> str:
    """The development user the request names; the handlers' owner check refuses unusable ones."""
    for name, value in headers:
        if name.lower() == LOCAL_USER_HEADER and value.strip():
            return value.strip()
    return DEV_USER_SUB


def rest_proxy_event(request: HttpRequest) -> dict[str, Any]:
    headers = [(name, value) for name, value in request.headers if name.lower() != LOCAL_USER_HEADER]
    body, is_base64 = _encode_body(request.body)
    return {
        "resource": "/{proxy+}",
        "path": request.path,
        "httpMethod": request.method,
        "headers": _single_values(headers),
        "multiValueHeaders": _multi_values(headers),
        "queryStringParameters": _single_values(request.query),
        "multiValueQueryStringParameters": _multi_values(request.query),
        "pathParameters": {"proxy": request.path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": request.method,
            "path": f"/{STAGE}{request.path}",
            "stage": STAGE,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": request.source_ip, "userAgent": _first(headers, "user-agent")},
            "authorizer": {"claims": dev_user_claims(caller_sub(request.headers))},
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def http_response(result: Mapping[str, Any]) -> HttpResponse:
    """Map a REST proxy integration result back to HTTP, merging headers as API Gateway does."""
    multi: dict[str, list[str]] = {
        name: [str(v) for v in values] for name, values in (result.get("multiValueHeaders") or {}).items()
    }
    for name, value in (result.get("headers") or {}).items():
        multi.setdefault(name, [str(value)])
    raw_body = result.get("body") or ""
    body = base64.b64decode(raw_body) if result.get("isBase64Encoded") else str(raw_body).encode()
    headers = [(name, value) for name, values in multi.items() for value in values]
    return HttpResponse(status=int(result.get("statusCode", 200)), headers=headers, body=body)


def websocket_event(
    route: WebSocketRoute, *, connection_id: str, sub: str, body: str | bytes | None = None
) -> dict[str, Any]:
    """A binary frame's `body` arrives base64-encoded, as API Gateway passes binary payloads."""
    is_base64 = isinstance(body, bytes)
    if isinstance(body, bytes):
        body = base64.b64encode(body).decode("ascii")
    return {
        "requestContext": {
            "routeKey": route,
            "eventType": _EVENT_TYPES[route],
            "connectionId": connection_id,
            "stage": STAGE,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "domainName": "localhost",
            "apiId": "local",
            "authorizer": {"sub": sub, "principalId": sub},
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _encode_body(body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def _single_values(pairs: list[tuple[str, str]]) -> dict[str, str] | None:
    """API Gateway keeps the last value of a repeated key, and sends null when there is none."""
    return dict(pairs) or None


def _multi_values(pairs: list[tuple[str, str]]) -> dict[str, list[str]] | None:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped or None


def _first(pairs: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in pairs if key.lower() == name), None)
