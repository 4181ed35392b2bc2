"""S3VectorsChunkIndex against a real s3vectors client stubbed with botocore's Stubber
(request and response shapes validated against the service model)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from lambdas.adapters.s3vectors import S3VectorsChunkIndex
from lambdas.core.models import Chunk

OWNER = "user-a"
DOC = "doc-1"
TARGET = {"vectorBucketName": "chunks-bucket", "indexName": "chunks"}


def chunk(ordinal: int, *, heading_path: tuple[str, ...] = ("Pricing", "Lambda")) -> Chunk:
    text = f"Paragraph {ordinal} about billing."
    return Chunk(
        f"{DOC}:{ordinal:05d}",
        DOC,
        OWNER,
        "guide.md",
        text,
        ordinal * 50,
        ordinal * 50 + len(text),
        heading_path,
    )


def metadata(item: Chunk, *, owner: str = OWNER) -> dict[str, Any]:
    return {
        "owner": owner,
        "document_id": item.document_id,
        "title": item.title,
        "heading": "\n".join(item.heading_path),
        "text": item.text,
        "start": item.start,
        "end": item.end,
    }


def stored(item: Chunk, *, owner: str = OWNER) -> dict[str, Any]:
    return {"key": item.chunk_id, "metadata": metadata(item, owner=owner)}


def keys(first: int, count: int = 100) -> list[str]:
    return [f"{DOC}:{n:05d}" for n in range(first, first + count)]


@pytest.fixture
def client() -> Any:
    return boto3.client(
        "s3vectors", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


@pytest.fixture
def index(client: Any) -> S3VectorsChunkIndex:
    return S3VectorsChunkIndex(client, bucket="chunks-bucket", index="chunks")


def test_replacing_puts_one_vector_per_chunk_keyed_by_chunk_id(
    index: S3VectorsChunkIndex, stubber: Stubber
) -> None:
    chunks = [chunk(0), chunk(1)]
    stubber.add_response(
        "put_vectors",
        {},
        {
            **TARGET,
            "vectors": [
                {"key": f"{DOC}:00000", "data": {"float32": [0.6, 0.8]}, "metadata": metadata(chunks[0])},
                {"key": f"{DOC}:00001", "data": {"float32": [1.0, 0.0]}, "metadata": metadata(chunks[1])},
            ],
        },
    )
    stubber.add_response("get_vectors", {"vectors": []}, {**TARGET, "keys": keys(2), "returnMetadata": True})

    index.replace_document(OWNER, DOC, chunks, [[0.6, 0.8], [1.0, 0.0]])


def test_replacing_with_fewer_chunks_deletes_the_earlier_versions_extra_vectors(
    index: S3VectorsChunkIndex, stubber: Stubber
) -> None:
    stubber.add_response("put_vectors", {}, None)
    stubber.add_response(
        "get_vectors",
        {"vectors": [stored(chunk(1)), stored(chunk(2))]},
        {**TARGET, "keys": keys(1), "returnMetadata": True},
    )
    stubber.add_response("delete_vectors", {}, {**TARGET, "keys": [f"{DOC}:00002", f"{DOC}:00001"]})

    index.replace_document(OWNER, DOC, [chunk(0)], [[1.0, 0.0]])


def test_deleting_walks_the_ordinals_page_by_page_and_deletes_highest_first(
    index: S3VectorsChunkIndex, stubber: Stubber
) -> None:
    full_page = [stored(chunk(n, heading_path=())) for n in range(100)]
    stubber.add_response(
        "get_vectors", {"vectors": full_page}, {**TARGET, "keys": keys(0), "returnMetadata": True}
    )
    stubber.add_response(
        "get_vectors",
        {"vectors": [stored(chunk(100))]},
        {**TARGET, "keys": keys(100), "returnMetadata": True},
    )
    stubber.add_response("delete_vectors", {}, {**TARGET, "keys": sorted(keys(0, 101), reverse=True)})

    index.delete_document(OWNER, DOC)


def test_deleting_a_document_without_vectors_sends_no_delete(
    index: S3VectorsChunkIndex, stubber: Stubber
) -> None:
    stubber.add_response("get_vectors", {"vectors": []}, {**TARGET, "keys": keys(0), "returnMetadata": True})

    index.delete_document(OWNER, DOC)


def test_vectors_whose_metadata_names_another_owner_are_never_deleted(
    index: S3VectorsChunkIndex, stubber: Stubber
) -> None:
    stubber.add_response(
        "get_vectors",
        {"vectors": [stored(chunk(0)), stored(chunk(1), owner="user-b")]},
        {**TARGET, "keys": keys(0), "returnMetadata": True},
    )
    stubber.add_response("delete_vectors", {}, {**TARGET, "keys": [f"{DOC}:00000"]})

    index.delete_document(OWNER, DOC)


def test_vector_search_filters_on_the_owner_metadata(index: S3VectorsChunkIndex, stubber: Stubber) -> None:
    stubber.add_response(
        "query_vectors",
        {
            "vectors": [
                {"key": f"{DOC}:00003", "distance": 0.125, "metadata": metadata(chunk(3))},
                {"key": f"{DOC}:00000", "distance": 0.5, "metadata": metadata(chunk(0, heading_path=()))},
            ],
            "distanceMetric": "cosine",
        },
        {
            **TARGET,
            "topK": 30,
            "queryVector": {"float32": [0.6, 0.8]},
            "filter": {"owner": {"$eq": OWNER}},
            "returnMetadata": True,
            "returnDistance": True,
        },
    )

    results = index.vector_search(OWNER, [0.6, 0.8], 30)

    assert [(result.chunk, result.score) for result in results] == [
        (chunk(3), 0.875),
        (chunk(0, heading_path=()), 0.5),
    ]


def test_vector_search_asks_for_at_most_the_service_limit(
    index: S3VectorsChunkIndex, stubber: Stubber
) -> None:
    stubber.add_response(
        "query_vectors",
        {"vectors": [], "distanceMetric": "cosine"},
        {
            **TARGET,
            "topK": 100,
            "queryVector": {"float32": [1.0]},
            "filter": {"owner": {"$eq": OWNER}},
            "returnMetadata": True,
            "returnDistance": True,
        },
    )

    assert index.vector_search(OWNER, [1.0], 500) == []


def test_keyword_search_is_not_offered(index: S3VectorsChunkIndex) -> None:
    assert index.keyword_search(OWNER, "billing", 5) == []


def test_get_chunks_returns_only_the_owners_chunks(index: S3VectorsChunkIndex, stubber: Stubber) -> None:
    stubber.add_response(
        "get_vectors",
        {"vectors": [stored(chunk(1)), stored(chunk(2), owner="user-b")]},
        {**TARGET, "keys": [f"{DOC}:00001", f"{DOC}:00002"], "returnMetadata": True},
    )

    assert index.get_chunks(OWNER, [f"{DOC}:00001", f"{DOC}:00002"]) == [chunk(1)]


def test_keyword_only_ingestion_is_refused(index: S3VectorsChunkIndex) -> None:
    with pytest.raises(ValueError, match="vectors only"):
        index.replace_document(OWNER, DOC, [chunk(0)], None)
