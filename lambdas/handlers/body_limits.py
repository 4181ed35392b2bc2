"""Bounds on a JSON request body, checked before it is parsed.

A body of a few megabytes or a few thousand nested brackets costs memory and parser
recursion before any model validation runs (deep nesting even ends Python's parser with a
RecursionError); these checks refuse both with a clear error instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BODY_BYTES = 64 * 1024
"""Far above the largest valid request: 8,000 characters of message, even fully escaped."""
MAX_JSON_DEPTH = 8
"""The API's bodies are flat objects; a little room is left for future fields."""

# A JSON string (skipped whole, so brackets inside it are not counted) or a bracket.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


@dataclass(frozen=True, slots=True)
class BodyProblem:
    status: int
    code: str
    message: str


def json_body_problem(body: str | bytes) -> BodyProblem | None:
    """Why the body is refused before parsing, or None."""
    size = len(body) if isinstance(body, bytes) else len(body.encode())
    if size > MAX_BODY_BYTES:
        return BodyProblem(
            413, "payload_too_large", f"the request body is {size} bytes; the limit is {MAX_BODY_BYTES}"
        )
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if _depth(text) > MAX_JSON_DEPTH:
        return BodyProblem(
            400, "too_deeply_nested", f"the request body nests deeper than {MAX_JSON_DEPTH} levels"
        )
    return None


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
