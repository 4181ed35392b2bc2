"""Hybrid retrieval over the embedded SQLite index, with a small deterministic embedder."""

from collections.abc import Sequence
from dataclasses import replace

import pytest

from lambdas.adapters.local.index import SqliteChunkIndex
from lambdas.core.errors import ModelThrottled, ModelUnavailable
from lambdas.core.ports import Reranked
from lambdas.core.rag.chunking import ChunkingConfig
from lambdas.core.rag.retrieval import DEFAULT_CONFIG, HybridRetriever, RetrievalConfig, index_document

# Words that mean the same thing share an axis, so vector search finds what keywords miss.
_CONCEPTS = {
    "car": 0, "automobile": 0, "vehicle": 0,
    "price": 1, "cost": 1, "bill": 1, "expensive": 1,
    "cat": 2, "kitten": 2, "feline": 2,
    "rain": 3, "weather": 3, "storm": 3,
}  # fmt: skip


class ConceptEmbedder:
    """Counts words per concept axis; enough semantics to tell topics apart."""

    model_id = "concept-embedder"
    dimensions = 5

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        vector = [0.0] * (self.dimensions - 1) + [0.01]
        for word in text.lower().replace("?", " ").replace(".", " ").split():
            if word in _CONCEPTS:
                vector[_CONCEPTS[word]] += 1.0
        return vector


FLEET = "Background on the fleet and its history.\n\nThe automobile price rose.\n\nBecause steel got dearer this year."
"""Three paragraphs too long to share a chunk of `SMALL_CHUNKS`."""
SMALL_CHUNKS = RetrievalConfig(chunking=ChunkingConfig(max_chars=60, overlap_chars=0))


@pytest.fixture
def index() -> SqliteChunkIndex:
    return SqliteChunkIndex(":memory:")


def _add(
    index: SqliteChunkIndex, owner: str, document_id: str, text: str, config: RetrievalConfig = DEFAULT_CONFIG
) -> None:
    index_document(
        text,
        document_id=document_id,
        owner=owner,
        title=document_id,
        embedder=ConceptEmbedder(),
        index=index,
        config=config,
    )


def test_one_users_documents_never_appear_in_another_users_results(index: SqliteChunkIndex) -> None:
    _add(index, "alice", "alice-notes", "The automobile price list of Alice.")
    _add(index, "bob", "bob-notes", "The automobile price list of Bob.")

    passages = HybridRetriever(ConceptEmbedder(), index).retrieve("bob", "automobile price", top_k=10)

    assert [p.document_id for p in passages] == ["bob-notes"]


def test_a_user_without_documents_gets_no_passages(index: SqliteChunkIndex) -> None:
    _add(index, "alice", "alice-notes", "The automobile price list.")

    assert HybridRetriever(ConceptEmbedder(), index).retrieve("carol", "automobile price") == []


def test_vector_search_finds_a_passage_worded_differently_from_the_question(index: SqliteChunkIndex) -> None:
    _add(index, "alice", "pets", "A kitten sleeps all day.")
    _add(index, "alice", "forecast", "Storm expected on Sunday.")

    passages = HybridRetriever(ConceptEmbedder(), index).retrieve("alice", "Is the weather bad?", top_k=1)

    assert [p.document_id for p in passages] == ["forecast"]


def test_without_an_embedder_retrieval_is_keyword_only(index: SqliteChunkIndex) -> None:
    index_document(
        "A kitten sleeps all day.",
        document_id="pets",
        owner="alice",
        title="Pets",
        embedder=None,
        index=index,
    )
    retriever = HybridRetriever(None, index)

    assert not retriever.dense
    assert [p.document_id for p in retriever.retrieve("alice", "where does the kitten sleep")] == ["pets"]


def test_stopwords_in_the_question_do_not_decide_the_ranking(index: SqliteChunkIndex) -> None:
    index_document(
        "What is it and how is it and why is it?",
        document_id="filler",
        owner="alice",
        title="f",
        embedder=None,
        index=index,
    )
    index_document(
        "Deployment uses blue green releases.",
        document_id="deploy",
        owner="alice",
        title="d",
        embedder=None,
        index=index,
    )

    passages = HybridRetriever(None, index).retrieve("alice", "What is the deployment strategy?")

    assert passages[0].document_id == "deploy"


