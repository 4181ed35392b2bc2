"""The local sentence-group reranker, with a small word-counting embedder."""

from __future__ import annotations

import math
from collections.abc import Sequence

from lambdas.adapters.local.sentence_reranker import SentenceGroupReranker
from lambdas.core.ports import Reranker

_AXES = ("alpha", "beta", "gamma", "delta")


class WordEmbedder:
    """Unit vector of counts of a few words; records every document text it embeds."""

    model_id = "word-embedder"
    dimensions = len(_AXES)

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        words = text.lower().replace(".", " ").split()
        counts = [float(words.count(axis)) for axis in _AXES]
        norm = math.sqrt(sum(c * c for c in counts)) or 1.0
        return [c / norm for c in counts]


def _reranker(embedder: WordEmbedder | None = None) -> SentenceGroupReranker:
    # Groups of one sentence each: the short sentences below never fit two to a group.
    return SentenceGroupReranker(embedder or WordEmbedder(), group_chars=20)


def test_it_implements_the_reranker_port() -> None:
    reranker: Reranker = _reranker()

    assert reranker.model_id == "sentence-groups/word-embedder"


def test_a_candidate_with_one_matching_sentence_rises_above_one_matching_only_on_average() -> None:
    on_average = "Alpha beta. Alpha beta. Alpha beta."  # each sentence half about alpha
    one_sentence = "Alpha. Gamma gamma gamma. Gamma gamma gamma."  # one sentence wholly about alpha
    near = "Alpha alpha delta."
    texts = [on_average, one_sentence, near, near]

    ranked = _reranker().rerank("alpha", texts, top_n=4)

    assert [item.index for item in ranked][:2] == [1, 0]


def test_equal_candidates_keep_the_first_stage_order() -> None:
    ranked = _reranker().rerank("alpha", ["Alpha beta."] * 3, top_n=3)

    assert [item.index for item in ranked] == [0, 1, 2]


def test_scores_descend_and_top_n_limits_the_result_to_distinct_input_positions() -> None:
    texts = ["Gamma.", "Beta.", "Alpha.", "Delta."]

    ranked = _reranker().rerank("alpha", texts, top_n=2)

    assert len(ranked) == 2
    assert len({item.index for item in ranked}) == 2
    assert all(0 <= item.index < len(texts) for item in ranked)
    assert ranked[0].score >= ranked[1].score


def test_no_texts_give_no_results_and_embed_nothing() -> None:
    embedder = WordEmbedder()

    assert _reranker(embedder).rerank("alpha", [], top_n=5) == []
    assert embedder.embedded == []


def test_blank_texts_keep_the_first_stage_order_without_embedding() -> None:
    embedder = WordEmbedder()

    ranked = _reranker(embedder).rerank("alpha", ["", "  \n "], top_n=2)

    assert [item.index for item in ranked] == [0, 1]
    assert embedder.embedded == []


def test_a_blank_text_yields_its_place_to_a_matching_one() -> None:
    ranked = _reranker().rerank("alpha", ["", "Alpha.", "Gamma."], top_n=3)

    assert ranked[0].index == 1


def test_each_sentence_group_is_embedded_with_the_title_and_heading_line() -> None:
    embedder = WordEmbedder()

    _reranker(embedder).rerank("alpha", ["Guide > Setup\nFirst step. Second step."], top_n=1)

    assert embedder.embedded == ["Guide > Setup\nFirst step.", "Guide > Setup\nSecond step."]
