"""The composition root picks the cloud chunk index and Titan embedder the settings name."""

from __future__ import annotations

import pytest

from lambdas.adapters.bedrock_embeddings import TitanEmbedder
from lambdas.adapters.opensearch import OpenSearchChunkIndex
from lambdas.adapters.s3vectors import S3VectorsChunkIndex
from lambdas.settings import Settings
from lambdas.wiring import build_chunk_index, build_embedder


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Credentials from the environment: botocore never looks further (no metadata endpoint).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_opensearch_backend_uses_the_collection_index() -> None:
    settings = Settings(
        vector_backend="opensearch",
        opensearch_endpoint="https://abc123.eu-west-1.aoss.amazonaws.com",
        aws_region="eu-west-1",
    )

    assert isinstance(build_chunk_index(settings), OpenSearchChunkIndex)


def test_opensearch_backend_without_an_endpoint_is_refused() -> None:
    with pytest.raises(ValueError, match="OPENSEARCH_ENDPOINT"):
        build_chunk_index(Settings(vector_backend="opensearch"))


def test_s3vectors_backend_uses_the_vector_bucket_index() -> None:
    settings = Settings(vector_backend="s3vectors", s3vectors_bucket="vectors-bucket")

    assert isinstance(build_chunk_index(settings), S3VectorsChunkIndex)


def test_s3vectors_backend_without_a_bucket_is_refused() -> None:
    with pytest.raises(ValueError, match="S3VECTORS_BUCKET"):
        build_chunk_index(Settings(vector_backend="s3vectors"))


@pytest.mark.parametrize("backend", ["opensearch", "s3vectors"])
def test_cloud_backends_embed_with_the_configured_titan_model(backend: str) -> None:
    settings = Settings(vector_backend=backend, embedding_dimensions=512)

    embedder = build_embedder(settings)

    assert isinstance(embedder, TitanEmbedder)
    assert (embedder.model_id, embedder.dimensions) == ("amazon.titan-embed-text-v2:0", 512)
