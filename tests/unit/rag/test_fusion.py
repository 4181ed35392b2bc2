"""Fusion of keyword and vector rankings into one."""

import pytest

from lambdas.core.models import Chunk, ScoredChunk
from lambdas.core.rag.fusion import min_max_fusion, reciprocal_rank_fusion


def _scored(name: str, score: float) -> ScoredChunk:
    chunk = Chunk(
        chunk_id=name, document_id="doc", owner="alice", title="Doc", text=name, start=0, end=len(name)
    )
    return ScoredChunk(chunk, score)


def _ids(ranking: list[ScoredChunk]) -> list[str]:
    return [scored.chunk.chunk_id for scored in ranking]


def test_rrf_ranks_a_chunk_found_by_both_searches_above_one_found_first_by_only_one() -> None:
    keyword = [_scored("only-keyword", 9.0), _scored("both", 5.0)]
    vector = [_scored("only-vector", 0.9), _scored("both", 0.8)]

    assert _ids(reciprocal_rank_fusion([keyword, vector]))[0] == "both"


def test_rrf_scores_are_the_sum_of_reciprocal_ranks() -> None:
    fused = reciprocal_rank_fusion([[_scored("a", 1.0), _scored("b", 0.5)], [_scored("b", 0.7)]], k=10)

    assert {s.chunk.chunk_id: s.score for s in fused} == pytest.approx({"a": 1 / 11, "b": 1 / 12 + 1 / 11})


def test_rrf_weights_favour_the_weighted_search() -> None:
    keyword = [_scored("k", 1.0)]
    vector = [_scored("v", 1.0)]

    assert _ids(reciprocal_rank_fusion([keyword, vector], weights=[1.0, 2.0]))[0] == "v"


def test_fusion_refuses_a_weight_count_that_differs_from_the_ranking_count() -> None:
    with pytest.raises(ValueError, match="one weight per ranking"):
        min_max_fusion([[_scored("a", 1.0)]], weights=[0.5, 0.5])


def test_min_max_rescales_each_search_to_the_unit_interval_before_summing() -> None:
    keyword = [_scored("a", 12.0), _scored("b", 7.0), _scored("c", 2.0)]
    vector = [_scored("c", 0.9), _scored("a", 0.5)]

    fused = {s.chunk.chunk_id: s.score for s in min_max_fusion([keyword, vector])}

    assert fused == pytest.approx({"a": 1.0 + 0.0, "b": 0.5, "c": 0.0 + 1.0})


def test_min_max_keeps_a_clear_lead_of_one_search_when_the_other_missed_the_chunk() -> None:
    # "lead" is far ahead in vector search and absent from keyword search; "middling" is
    # middling in both. Rank fusion would prefer "middling"; score fusion keeps the lead.
    keyword = [_scored("top-keyword", 10.0), _scored("middling", 6.0), _scored("low", 1.0)]
    vector = [_scored("lead", 0.9), _scored("middling", 0.45), _scored("low", 0.3)]

    by_score = _ids(min_max_fusion([keyword, vector]))
    by_rank = _ids(reciprocal_rank_fusion([keyword, vector]))

    assert by_score.index("lead") < by_score.index("middling")
    assert by_rank.index("middling") < by_rank.index("lead")


def test_min_max_gives_a_lone_result_the_full_score() -> None:
    assert min_max_fusion([[_scored("only", 3.0)], []])[0].score == 1.0


def test_fusion_of_one_ranking_keeps_its_order() -> None:
    ranking = [_scored("a", 3.0), _scored("b", 2.0), _scored("c", 1.0)]

    assert _ids(min_max_fusion([ranking])) == ["a", "b", "c"]
    assert _ids(reciprocal_rank_fusion([ranking])) == ["a", "b", "c"]
