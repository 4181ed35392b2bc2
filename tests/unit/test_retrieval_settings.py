"""Chunking and retrieval follow the settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lambdas.settings import Settings
from lambdas.wiring import RagServices


def test_chunking_strategy_sizes_and_top_k_come_from_the_settings() -> None:
    settings = Settings(
        chunking_strategy="fixed", chunk_max_chars=400, chunk_overlap_chars=50, retrieval_top_k=3
    )

    config = RagServices(settings).retrieval_config

    assert (config.chunking.strategy, config.chunking.max_chars, config.chunking.overlap_chars) == (
        "fixed",
        400,
        50,
    )
    assert config.top_k == 3


def test_default_settings_give_the_measured_default_configuration() -> None:
    from lambdas.core.rag.retrieval import DEFAULT_CONFIG

    assert RagServices(Settings()).retrieval_config == DEFAULT_CONFIG


def test_with_query_rewriting_by_a_generative_model_fusion_keeps_equal_weights() -> None:
    rewriting = Settings(llm_provider="bedrock", query_rewriting=True)
    not_rewriting = Settings(llm_provider="bedrock", query_rewriting=False)

    assert not RagServices(rewriting).retrieval_config.keyword_weight_by_coverage
    assert RagServices(not_rewriting).retrieval_config.keyword_weight_by_coverage


def test_the_offline_answerer_never_rewrites_so_fusion_weighs_keywords_by_coverage() -> None:
    assert RagServices(Settings(llm_provider="extractive")).retrieval_config.keyword_weight_by_coverage


def test_an_overlap_of_half_the_chunk_or_more_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="CHUNK_OVERLAP_CHARS"):
        Settings(chunk_max_chars=400, chunk_overlap_chars=200)
