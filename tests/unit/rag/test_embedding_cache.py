"""The disk cache of document embeddings."""

from collections.abc import Sequence
from pathlib import Path

import pytest

from lambdas.adapters.local.embedding_cache import CachedEmbedder


class CountingEmbedder:
    model_id = "org/model-v1"
    dimensions = 2

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return [[float(len(text)), 1.0] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        self.embedded.append(text)
        return [float(len(text)), 1.0]


def test_a_text_embedded_once_is_read_back_from_disk(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    CachedEmbedder(inner, tmp_path).embed_documents(["alpha", "beta"])

    vectors = CachedEmbedder(inner, tmp_path).embed_documents(["beta", "gamma", "alpha"])

    assert vectors == [[4.0, 1.0], [5.0, 1.0], [5.0, 1.0]]
    assert inner.embedded == ["alpha", "beta", "gamma"]


def test_a_corrupt_cache_entry_is_recomputed(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    CachedEmbedder(inner, tmp_path).embed_documents(["alpha"])
    for entry in tmp_path.rglob("*.f32"):
        entry.write_bytes(b"\x00")

    assert CachedEmbedder(inner, tmp_path).embed_documents(["alpha"]) == [[5.0, 1.0]]
    assert inner.embedded == ["alpha", "alpha"]


def test_entries_are_kept_apart_per_model(tmp_path: Path) -> None:
    first, second = CountingEmbedder(), CountingEmbedder()
    second.model_id = "org/model-v2"
    CachedEmbedder(first, tmp_path).embed_documents(["alpha"])

    CachedEmbedder(second, tmp_path).embed_documents(["alpha"])

    assert second.embedded == ["alpha"]


def test_queries_are_never_cached(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path)

    cached.embed_query("question")
    cached.embed_query("question")

    assert inner.embedded == ["question", "question"]
    assert not list(tmp_path.rglob("*.f32"))


def test_an_unwritable_cache_still_returns_vectors(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")

    assert CachedEmbedder(CountingEmbedder(), blocker).embed_documents(["alpha"]) == [[5.0, 1.0]]
    assert "cache write failed" in caplog.text
