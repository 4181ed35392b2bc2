"""OpenSearchChunkIndex and OpenSearchIndexes against a scripted endpoint: the exact request
bodies sent, and responses in the shapes OpenSearch Serverless returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from lambdas.adapters.opensearch import (
    OpenSearchChunkIndex,
    OpenSearchError,
    OpenSearchIndexes,
    index_definition,
)
from lambdas.core.models import Chunk
from lambdas.core.rag.retrieval import HybridRetriever
from tests.support.opensearch_fakes import (
    ScriptedOpenSearch,
    bulk_response,
    error_response,
    hit,
    search_response,
)

OWNER = "user-a"
DOC = "doc-1"
FIELDS = ["owner", "document_id", "chunk_id", "title", "heading_path", "text", "start", "end"]


def chunk(ordinal: int, text: str = "Lambda bills per millisecond.") -> Chunk:
    return Chunk(
        chunk_id=f"{DOC}:{ordinal:05d}",
        document_id=DOC,
        owner=OWNER,
        title="guide.md",
        text=text,
        start=ordinal * 100,
        end=ordinal * 100 + len(text),
        heading_path=("Pricing",),
    )


def source(item: Chunk) -> dict[str, Any]:
    return {
        "owner": item.owner,
        "document_id": item.document_id,
        "chunk_id": item.chunk_id,
        "title": item.title,
        "heading_path": list(item.heading_path),
        "text": item.text,
        "start": item.start,
        "end": item.end,
    }


def owner_and_document_filter() -> dict[str, Any]:
    return {"bool": {"filter": [{"term": {"owner": OWNER}}, {"term": {"document_id": DOC}}]}}


def test_the_mapping_declares_the_vector_the_filters_and_the_bm25_field() -> None:
    properties = index_definition(1024)["mappings"]["properties"]

    assert properties["embedding"] == {
        "type": "knn_vector",
        "dimension": 1024,
        "method": {
            "name": "hnsw",
            "engine": "faiss",
            "space_type": "innerproduct",
            "parameters": {"m": 16, "ef_construction": 128},
        },
    }
    assert {properties[name]["type"] for name in ("owner", "document_id", "chunk_id")} == {"keyword"}
    assert properties["search_text"]["type"] == "text"
    assert index_definition(1024)["settings"] == {"index": {"knn": True}}


def test_replacing_a_document_deletes_the_chunks_found_then_bulk_indexes_without_ids() -> None:
    endpoint = (
        ScriptedOpenSearch()
        .answer(200, search_response([hit({}, score=None, doc_id="old-1", sort=[f"{DOC}:00000"])]))
        .answer(200, bulk_response("delete", [200]))
        .answer(200, bulk_response("index", [201, 201]))
    )
    chunks = [chunk(0), chunk(1, "Duration is rounded up.")]

    OpenSearchChunkIndex(endpoint, "chunks").replace_document(OWNER, DOC, chunks, [[0.6, 0.8], [1.0, 0.0]])

    find, delete, index = endpoint.requests
    assert (find.method, find.path) == ("POST", "/chunks/_search")
    assert find.json() == {
        "size": 1000,
        "_source": False,
        "query": owner_and_document_filter(),
        "sort": [{"chunk_id": "asc"}],
    }
    assert (delete.path, delete.content_type) == ("/chunks/_bulk", "application/x-ndjson")
    assert delete.ndjson() == [{"delete": {"_id": "old-1"}}]
    assert index.ndjson() == [
        {"index": {}},
        {
            **source(chunks[0]),
            "search_text": "guide.md > Pricing\nLambda bills per millisecond.",
            "embedding": [0.6, 0.8],
        },
        {"index": {}},
        {
            **source(chunks[1]),
            "search_text": "guide.md > Pricing\nDuration is rounded up.",
            "embedding": [1.0, 0.0],
        },
    ]


def test_a_first_upload_finds_nothing_to_delete_and_only_indexes() -> None:
    endpoint = (
        ScriptedOpenSearch().answer(200, search_response([])).answer(200, bulk_response("index", [201]))
    )

    OpenSearchChunkIndex(endpoint, "chunks").replace_document(OWNER, DOC, [chunk(0)], [[1.0, 0.0]])

    assert [request.path for request in endpoint.requests] == ["/chunks/_search", "/chunks/_bulk"]


def test_a_document_larger_than_a_page_is_found_page_after_page() -> None:
    first_page = [hit({}, score=None, doc_id=f"id-{n}", sort=[f"{DOC}:{n:05d}"]) for n in range(2)]
    endpoint = (
        ScriptedOpenSearch()
        .answer(200, search_response(first_page))
        .answer(200, search_response([hit({}, score=None, doc_id="id-2", sort=[f"{DOC}:00002"])]))
        .answer(200, bulk_response("delete", [200, 200, 200]))
    )

    OpenSearchChunkIndex(endpoint, "chunks", page_size=2).delete_document(OWNER, DOC)

    second_search = endpoint.requests[1].json()
    assert second_search["search_after"] == [f"{DOC}:00001"]
    assert endpoint.requests[2].ndjson() == [{"delete": {"_id": f"id-{n}"}} for n in range(3)]


def test_bulk_writes_are_split_into_batches() -> None:
    endpoint = ScriptedOpenSearch().answer(200, search_response([]))
    endpoint.answer(200, bulk_response("index", [201, 201])).answer(200, bulk_response("index", [201]))

    OpenSearchChunkIndex(endpoint, "chunks", bulk_size=2).replace_document(
        OWNER, DOC, [chunk(0), chunk(1), chunk(2)], None
    )

    batches = [request.ndjson() for request in endpoint.requests[1:]]
    assert [len(batch) for batch in batches] == [4, 2]
    assert all("embedding" not in line for batch in batches for line in batch)


def test_a_chunk_already_deleted_is_not_an_error() -> None:
    endpoint = (
        ScriptedOpenSearch()
        .answer(200, search_response([hit({}, score=None, doc_id="gone", sort=["x"])]))
        .answer(200, bulk_response("delete", [404]))
    )

    OpenSearchChunkIndex(endpoint, "chunks").delete_document(OWNER, DOC)

    assert len(endpoint.requests) == 2


def test_items_the_bulk_request_rejects_raise_with_their_error_type() -> None:
    endpoint = (
        ScriptedOpenSearch()
        .answer(200, search_response([]))
        .answer(200, bulk_response("index", [201, 400], errors=True))
    )

    with pytest.raises(OpenSearchError, match="1 of 2 items: mapper_parsing_exception"):
        OpenSearchChunkIndex(endpoint, "chunks").replace_document(
            OWNER, DOC, [chunk(0), chunk(1)], [[1.0], [0.0]]
        )


def test_chunks_of_another_document_are_refused_before_any_request() -> None:
    endpoint = ScriptedOpenSearch()
    stranger = Chunk("other:00000", "other", OWNER, "t", "text", 0, 4)

    with pytest.raises(ValueError, match="belong"):
        OpenSearchChunkIndex(endpoint, "chunks").replace_document(OWNER, DOC, [stranger], None)

    assert endpoint.requests == []


def test_keyword_search_matches_the_contextual_text_within_the_owners_chunks() -> None:
    endpoint = ScriptedOpenSearch().answer(
        200, search_response([hit(source(chunk(3)), score=7.25)], max_score=7.25)
    )

    results = OpenSearchChunkIndex(endpoint, "chunks").keyword_search(OWNER, "lambda billing", 5)

    assert endpoint.requests[0].json() == {
        "size": 5,
        "_source": FIELDS,
        "query": {
            "bool": {
                "must": [{"match": {"search_text": "lambda billing"}}],
                "filter": [{"term": {"owner": OWNER}}],
            }
        },
    }
    assert [(result.chunk, result.score) for result in results] == [(chunk(3), 7.25)]


def test_vector_search_filters_by_owner_inside_the_knn_clause() -> None:
    endpoint = ScriptedOpenSearch().answer(
        200, search_response([hit(source(chunk(0)), score=1.93), hit(source(chunk(2)), score=1.41)])
    )

    results = OpenSearchChunkIndex(endpoint, "chunks").vector_search(OWNER, [0.6, 0.8], 30)

    assert endpoint.requests[0].json() == {
        "size": 30,
        "_source": FIELDS,
        "query": {
            "knn": {"embedding": {"vector": [0.6, 0.8], "k": 30, "filter": {"term": {"owner": OWNER}}}}
        },
    }
    assert [result.chunk.chunk_id for result in results] == [f"{DOC}:00000", f"{DOC}:00002"]
    assert [result.score for result in results] == [1.93, 1.41]


def test_an_empty_keyword_query_asks_nothing() -> None:
    endpoint = ScriptedOpenSearch()

    assert OpenSearchChunkIndex(endpoint, "chunks").keyword_search(OWNER, "  ", 5) == []
    assert endpoint.requests == []


def test_get_chunks_looks_ids_up_within_the_owners_chunks_once_each() -> None:
    wanted = [f"{DOC}:00001", f"{DOC}:00002"]
    endpoint = ScriptedOpenSearch().answer(
        200,
        search_response(
            [
                hit(source(chunk(1)), score=0.0),
                hit(source(chunk(1)), score=0.0),
                hit(source(chunk(2)), score=0.0),
            ]
        ),
    )

    found = OpenSearchChunkIndex(endpoint, "chunks").get_chunks(OWNER, wanted)

    assert endpoint.requests[0].json() == {
        "size": 2,
        "_source": FIELDS,
        "query": {"bool": {"filter": [{"term": {"owner": OWNER}}, {"terms": {"chunk_id": wanted}}]}},
    }
    assert found == [chunk(1), chunk(2)]


def test_an_error_status_raises_with_the_error_type_only() -> None:
    endpoint = ScriptedOpenSearch().answer(
        404, error_response("index_not_found_exception", "no such index [chunks]", 404)
    )

    with pytest.raises(OpenSearchError, match="search answered 404: index_not_found_exception") as raised:
        OpenSearchChunkIndex(endpoint, "chunks").keyword_search(OWNER, "secret question", 5)

    assert raised.value.status == 404
    assert "secret question" not in str(raised.value)


def test_creating_an_index_puts_the_one_definition() -> None:
    endpoint = ScriptedOpenSearch().answer(
        200, {"acknowledged": True, "shards_acknowledged": True, "index": "chunks"}
    )

    OpenSearchIndexes(endpoint).create("chunks", 512)

    request = endpoint.requests[0]
    assert (request.method, request.path, request.content_type) == ("PUT", "/chunks", "application/json")
    assert request.json() == index_definition(512)


def test_creating_an_index_that_an_earlier_attempt_created_succeeds() -> None:
    endpoint = ScriptedOpenSearch().answer(
        400, error_response("resource_already_exists_exception", "index [chunks/abc] already exists", 400)
    )

    OpenSearchIndexes(endpoint).create("chunks", 512)


def test_the_dimension_of_an_existing_index_is_read_from_its_mapping() -> None:
    endpoint = ScriptedOpenSearch().answer(200, {"chunks": {"mappings": index_definition(256)["mappings"]}})

    assert OpenSearchIndexes(endpoint).dimensions("chunks") == 256
    assert endpoint.requests[0].path == "/chunks/_mapping"


@pytest.mark.parametrize(("status", "expected"), [(200, True), (404, False)])
def test_exists_asks_with_head(status: int, expected: bool) -> None:
    endpoint = ScriptedOpenSearch().answer(status)

    assert OpenSearchIndexes(endpoint).exists("chunks") is expected
    assert endpoint.requests[0].method == "HEAD"


def test_exists_raises_when_access_is_denied() -> None:
    with pytest.raises(OpenSearchError) as raised:
        OpenSearchIndexes(ScriptedOpenSearch().answer(403)).exists("chunks")

    assert raised.value.status == 403


def test_deleting_an_index_that_is_gone_succeeds() -> None:
    endpoint = ScriptedOpenSearch().answer(
        404, error_response("index_not_found_exception", "no such index", 404)
    )

    OpenSearchIndexes(endpoint).delete("chunks")

    assert (endpoint.requests[0].method, endpoint.requests[0].path) == ("DELETE", "/chunks")


def test_hybrid_retrieval_fuses_both_searches_and_widens_hits_with_their_neighbours() -> None:
    hit_chunk, neighbour = chunk(1, "Duration is rounded up."), chunk(2, "Requests are billed too.")
    endpoint = (
        ScriptedOpenSearch()
        .answer(200, search_response([hit(source(hit_chunk), score=3.5)]))
        .answer(200, search_response([hit(source(hit_chunk), score=1.9)]))
        .answer(200, search_response([hit(source(hit_chunk), score=0.0), hit(source(neighbour), score=0.0)]))
    )
    retriever = HybridRetriever(_FixedEmbedder(), OpenSearchChunkIndex(endpoint, "chunks"))

    passages = retriever.retrieve(OWNER, "How is the duration billed?", 1)

    keyword, vector, lookup = (request.json() for request in endpoint.requests)
    assert keyword["query"]["bool"]["must"] == [{"match": {"search_text": "duration billed"}}]
    assert vector["query"]["knn"]["embedding"]["vector"] == [0.6, 0.8]
    assert neighbour.chunk_id in lookup["query"]["bool"]["filter"][1]["terms"]["chunk_id"]
    assert [passage.text for passage in passages] == ["Duration is rounded up.\n\nRequests are billed too."]


class _FixedEmbedder:
    model_id = "fixed"
    dimensions = 2

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return [0.6, 0.8]