def test_top_k_bounds_the_number_of_passages(index: SqliteChunkIndex) -> None:
    for n in range(6):
        _add(index, "alice", f"doc-{n}", f"Car number {n} has a price.")

    assert len(HybridRetriever(ConceptEmbedder(), index).retrieve("alice", "car price", top_k=3)) == 3


def test_a_blank_question_retrieves_nothing(index: SqliteChunkIndex) -> None:
    _add(index, "alice", "cars", "Car price.")

    assert HybridRetriever(ConceptEmbedder(), index).retrieve("alice", "   ") == []


def test_a_hit_is_widened_with_its_neighbouring_chunks(index: SqliteChunkIndex) -> None:
    _add(index, "alice", "fleet", FLEET, SMALL_CHUNKS)

    passage = HybridRetriever(ConceptEmbedder(), index, config=SMALL_CHUNKS).retrieve(
        "alice", "automobile price"
    )[0]

    assert passage.text == FLEET


def test_widening_stops_at_the_passage_budget(index: SqliteChunkIndex) -> None:
    config = replace(SMALL_CHUNKS, passage_chars=60)
    _add(index, "alice", "fleet", FLEET, config)

    passage = HybridRetriever(ConceptEmbedder(), index, config=config).retrieve("alice", "automobile price")[
        0
    ]

    assert "automobile price" in passage.text
    assert len(passage.text) <= 60


def test_widening_can_be_turned_off(index: SqliteChunkIndex) -> None:
    config = replace(SMALL_CHUNKS, passage_chars=0)
    _add(index, "alice", "fleet", FLEET, config)

    passage = HybridRetriever(ConceptEmbedder(), index, config=config).retrieve("alice", "automobile price")[
        0
    ]

    assert passage.text == "The automobile price rose."


def test_passages_never_repeat_a_chunk_already_in_an_earlier_passage(index: SqliteChunkIndex) -> None:
    text = "\n\n".join(f"Car {n} has a price of {n} dollars." for n in range(6))
    _add(index, "alice", "cars", text, SMALL_CHUNKS)

    passages = HybridRetriever(ConceptEmbedder(), index, config=SMALL_CHUNKS).retrieve(
        "alice", "car price", top_k=10
    )

    lines = [line for p in passages for line in p.text.split("\n\n")]
    assert sorted(lines) == sorted(text.split("\n\n"))


def test_passages_carry_title_heading_and_the_hit_chunk_id(index: SqliteChunkIndex) -> None:
    _add(
        index,
        "alice",
        "guide",
        "# Guide\n\nIntro.\n\n## Pricing\n\nThe automobile price is fixed for the year.",
        SMALL_CHUNKS,
    )

    passage = HybridRetriever(ConceptEmbedder(), index, config=SMALL_CHUNKS).retrieve(
        "alice", "automobile price"
    )[0]

    assert (passage.title, passage.heading, passage.chunk_id) == ("guide", "Guide > Pricing", "guide:00001")


def test_rank_fusion_is_available_as_configuration(index: SqliteChunkIndex) -> None:
    _add(index, "alice", "forecast", "Storm expected on Sunday.")
    config = replace(DEFAULT_CONFIG, fusion="rrf")

    passages = HybridRetriever(ConceptEmbedder(), index, config=config).retrieve("alice", "storm on Sunday")

    assert [p.document_id for p in passages] == ["forecast"]
    assert passages[0].score == pytest.approx(2 / (config.rrf_k + 1))


def _tickets_and_prices(index: SqliteChunkIndex) -> None:
    _add(index, "alice", "tickets", "Season tickets for the stadium are on sale now.")
    _add(index, "alice", "prices", "The automobile price rose sharply.")


def test_a_keyword_hit_on_an_incidental_word_does_not_outrank_a_passage_that_means_the_question(
    index: SqliteChunkIndex,
) -> None:
    _tickets_and_prices(index)

    passages = HybridRetriever(ConceptEmbedder(), index).retrieve(
        "alice", "What did a vehicle cost this season?"
    )

    assert [p.document_id for p in passages] == ["prices", "tickets"]


def test_with_coverage_weighting_off_both_searches_count_equally(index: SqliteChunkIndex) -> None:
    _tickets_and_prices(index)
    config = replace(DEFAULT_CONFIG, keyword_weight_by_coverage=False)

    passages = HybridRetriever(ConceptEmbedder(), index, config=config).retrieve(
        "alice", "What did a vehicle cost this season?"
    )

    # A tie (each is first in one search) goes to the keyword hit, seen first.
    assert [p.document_id for p in passages] == ["tickets", "prices"]


