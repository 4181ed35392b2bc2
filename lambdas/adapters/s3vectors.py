"""Amazon S3 Vectors as the chunk index: dense retrieval only, for the low-idle-cost profile.

Each chunk is one vector keyed by its chunk id (`<document id>:<ordinal>`), with the owner and
document id as filterable metadata and the text, title, heading and offsets as non-filterable
metadata (the keys the CDK index declares non-filterable: filterable metadata is capped at
2 KB per vector, the whole metadata at 40 KB).

There is no keyword search (`keyword_search` returns []): retrieval is vector-only here.
Because chunk ids are consecutive ordinals, a document's vectors are found by asking for
keys in order, not by listing the whole index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lambdas.core.models import Chunk, ScoredChunk
from lambdas.core.rag.chunking import chunk_id
from lambdas.core.rag.replacement import check_replacement

# Service limits per call (S3 Vectors "Limitations and restrictions").
MAX_TOP_K = 100
_GET_KEYS = 100
_DELETE_KEYS = 500
_PUT_VECTORS = 200
"""Below the 500 allowed: 200 vectors of 1,024 dimensions with their text stay far under the
20 MiB request limit."""
_MAX_METADATA_BYTES = 40 * 1024


class S3VectorsChunkIndex:
    """Implements the ChunkIndex and ChunkLookup ports on one vector index."""

    def __init__(self, client: Any, *, bucket: str, index: str) -> None:
        self._client = client
        self._target = {"vectorBucketName": bucket, "indexName": index}

    def replace_document(
        self,
        owner: str,
        document_id: str,
        chunks: Sequence[Chunk],
        vectors: Sequence[Sequence[float]] | None,
    ) -> None:
        """Overwrite the document's vectors (a put replaces the same key), then delete those of
        an earlier, longer version: readers never see the document missing while it is replaced."""
        if vectors is None:
            raise ValueError("S3 Vectors indexes vectors only: configure an embedder")
        check_replacement(owner, document_id, chunks, vectors)
        items = [_vector(chunk, vector) for chunk, vector in zip(chunks, vectors, strict=True)]
        for start in range(0, len(items), _PUT_VECTORS):
            self._client.put_vectors(**self._target, vectors=items[start : start + _PUT_VECTORS])
        self._delete_from(owner, document_id, first_ordinal=len(chunks))

    def delete_document(self, owner: str, document_id: str) -> None:
        self._delete_from(owner, document_id, first_ordinal=0)

    def keyword_search(self, owner: str, query: str, k: int) -> list[ScoredChunk]:
        return []

    def vector_search(self, owner: str, vector: Sequence[float], k: int) -> list[ScoredChunk]:
        if k <= 0:
            return []
        response = self._client.query_vectors(
            **self._target,
            topK=min(k, MAX_TOP_K),
            queryVector={"float32": [float(value) for value in vector]},
            filter={"owner": {"$eq": owner}},
            returnMetadata=True,
            returnDistance=True,
        )
        # The index measures cosine distance; 1 - distance is the cosine similarity.
        return [
            ScoredChunk(_chunk(item["key"], item["metadata"]), 1.0 - float(item["distance"]))
            for item in response["vectors"]
        ]

    def get_chunks(self, owner: str, chunk_ids: Sequence[str]) -> list[Chunk]:
        found: list[Chunk] = []
        for start in range(0, len(chunk_ids), _GET_KEYS):
            keys = list(chunk_ids[start : start + _GET_KEYS])
            for item in self._client.get_vectors(**self._target, keys=keys, returnMetadata=True)["vectors"]:
                # Keys are not scoped to an owner: the metadata says whose chunk it is.
                if item["metadata"].get("owner") == owner:
                    found.append(_chunk(item["key"], item["metadata"]))
        return found

    def _delete_from(self, owner: str, document_id: str, *, first_ordinal: int) -> None:
        """Delete the document's vectors from `first_ordinal` on, highest first, so that an
        interrupted deletion still leaves consecutive ordinals for the next one to find."""
        doomed: list[str] = []
        ordinal = first_ordinal
        while True:
            keys = [chunk_id(document_id, n) for n in range(ordinal, ordinal + _GET_KEYS)]
            found = self._client.get_vectors(**self._target, keys=keys, returnMetadata=True)["vectors"]
            doomed += [item["key"] for item in found if item["metadata"].get("owner") == owner]
            if len(found) < len(keys):
                break
            ordinal += _GET_KEYS
        doomed.sort(reverse=True)
        for start in range(0, len(doomed), _DELETE_KEYS):
            self._client.delete_vectors(**self._target, keys=doomed[start : start + _DELETE_KEYS])


def _vector(chunk: Chunk, vector: Sequence[float]) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "owner": chunk.owner,
        "document_id": chunk.document_id,
        "title": chunk.title,
        # Headings are single lines, so a newline keeps the path's parts apart.
        "heading": "\n".join(chunk.heading_path),
        "text": chunk.text,
        "start": chunk.start,
        "end": chunk.end,
    }
    size = sum(len(str(value).encode()) for value in metadata.values())
    if size > _MAX_METADATA_BYTES:
        raise ValueError(f"chunk {chunk.chunk_id} carries {size} bytes of metadata; S3 Vectors allows 40 KB")
    return {
        "key": chunk.chunk_id,
        "data": {"float32": [float(value) for value in vector]},
        "metadata": metadata,
    }


def _chunk(key: str, metadata: dict[str, Any]) -> Chunk:
    heading = str(metadata.get("heading", ""))
    return Chunk(
        chunk_id=key,
        document_id=str(metadata["document_id"]),
        owner=str(metadata["owner"]),
        title=str(metadata["title"]),
        text=str(metadata["text"]),
        start=int(metadata["start"]),
        end=int(metadata["end"]),
        heading_path=tuple(heading.split("\n")) if heading else (),
    )
