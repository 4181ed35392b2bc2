"""What every chunk index refuses before writing: a vector count that does not match, or a
chunk of another owner or document."""

import pytest

from lambdas.adapters.local.index import SqliteChunkIndex
from lambdas.core.models import Chunk
from lambdas.core.rag.replacement import check_replacement


def _chunk(owner: str, document_id: str) -> Chunk:
    return Chunk(f"{document_id}:00000", document_id, owner, document_id, "text", 0, 4)


def test_one_vector_per_chunk_or_none_at_all_passes() -> None:
    check_replacement("alice", "doc", [_chunk("alice", "doc")], [[1.0]])
    check_replacement("alice", "doc", [_chunk("alice", "doc")], None)


def test_a_vector_count_unlike_the_chunk_count_is_refused() -> None:
    with pytest.raises(ValueError, match="1 chunks but 2 vectors"):
        check_replacement("alice", "doc", [_chunk("alice", "doc")], [[1.0], [2.0]])


@pytest.mark.parametrize("chunk", [_chunk("mallory", "doc"), _chunk("alice", "other")])
def test_a_chunk_of_another_owner_or_document_is_refused(chunk: Chunk) -> None:
    with pytest.raises(ValueError, match="must belong to the document"):
        check_replacement("alice", "doc", [chunk], None)


def test_the_embedded_index_stores_nothing_it_refuses() -> None:
    index = SqliteChunkIndex()

    with pytest.raises(ValueError):
        index.replace_document("alice", "doc", [_chunk("mallory", "doc")], None)

    assert index.keyword_search("mallory", "text", 10) == []
    assert index.keyword_search("alice", "text", 10) == []
