"""OpenSearch Serverless (VECTORSEARCH collection) as the chunk index: BM25 on the chunk's
contextual text, k-NN on its embedding, both filtered by owner.

The index definition below is the only one: the deploy-time custom resource creates the
index from it (`lambdas/handlers/vector_index_resource.py`) and this adapter writes and
queries the fields it declares.

Vector collections assign document ids themselves (a custom `_id` is refused), so a
document's chunks are found by query: replacing a document deletes the chunks a search
finds under its owner and id, then bulk-indexes the new ones. Serverless makes writes
searchable after a short delay (seconds), so a re-upload within that delay can leave the
earlier copy's chunks in place until the next replacement.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from lambdas.adapters.signed_http import HttpResponse, HttpTransport
from lambdas.core.models import Chunk, ScoredChunk
from lambdas.core.rag.chunking import contextual_text
from lambdas.core.rag.replacement import check_replacement

JSON = "application/json"
NDJSON = "application/x-ndjson"
_STORED_FIELDS = ["owner", "document_id", "chunk_id", "title", "heading_path", "text", "start", "end"]


def index_definition(dimensions: int) -> dict[str, Any]:
    """Settings and mappings of the chunk index (body of `PUT /<index>`).

    Only owner, document and chunk ids (exact filters), `search_text` (BM25, English stemming
    like the local index's Porter stemmer) and `embedding` (HNSW on faiss; Titan vectors are
    unit length, so inner product ranks like cosine) are indexed; the rest is stored for display.
    """
    return {
        "settings": {"index": {"knn": True}},
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "owner": {"type": "keyword"},
                "document_id": {"type": "keyword"},
                "chunk_id": {"type": "keyword"},
                "title": {"type": "keyword", "index": False},
                "heading_path": {"type": "keyword", "index": False},
                "text": {"type": "text", "index": False},
                "start": {"type": "integer", "index": False},
                "end": {"type": "integer", "index": False},
                "search_text": {"type": "text", "analyzer": "english"},
                "embedding": {
                    "type": "knn_vector",
                    "dimension": dimensions,
                    "method": {
                        "name": "hnsw",
                        "engine": "faiss",
                        "space_type": "innerproduct",
                        "parameters": {"m": 16, "ef_construction": 128},
                    },
                },
            },
        },
    }


class OpenSearchError(Exception):
    """OpenSearch answered with an error status, or a bulk request failed for some items."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class OpenSearchChunkIndex:
    """Implements the ChunkIndex and ChunkLookup ports on one index of a collection."""

    def __init__(
        self, transport: HttpTransport, index: str, *, bulk_size: int = 200, page_size: int = 1000
    ) -> None:
        self._http = transport
        self._index = index
        self._bulk_size = bulk_size
        self._page_size = page_size

    def replace_document(
        self,
        owner: str,
        document_id: str,
        chunks: Sequence[Chunk],
        vectors: Sequence[Sequence[float]] | None,
    ) -> None:
        check_replacement(owner, document_id, chunks, vectors)
        self.delete_document(owner, document_id)
        sources = [
            _source(chunk, vectors[i] if vectors is not None else None) for i, chunk in enumerate(chunks)
        ]
        for start in range(0, len(sources), self._bulk_size):
            lines = []
            for source in sources[start : start + self._bulk_size]:
                lines += [{"index": {}}, source]
            self._bulk(lines)

    def delete_document(self, owner: str, document_id: str) -> None:
        ids = list(self._document_doc_ids(owner, document_id))
        for start in range(0, len(ids), self._bulk_size):
            self._bulk([{"delete": {"_id": doc_id}} for doc_id in ids[start : start + self._bulk_size]])

    def keyword_search(self, owner: str, query: str, k: int) -> list[ScoredChunk]:
        if not query.strip() or k <= 0:
            return []
        return self._scored_search(
            {
                "size": k,
                "_source": _STORED_FIELDS,
                "query": {
                    "bool": {
                        "must": [{"match": {"search_text": query}}],
                        "filter": [{"term": {"owner": owner}}],
                    }
                },
            }
        )

    def vector_search(self, owner: str, vector: Sequence[float], k: int) -> list[ScoredChunk]:
        if k <= 0:
            return []
        # The filter inside the knn clause makes faiss search only the owner's vectors, so k
        # results come back even when other users own most of the index.
        return self._scored_search(
            {
                "size": k,
                "_source": _STORED_FIELDS,
                "query": {
                    "knn": {
                        "embedding": {"vector": list(vector), "k": k, "filter": {"term": {"owner": owner}}}
                    }
                },
            }
        )

    def get_chunks(self, owner: str, chunk_ids: Sequence[str]) -> list[Chunk]:
        if not chunk_ids:
            return []
        hits = self._search(
            {
                "size": len(chunk_ids),
                "_source": _STORED_FIELDS,
                "query": {
                    "bool": {"filter": [{"term": {"owner": owner}}, {"terms": {"chunk_id": list(chunk_ids)}}]}
                },
            }
        )
        unique = {hit["_source"]["chunk_id"]: _chunk(hit["_source"]) for hit in hits}
        return list(unique.values())

    def _document_doc_ids(self, owner: str, document_id: str) -> Iterator[str]:
        """`_id`s of the document's chunks, page by page (sorted by chunk id for `search_after`)."""
        query: dict[str, Any] = {
            "size": self._page_size,
            "_source": False,
            "query": {
                "bool": {"filter": [{"term": {"owner": owner}}, {"term": {"document_id": document_id}}]}
            },
            "sort": [{"chunk_id": "asc"}],
        }
        while True:
            hits = self._search(query)
            yield from (hit["_id"] for hit in hits)
            if len(hits) < self._page_size:
                return
            query = {**query, "search_after": hits[-1]["sort"]}

    def _scored_search(self, body: dict[str, Any]) -> list[ScoredChunk]:
        return [ScoredChunk(_chunk(hit["_source"]), float(hit["_score"])) for hit in self._search(body)]

    def _search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        response = self._http.request(
            "POST", f"/{self._index}/_search", json.dumps(body).encode(), content_type=JSON
        )
        hits: list[dict[str, Any]] = _json(response, "search")["hits"]["hits"]
        return hits

    def _bulk(self, lines: Sequence[dict[str, Any]]) -> None:
        body = "".join(json.dumps(line) + "\n" for line in lines).encode()
        result = _json(self._http.request("POST", f"/{self._index}/_bulk", body, content_type=NDJSON), "bulk")
        if not result.get("errors"):
            return
        failures = [
            outcome
            for item in result["items"]
            for action, outcome in item.items()
            # Deleting a chunk that is already gone is what we wanted.
            if outcome.get("error") and not (action == "delete" and outcome.get("status") == 404)
        ]
        if failures:
            error = failures[0]["error"]
            raise OpenSearchError(
                f"bulk request failed for {len(failures)} of {len(result['items'])} items: "
                f"{error.get('type')}: {error.get('reason')}",
                status=int(failures[0].get("status", 500)),
            )


