"""Keyword queries keep the words that carry the topic."""

import pytest

from lambdas.core.rag.text import keyword_query, query_coverage


def test_stopwords_and_question_words_are_dropped() -> None:
    assert keyword_query("How do I reduce the cost of training a model?") == "reduce cost training model"


def test_words_are_lowercased_and_deduplicated_in_first_seen_order() -> None:
    assert keyword_query("Lambda timeouts: LAMBDA cold starts") == "lambda timeouts cold starts"


def test_a_query_made_only_of_stopwords_keeps_them() -> None:
    assert keyword_query("What is it?") == "what is it"


def test_punctuation_never_reaches_the_query() -> None:
    assert keyword_query('"S3" (buckets) -- OR * NEAR') == "s3 buckets near"


def test_coverage_is_the_share_of_the_questions_content_words_a_text_contains() -> None:
    assert query_coverage("How do I reduce the cost of training?", "Training is where the cost goes.") == (
        pytest.approx(2 / 3)
    )


def test_coverage_matches_inflected_forms_of_a_word() -> None:
    assert query_coverage("deploying models", "Deployment of a model") == 1.0


def test_coverage_ignores_stopwords_and_case() -> None:
    assert query_coverage("What is THE answer?", "the answer") == 1.0


def test_a_text_sharing_no_word_with_the_question_covers_nothing() -> None:
    assert query_coverage("graphics card price", "GPU cost per month") == 0.0
