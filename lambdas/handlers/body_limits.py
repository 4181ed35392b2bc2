"""Reading a JSON request body, REST or WebSocket: bounds checked before it is parsed.

A body of a few megabytes or a few thousand nested brackets costs memory and parser
recursion before any model validation runs (deep nesting even ends Python's parser with a
RecursionError); bytes that are not UTF-8 cannot be JSON at all. Each is refused here with
a clear error instead of failing somewhere inside the parser.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from lambdas.handlers.errors import ApiError

MAX_BODY_BYTES = 64 * 1024
"""Far above the largest valid request: 8,000 characters of message, even fully escaped."""
MAX_JSON_DEPTH = 8
"""The API's bodies are flat objects; a little room is left for future fields."""

# A JSON string (skipped whole, so brackets inside it are not counted) or a bracket.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def event_body_text(event: Mapping[str, Any]) -> str:
    """The body of an API Gateway event (REST or WebSocket) as checked JSON text ("" if none).

    Raises ApiError (413 or 400) for a body too large, not UTF-8, or nested too deeply."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "malformed_body", "the request body is not valid base64", "body") from None
    return json_text(body)


def json_text(body: str | bytes) -> str:
    size = len(body) if isinstance(body, bytes) else len(body.encode("utf-8", "surrogatepass"))
    if size > MAX_BODY_BYTES:
        raise ApiError(
            413,
            "payload_too_large",
            f"the request body is {size} bytes; the limit is {MAX_BODY_BYTES}",
            "body",
        )
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as error:
        raise ApiError(
            400, "invalid_encoding", f"the request body is not valid UTF-8 (byte {error.start})", "body"
        ) from None
    if _depth(text) > MAX_JSON_DEPTH:
        raise ApiError(
            400, "too_deeply_nested", f"the request body nests deeper than {MAX_JSON_DEPTH} levels", "body"
        )
    return text


def _depth(text: str) -> int:
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("]", "}"):
            depth -= 1
    return deepest
