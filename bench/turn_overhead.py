"""Warm per-turn overhead of our own code: API Gateway event -> handler -> domain -> response,
with an instant fake model, a fixed set of retrieved passages and the in-memory store (no network,
no moto, no embedding model: those are measured by the retrieval benchmark).

Baseline, named and run in the same process: the same Powertools resolver serving
GET /v1/health, i.e. the framework's own cost per request.
"""

from __future__ import annotations

import contextlib
import io
import json
import statistics
import time
from collections.abc import Iterator, Sequence
from typing import Any

from lambdas.adapters.memory import InMemoryConversationStore
from lambdas.core.models import ModelRequest, ModelResponse, Passage, StreamEvent, Usage
from lambdas.core.ports import QueryExpansion
from lambdas.settings import Settings
from lambdas.wiring import build_services, use_services
from local.lambda_bridge import LambdaHandler, LocalLambdaContext

TURNS = 1000
TURNS_PER_CONVERSATION = 20


class InstantModel:
    def complete(self, request: ModelRequest) -> ModelResponse:
        return ModelResponse(text="An answer citing [1].", model_id=request.model_id, usage=Usage(120, 30))

    def stream(self, request: ModelRequest) -> Iterator[StreamEvent]:
        raise NotImplementedError("the benchmark measures complete() turns")


class FixedPassages:
    """Five passages of a typical size, as hybrid retrieval would return them."""

    def __init__(self) -> None:
        text = "Lambda bills per request and per GB-second of duration. " * 14
        self._passages = [
            Passage(
                document_id=f"doc-{n}", title=f"Guide {n}", text=text, score=1 / n, chunk_id=f"doc-{n}:00000"
            )
            for n in range(1, 6)
        ]

    def retrieve(
        self, owner: str, query: str, top_k: int, *, expand: QueryExpansion | None = None
    ) -> Sequence[Passage]:
        """The same passages whatever is asked, so an expansion of the query changes nothing."""
        return self._passages[:top_k]


def _event(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "requestId": "bench",
            "stage": "prod",
            "authorizer": {"claims": {"sub": "bench-user"}},
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run() -> dict[str, float]:
    from lambdas.handlers.api import handler as api_handler

    handler: LambdaHandler = api_handler

    use_services(
        build_services(
            Settings(), store=InMemoryConversationStore(), model=InstantModel(), retriever=FixedPassages()
        )
    )
    context = LocalLambdaContext("bench")
    try:
        turn_ms: list[float] = []
        conversation_id = None
        for turn in range(TURNS):
            body: dict[str, Any] = {"message": f"question number {turn} about the documents"}
            if conversation_id and turn % TURNS_PER_CONVERSATION:
                body["conversation_id"] = conversation_id
            started = time.perf_counter()
            # Each turn still writes its EMF metrics line, as in Lambda; the bench's output stays readable.
            with contextlib.redirect_stdout(io.StringIO()):
                response = handler(_event("POST", "/v1/chat", body), context)
            turn_ms.append((time.perf_counter() - started) * 1000)
            conversation_id = json.loads(response["body"])["conversation_id"]

        baseline_ms: list[float] = []
        for _ in range(TURNS):
            started = time.perf_counter()
            handler(_event("GET", "/v1/health"), context)
            baseline_ms.append((time.perf_counter() - started) * 1000)
    finally:
        use_services(None)

    p50, p99 = statistics.median(turn_ms), _percentile(turn_ms, 0.99)
    base_p50 = statistics.median(baseline_ms)
    print(
        f"turn overhead over {TURNS} turns: p50 {p50:.3f} ms, p99 {p99:.3f} ms (target p50 <= 2 ms); "
        f"baseline GET /v1/health p50 {base_p50:.3f} ms, ratio {p50 / base_p50:.2f}"
    )
    return {"turn_overhead_ms_p50": round(p50, 3), "turn_overhead_ms_p99": round(p99, 3)}