def _json(response: HttpResponse, operation: str) -> dict[str, Any]:
    if response.status >= 300:
        raise OpenSearchError(
            f"{operation} answered {response.status}: {_error_type(response)}", status=response.status
        )
    parsed: dict[str, Any] = json.loads(response.body)
    return parsed


def _error_type(response: HttpResponse) -> str:
    """The error's type (never the request content OpenSearch may echo in its reason)."""
    try:
        error = json.loads(response.body).get("error")
    except (ValueError, AttributeError):
        return "no JSON body"
    if isinstance(error, dict):
        return str(error.get("type", "unknown"))
    return str(error or "unknown")


def _source(chunk: Chunk, vector: Sequence[float] | None) -> dict[str, Any]:
    source: dict[str, Any] = {
        "owner": chunk.owner,
        "document_id": chunk.document_id,
        "chunk_id": chunk.chunk_id,
        "title": chunk.title,
        "heading_path": list(chunk.heading_path),
        "text": chunk.text,
        "start": chunk.start,
        "end": chunk.end,
        "search_text": contextual_text(chunk),
    }
    if vector is not None:
        source["embedding"] = [float(value) for value in vector]
    return source


def _chunk(source: dict[str, Any]) -> Chunk:
    return Chunk(
        chunk_id=str(source["chunk_id"]),
        document_id=str(source["document_id"]),
        owner=str(source["owner"]),
        title=str(source["title"]),
        text=str(source["text"]),
        start=int(source["start"]),
        end=int(source["end"]),
        heading_path=tuple(str(part) for part in source.get("heading_path", ())),
    )


class OpenSearchIndexes:
    """Creating, inspecting and deleting indexes of a collection: what deploy time needs."""

    def __init__(self, transport: HttpTransport) -> None:
        self._http = transport

    def exists(self, name: str) -> bool:
        response = self._http.request("HEAD", f"/{name}")
        if response.status in (200, 404):
            return response.status == 200
        raise OpenSearchError(f"HEAD /{name} answered {response.status}", status=response.status)

    def create(self, name: str, dimensions: int) -> None:
        body = json.dumps(index_definition(dimensions)).encode()
        response = self._http.request("PUT", f"/{name}", body, content_type=JSON)
        if response.status == 400 and _error_type(response) == "resource_already_exists_exception":
            return  # created by an earlier attempt of this same request
        _json(response, f"create index {name}")

    def dimensions(self, name: str) -> int | None:
        """The embedding dimension of an existing index (None: it has no embedding field)."""
        mappings = _json(self._http.request("GET", f"/{name}/_mapping"), f"mapping of {name}")
        embedding = mappings[name]["mappings"]["properties"].get("embedding")
        return int(embedding["dimension"]) if embedding else None

    def queryable(self, name: str) -> bool:
        """True once a search on the index succeeds (a new index takes a moment to open)."""
        body = json.dumps({"size": 0, "query": {"match_all": {}}}).encode()
        return self._http.request("POST", f"/{name}/_search", body, content_type=JSON).status == 200

    def delete(self, name: str) -> None:
        response = self._http.request("DELETE", f"/{name}")
        if response.status != 404:
            _json(response, f"delete index {name}")
