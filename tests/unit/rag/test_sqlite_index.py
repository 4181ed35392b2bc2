"""The embedded index: owner filtering, whole-document replacement and deletion."""

from pathlib import Path

import pytest

from lambdas.adapters.local.index import SqliteChunkIndex
from lambdas.core.models import Chunk


def _chunk(owner: str, document_id: str, ordinal: int, text: str) -> Chunk:
    return Chunk(f"{document_id}:{ordinal:05d}", document_id, owner, document_id, text, 0, len(text))


def test_replacing_a_document_twice_leaves_one_copy_of_its_chunks() -> None:
    index = SqliteChunkIndex()
    chunks = [_chunk("alice", "doc", 0, "lambda timeouts"), _chunk("alice", "doc", 1, "lambda memory")]

    index.replace_document("alice", "doc", chunks, [[1.0, 0.0], [0.0, 1.0]])
    index.replace_document("alice", "doc", chunks, [[1.0, 0.0], [0.0, 1.0]])

    assert len(index.keyword_search("alice", "lambda", 10)) == 2
    assert len(index.vector_search("alice", [1.0, 1.0], 10)) == 2


def test_a_new_version_of_a_document_replaces_the_old_chunks() -> None:
    index = SqliteChunkIndex()
    index.replace_document("alice", "doc", [_chunk("alice", "doc", 0, "old wording")], None)

    index.replace_document("alice", "doc", [_chunk("alice", "doc", 0, "new wording")], None)

    assert [s.chunk.text for s in index.keyword_search("alice", "wording", 10)] == ["new wording"]


def test_deleting_a_document_removes_its_chunks_and_vectors() -> None:
    index = SqliteChunkIndex()
    index.replace_document("alice", "doc", [_chunk("alice", "doc", 0, "lambda")], [[1.0, 0.0]])

    index.delete_document("alice", "doc")

    assert index.keyword_search("alice", "lambda", 10) == []
    assert index.vector_search("alice", [1.0, 0.0], 10) == []


def test_deleting_leaves_another_owners_document_with_the_same_id() -> None:
    index = SqliteChunkIndex()
    index.replace_document("alice", "doc", [_chunk("alice", "doc", 0, "lambda")], None)
    index.replace_document("bob", "doc", [_chunk("bob", "doc", 0, "lambda")], None)

    index.delete_document("alice", "doc")

    assert [s.chunk.owner for s in index.keyword_search("bob", "lambda", 10)] == ["bob"]


def test_searches_and_lookups_are_filtered_by_owner() -> None:
    index = SqliteChunkIndex()
    index.replace_document("alice", "a", [_chunk("alice", "a", 0, "secret plan")], [[1.0, 0.0]])

    assert index.keyword_search("bob", "secret", 10) == []
    assert index.vector_search("bob", [1.0, 0.0], 10) == []
    assert index.get_chunks("bob", ["a:00000"]) == []


def test_vector_search_ranks_by_cosine_similarity() -> None:
    index = SqliteChunkIndex()
    chunks = [_chunk("alice", "doc", n, f"chunk {n}") for n in range(3)]
    index.replace_document("alice", "doc", chunks, [[1.0, 0.0], [0.6, 0.8], [0.0, 5.0]])

    ranked = index.vector_search("alice", [0.0, 2.0], 3)

    assert [s.chunk.chunk_id for s in ranked] == ["doc:00002", "doc:00001", "doc:00000"]
    assert ranked[0].score == pytest.approx(1.0)


def test_keyword_queries_are_never_read_as_search_syntax() -> None:
    index = SqliteChunkIndex()
    index.replace_document("alice", "doc", [_chunk("alice", "doc", 0, "near the end")], None)

    assert len(index.keyword_search("alice", 'NEAR( "end" OR *', 10)) == 1


def test_a_failed_replacement_keeps_the_previous_version() -> None:
    index = SqliteChunkIndex()
    index.replace_document("alice", "doc", [_chunk("alice", "doc", 0, "kept")], None)

    with pytest.raises(ValueError):
        index.replace_document("alice", "doc", [_chunk("alice", "doc", 0, "new")], [[1.0], [2.0]])

    assert [s.chunk.text for s in index.keyword_search("alice", "kept", 10)] == ["kept"]


def test_a_file_backed_index_keeps_chunks_across_connections(tmp_path: Path) -> None:
    path = tmp_path / "index" / "chunks.sqlite"
    first = SqliteChunkIndex(path)
    first.replace_document("alice", "doc", [_chunk("alice", "doc", 0, "durable")], None)
    first.close()

    assert [c.text for c in SqliteChunkIndex(path).get_chunks("alice", ["doc:00000"])] == ["durable"]
