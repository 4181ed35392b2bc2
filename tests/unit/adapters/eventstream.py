"""Bedrock ConverseStream answers as real HTTP bytes, for botocore's own parser.

Stubber validates responses against the output shape and refuses an `EventStream` object
for `stream`, so streamed answers are served one layer lower: a `before-send` handler
returns the encoded event-stream body, and botocore parses it exactly as it would a
response from AWS. The handler also records each request it intercepts.
"""

from __future__ import annotations

import json
import struct
from binascii import crc32
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import BotoCoreError

_STRING_HEADER = 7
_PRELUDE_BYTES = 12
_CRC_BYTES = 4


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One message in the AWS event-stream binary format (string headers only)."""
    encoded_headers = b"".join(_encode_header(name, value) for name, value in headers.items())
    total = _PRELUDE_BYTES + len(encoded_headers) + len(payload) + _CRC_BYTES
    lengths = struct.pack("!II", total, len(encoded_headers))
    prelude = lengths + struct.pack("!I", crc32(lengths) & 0xFFFFFFFF)
    message = prelude + encoded_headers + payload
    return message + struct.pack("!I", crc32(message) & 0xFFFFFFFF)


def event(event_type: str, body: dict[str, Any]) -> bytes:
    return encode_message(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
        json.dumps(body).encode(),
    )


def exception(exception_type: str, message: str) -> bytes:
    return encode_message(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        json.dumps({"message": message}).encode(),
    )


def text_answer(
    deltas: Sequence[str], *, stop_reason: str = "end_turn", input_tokens: int = 10, output_tokens: int = 5
) -> list[bytes]:
    """The events Bedrock sends for a plain text answer, in the order it sends them."""
    return [
        event("messageStart", {"role": "assistant"}),
        *(event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": d}}) for d in deltas),
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": stop_reason}),
        event(
            "metadata",
            {
                "usage": {
                    "inputTokens": input_tokens,
                    "outputTokens": output_tokens,
                    "totalTokens": input_tokens + output_tokens,
                },
                "metrics": {"latencyMs": 120},
            },
        ),
    ]


class _RawBody:
    """The urllib3-like body botocore's EventStream reads from: one chunk per message."""

    def __init__(self, messages: Sequence[bytes]) -> None:
        self._messages = messages
        self.closed = False

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield from self._messages

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeBedrockEndpoint:
    """Answers each intercepted Bedrock call with the next scripted event stream or error."""

    answers: list[Sequence[bytes] | BotoCoreError]
    requests: list[AWSPreparedRequest] = field(default_factory=list)
    bodies: list[_RawBody] = field(default_factory=list)

    def install(self, client: Any) -> None:
        client.meta.events.register("before-send.bedrock-runtime", self._send)

    def request_json(self, index: int = 0) -> dict[str, Any]:
        body = self.requests[index].body
        assert isinstance(body, bytes)
        parsed: dict[str, Any] = json.loads(body)
        return parsed

    def _send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, BotoCoreError):
            raise answer
        body = _RawBody(answer)
        self.bodies.append(body)
        headers = {"content-type": "application/vnd.amazon.eventstream"}
        return AWSResponse(request.url, 200, headers, body)


def _encode_header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack("!B", len(raw_name))
        + raw_name
        + struct.pack("!BH", _STRING_HEADER, len(raw_value))
        + raw_value
    )
