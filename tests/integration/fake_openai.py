"""A minimal OpenAI-compatible chat server on 127.0.0.1, scripted per test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ScriptedAnswer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    hold: bool = False
    """Never answer, holding the connection until the test ends: lets a client time out."""


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeOpenAIServer:
    answers: list[ScriptedAnswer]
    base_url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)


def completion(text: str, *, usage: bool = True, finish_reason: str = "stop") -> dict[str, Any]:
    """A chat completion as the OpenAI API returns it: 31 prompt and 6 completion tokens."""
    answer: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "llama3.2",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish_reason}
        ],
    }
    if usage:
        answer["usage"] = {"prompt_tokens": 31, "completion_tokens": 6, "total_tokens": 37}
    return answer


def json_answer(payload: dict[str, Any], status: int = 200) -> ScriptedAnswer:
    return ScriptedAnswer(status=status, body=json.dumps(payload).encode())


def sse_answer(chunks: Sequence[dict[str, Any]], *, done: bool = True) -> ScriptedAnswer:
    events = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks]
    if done:
        events.append("data: [DONE]\n\n")
    return ScriptedAnswer(body="".join(events).encode(), content_type="text/event-stream")


@contextmanager
def fake_openai_server(*answers: ScriptedAnswer) -> Iterator[FakeOpenAIServer]:
    fake = FakeOpenAIServer(list(answers))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            fake.requests.append(RecordedRequest(self.path, dict(self.headers.items()), body))
            answer = fake.answers.pop(0)
            if answer.hold:
                fake.released.wait(timeout=10)
                return
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: the test output stays readable."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval keeps shutdown, and so each test, quick.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield fake
    finally:
        fake.released.set()
        server.shutdown()
        server.server_close()
        thread.join()
