"""Test doubles for the ports: deterministic, in memory, no network."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from lambdas.core.errors import ModelUnavailable
from lambdas.core.models import (
    ModelRequest,
    ModelResponse,
    Passage,
    StreamEnd,
    StreamEvent,
    TextDelta,
    Usage,
)
from lambdas.core.ports import QueryExpansion


@dataclass
class ScriptedModel:
    """Answers with `answer` (or echoes the question) and records every request it gets."""

    answer: str | None = None
    usage: Usage | None = field(default_factory=lambda: Usage(input_tokens=11, output_tokens=7))
    fail_after_deltas: int | None = None
    requests: list[ModelRequest] = field(default_factory=list)

    def _text(self, request: ModelRequest) -> str:
        return self.answer if self.answer is not None else f"You said: {request.question}"

    def complete(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        return ModelResponse(text=self._text(request), model_id=request.model_id, usage=self.usage)

    def stream(self, request: ModelRequest) -> Iterator[StreamEvent]:
        self.requests.append(request)
        for index, word in enumerate(self._text(request).split(" ")):
            if self.fail_after_deltas is not None and index >= self.fail_after_deltas:
                raise ModelUnavailable("model stream broke")
            yield TextDelta(word if index == 0 else f" {word}")
        yield StreamEnd(usage=self.usage)


class FixedClock:
    """A clock that advances 1 ms per reading, so timestamps are unique and ordered."""

    def __init__(self) -> None:
        self._ms = 1_700_000_000_000

    def advance(self, seconds: float) -> None:
        self._ms += int(seconds * 1000)

    def now_iso(self) -> str:
        from datetime import UTC, datetime

        self._ms += 1
        return (
            datetime.fromtimestamp(self._ms / 1000, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )

    def monotonic_ms(self) -> float:
        self._ms += 1
        return float(self._ms)


class SequentialIds:
    def __init__(self) -> None:
        self._n = 0

    def new_id(self) -> str:
        self._n += 1
        return f"id{self._n:06d}"


class StaticRetriever:
    """Implements the Retriever port: the first `top_k` of the same passages, whatever is asked
    (none by default); a query expansion changes nothing."""

    def __init__(self, passages: Sequence[Passage] = ()) -> None:
        self.passages = list(passages)

    def retrieve(
        self, owner: str, query: str, top_k: int, *, expand: QueryExpansion | None = None
    ) -> list[Passage]:
        return self.passages[:top_k]
