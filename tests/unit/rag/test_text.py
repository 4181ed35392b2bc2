"""Keyword queries keep the words that carry the topic."""

from lambdas.core.rag.text import keyword_query


def test_stopwords_and_question_words_are_dropped() -> None:
    assert keyword_query("How do I reduce the cost of training a model?") == "reduce cost training model"


def test_words_are_lowercased_and_deduplicated_in_first_seen_order() -> None:
    assert keyword_query("Lambda timeouts: LAMBDA cold starts") == "lambda timeouts cold starts"


def test_a_query_made_only_of_stopwords_keeps_them() -> None:
    assert keyword_query("What is it?") == "what is it"


def test_punctuation_never_reaches_the_query() -> None:
    assert keyword_query('"S3" (buckets) -- OR * NEAR') == "s3 buckets near"
