"""What a person does on the chat page, and stand-ins for the stream, shared by the browser tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, WebSocketRoute, expect

ANSWER = ".message.assistant"
QUESTION = "How does local mode run without an AWS account?"
StreamStandIn = Callable[[WebSocketRoute], None]


def open_chat(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    # Generous: the first page of a session waits for the server to build its services.
    page.wait_for_selector("#model-select option", state="attached", timeout=90_000)


def ask(page: Page, question: str) -> None:
    page.fill("#prompt", question)
    page.keyboard.press("Enter")


def wait_for_answer(page: Page) -> None:
    expect(page.locator(ANSWER).last).to_have_attribute("data-state", "done", timeout=60_000)


def answering(answer: str, **done: Any) -> StreamStandIn:
    """A stream that, whatever is asked, sends `answer` in two deltas, then the final message
    (with `done` overriding its fields), as `lambdas/handlers/stream.py` does."""

    def reply(socket: WebSocketRoute, request_id: str) -> None:
        middle = len(answer) // 2
        for piece in (answer[:middle], answer[middle:]):
            socket.send(json.dumps({"type": "delta", "request_id": request_id, "text": piece}))
        final = {
            "type": "done",
            "request_id": request_id,
            "conversation_id": "scripted-conversation",
            "message_id": "scripted-answer",
            "answer": answer,
            "citations": [],
            "model": "local-extractive",
            "usage": {"input_tokens": 12, "output_tokens": 20},
            "cost_usd": 0,
            "latency_ms": 5,
            "blocked": False,
            "reason": None,
            **done,
        }
        socket.send(json.dumps(final))

    return _replying(reply)


def refusing(code: str, message: str, **details: Any) -> StreamStandIn:
    """A stream that answers every question with an error event."""

    def reply(socket: WebSocketRoute, request_id: str) -> None:
        error = {"code": code, "message": message, "field": None, **details}
        socket.send(json.dumps({"type": "error", "request_id": request_id, "error": error}))

    return _replying(reply)


def _replying(reply: Callable[[WebSocketRoute, str], None]) -> StreamStandIn:
    def handle(socket: WebSocketRoute) -> None:
        socket.on_message(lambda message: reply(socket, json.loads(message)["request_id"]))

    return handle
