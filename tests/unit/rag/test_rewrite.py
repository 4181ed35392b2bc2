"""Query rewriting: the chat model's answer-like passage joins the question in retrieval, its
usage is recorded, and a failing model or a caller without documents costs nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from lambdas.core.errors import ModelUnavailable
from lambdas.core.models import ModelRequest, ModelResponse, Passage, Usage
from lambdas.core.ports import QueryExpansion
from lambdas.core.pricing import load_price_table
from lambdas.core.rag.rewrite import RewritingRetriever, UsageStoreRewriteUsage
from tests.support.fakes import ScriptedModel

HAIKU = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


@dataclass
class RecordingRetriever:
    """Finds one passage for any query when the owner has documents, and then asks for the
    expansion as HybridRetriever does; records what it would search."""

    has_documents: bool = True
    queries: list[str] = field(default_factory=list)

    def retrieve(
        self, owner: str, query: str, top_k: int, *, expand: QueryExpansion | None = None
    ) -> Sequence[Passage]:
        self.queries.append(query)
        if not self.has_documents:
            return []
        expansion = expand(query) if expand else ""
        if expansion:
            self.queries.append(f"{query} {expansion}")
        return [Passage("doc", "Doc", "text", 1.0)]


@dataclass
class RecordedUsage:
    calls: list[tuple[str, Usage]] = field(default_factory=list)

    def record(self, owner: str, usage: Usage) -> None:
        self.calls.append((owner, usage))


class FailingModel(ScriptedModel):
    def complete(self, request: ModelRequest) -> ModelResponse:
        raise ModelUnavailable("model down")


def test_retrieval_searches_with_the_question_and_the_models_passage_and_counts_its_usage() -> None:
    inner, usage = RecordingRetriever(), RecordedUsage()
    model = ScriptedModel(answer="Descaling removes limescale with citric acid.", usage=Usage(30, 12))

    RewritingRetriever(inner, model, HAIKU, usage).retrieve("alice", "How do I clean the kettle?", 5)

    assert inner.queries[-1] == "How do I clean the kettle? Descaling removes limescale with citric acid."
    assert usage.calls == [("alice", Usage(30, 12))]
    assert model.requests[0].model_id == HAIKU
    assert model.requests[0].messages[0].content == "How do I clean the kettle?"


def test_a_failing_model_leaves_the_question_alone_and_records_nothing() -> None:
    inner, usage = RecordingRetriever(), RecordedUsage()

    passages = RewritingRetriever(inner, FailingModel(), HAIKU, usage).retrieve("alice", "kettle?", 5)

    assert inner.queries == ["kettle?"]
    assert [p.document_id for p in passages] == ["doc"]
    assert usage.calls == []


def test_a_caller_without_documents_costs_no_model_call() -> None:
    model, usage = ScriptedModel(answer="anything"), RecordedUsage()

    assert (
        RewritingRetriever(RecordingRetriever(has_documents=False), model, HAIKU, usage).retrieve(
            "bob", "q", 5
        )
        == []
    )
    assert model.requests == []
    assert usage.calls == []


def test_rewrite_usage_is_priced_at_the_models_input_and_output_rates() -> None:
    @dataclass
    class Store:
        added: list[dict[str, object]] = field(default_factory=list)

        def add_embedding_usage(self, owner: str, **fields: object) -> None:
            self.added.append({"owner": owner, **fields})

    class Clock:
        def now_iso(self) -> str:
            return "2026-11-20T10:00:00.000Z"

        def monotonic_ms(self) -> float:
            return 0.0

    store = Store()
    haiku = load_price_table().model(HAIKU)

    UsageStoreRewriteUsage(store, Clock(), haiku).record("alice", Usage(1000, 100))  # type: ignore[arg-type]

    assert store.added == [
        {
            "owner": "alice",
            "day": "2026-11-20",
            "model": HAIKU,
            "input_tokens": 1100,
            "cost_usd": round(1000 / 1000 * 0.0008 + 100 / 1000 * 0.004, 8),
            "kind": "rewrite",
        }
    ]


def test_with_a_second_stage_each_question_is_reranked_once_and_as_asked() -> None:
    from lambdas.adapters.local.index import SqliteChunkIndex
    from lambdas.core.ports import Reranked
    from lambdas.core.rag.retrieval import HybridRetriever, index_document

    index = SqliteChunkIndex(":memory:")
    for document_id, text in [("kettle", "Descaling removes limescale."), ("tools", "Clean garden tools.")]:
        index_document(
            text, document_id=document_id, owner="alice", title=document_id, embedder=None, index=index
        )
    judged: list[str] = []

    class FirstStageOrder:
        model_id = "first-stage-order"

        def rerank(self, query: str, texts: Sequence[str], top_n: int) -> list[Reranked]:
            judged.append(query)
            return [Reranked(i, 1.0 / (i + 1)) for i in range(len(texts))][:top_n]

    model = ScriptedModel(answer="Descaling removes limescale.", usage=Usage(30, 12))
    retriever = HybridRetriever(None, index, reranker=FirstStageOrder())

    passages = RewritingRetriever(retriever, model, HAIKU, RecordedUsage()).retrieve(
        "alice", "Clean the kettle?", 5
    )

    assert judged == ["Clean the kettle?"]
    assert {p.document_id for p in passages} == {"kettle", "tools"}


def test_an_expansion_from_the_caller_is_refused_rather_than_ignored() -> None:
    retriever = RewritingRetriever(RecordingRetriever(), ScriptedModel(answer="x"), HAIKU, RecordedUsage())

    with pytest.raises(TypeError, match="expands queries itself"):
        retriever.retrieve("alice", "q", 5, expand=lambda question: "other")
