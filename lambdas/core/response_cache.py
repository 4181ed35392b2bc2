"""Reuse a recent answer when the same user sends the same prompt again (off unless configured).

The key is the whole model request of one owner: model, system prompt, the conversation
history in the window, the question with its retrieved passages, temperature and length
limit. A different conversation state, a re-ingested document or another setting is a
different key. A reused answer costs no tokens, so it reports zero usage. Entries live in
the Lambda container's memory: small, bounded, and gone with the container.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lambdas.core.models import ModelRequest, ModelResponse, StreamEnd, StreamEvent, TextDelta, Usage
from lambdas.core.ports import LanguageModel

NO_TOKENS = Usage(input_tokens=0, output_tokens=0)


@dataclass(frozen=True, slots=True)
class _Entry:
    response: ModelResponse
    expires_at: float


class CachedModel:
    """A LanguageModel that answers a repeated request from memory within `ttl_seconds`."""

    def __init__(
        self,
        model: LanguageModel,
        *,
        ttl_seconds: float,
        max_entries: int = 256,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._model = model
        self._ttl_seconds = ttl_seconds
        self._max_entries = max_entries
        self._now = now
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def complete(self, request: ModelRequest) -> ModelResponse:
        key = _key(request)
        cached = self._get(key)
        if cached:
            return ModelResponse(cached.text, cached.model_id, NO_TOKENS, cached.stop_reason)
        response = self._model.complete(request)
        self._put(key, response)
        return response

    def stream(self, request: ModelRequest) -> Iterator[StreamEvent]:
        key = _key(request)
        cached = self._get(key)
        if cached:
            yield TextDelta(cached.text)
            yield StreamEnd(NO_TOKENS, cached.stop_reason, cached.model_id)
            return
        parts: list[str] = []
        for event in self._model.stream(request):
            if isinstance(event, StreamEnd):
                # Only a stream read to its end is kept: a stopped one is not the whole answer.
                text = "".join(parts)
                self._put(key, ModelResponse(text, event.model_id, event.usage, event.stop_reason))
            else:
                parts.append(event.text)
            yield event

    def _get(self, key: str) -> ModelResponse | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires_at <= self._now():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry.response

    def _put(self, key: str, response: ModelResponse) -> None:
        with self._lock:
            self._entries[key] = _Entry(response, self._now() + self._ttl_seconds)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)


def _key(request: ModelRequest) -> str:
    """A digest of everything that shapes the answer, so keys stay small whatever the history."""
    shape = {
        "owner": request.owner,
        "model_id": request.model_id,
        "system": request.system,
        # The last message is the question with its passages rendered in.
        "messages": [(message.role, message.content) for message in request.messages],
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()
