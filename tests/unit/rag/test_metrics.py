"""Retrieval metrics as the evaluation set defines them."""

import math

import pytest

from lambdas.core.rag.metrics import (
    first_relevant_rank,
    is_relevant,
    ndcg_at,
    normalise,
    recall_at,
    reciprocal_rank_at,
)


def test_normalise_lowercases_drops_markup_characters_and_collapses_whitespace() -> None:
    assert normalise("## **Amazon  Bedrock**\n`invoke_model`\t ok ") == "amazon bedrock invokemodel ok"


def test_a_passage_is_relevant_when_it_contains_a_phrase_after_normalising_both() -> None:
    assert is_relevant("Use **Spot instances**\n and checkpoints", ["spot   INSTANCES and"])


def test_a_passage_without_any_phrase_is_not_relevant() -> None:
    assert not is_relevant("Use on-demand instances", ["spot instances", "checkpoints"])


def test_first_relevant_rank_is_one_based_and_limited_to_the_depth() -> None:
    passages = ["nothing", "still nothing", "the answer"]

    assert first_relevant_rank(passages, ["answer"], depth=3) == 3
    assert first_relevant_rank(passages, ["answer"], depth=2) is None


@pytest.mark.parametrize(("rank", "expected"), [(1, 1.0), (5, 1.0), (6, 0.0), (None, 0.0)])
def test_recall_at_5_counts_a_hit_within_the_first_five(rank: int | None, expected: float) -> None:
    assert recall_at(rank, 5) == expected


@pytest.mark.parametrize(("rank", "expected"), [(1, 1.0), (4, 0.25), (10, 0.1), (11, 0.0), (None, 0.0)])
def test_reciprocal_rank_at_10(rank: int | None, expected: float) -> None:
    assert reciprocal_rank_at(rank, 10) == pytest.approx(expected)


@pytest.mark.parametrize(("rank", "expected"), [(1, 1.0), (3, 0.5), (7, 1 / math.log2(8)), (11, 0.0)])
def test_ndcg_at_10_with_one_ideal_item_is_the_discount_of_the_first_hit(rank: int, expected: float) -> None:
    assert ndcg_at(rank, 10) == pytest.approx(expected)