class ReversingReranker:
    """Scores texts in reverse input order, and records what it was given."""

    model_id = "test-reranker"

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[tuple[str, list[str]]] = []

    def rerank(self, query: str, texts: Sequence[str], top_n: int) -> list[Reranked]:
        self.calls.append((query, list(texts)))
        if self.error:
            raise self.error
        return [Reranked(index, float(index)) for index in reversed(range(len(texts)))][:top_n]


class RecordedRerankUsage:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []

    def record(self, owner: str, query: str, texts: Sequence[str]) -> None:
        self.calls.append((owner, query, len(texts)))


def _three_documents(index: SqliteChunkIndex) -> list[str]:
    _add(index, "alice", "first", "The automobile price list, page one.")
    _add(index, "alice", "second", "The automobile price list, page two, automobile.")
    _add(index, "alice", "third", "Bicycle repairs and automobile notes.")
    fused = HybridRetriever(ConceptEmbedder(), index).retrieve("alice", "automobile price", top_k=3)
    return [p.document_id for p in fused]


def test_a_reranker_reorders_the_fused_hits_and_its_cost_is_recorded(index: SqliteChunkIndex) -> None:
    fused = _three_documents(index)
    reranker, usage = ReversingReranker(), RecordedRerankUsage()

    passages = HybridRetriever(ConceptEmbedder(), index, reranker=reranker, rerank_usage=usage).retrieve(
        "alice", "automobile price", top_k=3
    )

    assert [p.document_id for p in passages] == list(reversed(fused))
    assert usage.calls == [("alice", "automobile price", 3)]
    assert all(text.startswith(("first", "second", "third")) for text in reranker.calls[0][1])


@pytest.mark.parametrize(
    "error", [ModelThrottled("throttled"), ModelUnavailable("no reranker in this region")]
)
def test_when_the_reranker_fails_the_fused_order_stands_and_nothing_is_billed(
    index: SqliteChunkIndex, error: Exception
) -> None:
    fused = _three_documents(index)
    usage = RecordedRerankUsage()

    passages = HybridRetriever(
        ConceptEmbedder(), index, reranker=ReversingReranker(error), rerank_usage=usage
    ).retrieve("alice", "automobile price", top_k=3)

    assert [p.document_id for p in passages] == fused
    assert usage.calls == []


def test_an_expansion_is_searched_with_the_question_and_the_reranker_judges_the_question_alone(
    index: SqliteChunkIndex,
) -> None:
    _add(index, "alice", "kettle", "Descaling removes limescale with citric acid.")
    _add(index, "alice", "garden", "How to clean garden tools before winter.")
    reranker, usage = ReversingReranker(), RecordedRerankUsage()
    asked: list[str] = []

    def expand(question: str) -> str:
        asked.append(question)
        return "descaling limescale"

    passages = HybridRetriever(None, index, reranker=reranker, rerank_usage=usage).retrieve(
        "alice", "How do I clean the kettle?", top_k=2, expand=expand
    )

    assert asked == ["How do I clean the kettle?"]
    assert {p.document_id for p in passages} == {"kettle", "garden"}  # the kettle only via the expansion
    assert [query for query, _ in reranker.calls] == ["How do I clean the kettle?"]  # one call
    assert usage.calls == [("alice", "How do I clean the kettle?", 2)]


def test_a_question_that_finds_nothing_asks_for_no_expansion_and_no_reranking(
    index: SqliteChunkIndex,
) -> None:
    reranker, usage = ReversingReranker(), RecordedRerankUsage()

    def expand(question: str) -> str:
        raise AssertionError("no expansion without documents")

    passages = HybridRetriever(ConceptEmbedder(), index, reranker=reranker, rerank_usage=usage).retrieve(
        "bob", "automobile price", top_k=3, expand=expand
    )

    assert passages == []
    assert reranker.calls == []
    assert usage.calls == []  # nothing billed for a call never made


def test_an_empty_expansion_leaves_the_questions_own_hits(index: SqliteChunkIndex) -> None:
    fused = _three_documents(index)

    passages = HybridRetriever(ConceptEmbedder(), index).retrieve(
        "alice", "automobile price", top_k=3, expand=lambda question: "  "
    )

    assert [p.document_id for p in passages] == fused
