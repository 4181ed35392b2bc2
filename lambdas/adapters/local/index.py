"""Embedded chunk index for local mode: SQLite FTS5 (BM25) for keywords, float32 vectors
stored beside each chunk and searched by brute-force cosine in numpy.

At a few thousand chunks per user a full scan costs well under a millisecond per
query, so no approximate index is needed. One connection serves every thread behind a
lock: SQLite writes are serialised anyway, and reads here are short.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lambdas.core.models import Chunk, ScoredChunk
from lambdas.core.rag.chunking import contextual_text
from lambdas.core.rag.replacement import check_replacement

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    document_id TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    title TEXT NOT NULL,
    heading_path TEXT NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    vector BLOB
);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks (owner, document_id);
CREATE INDEX IF NOT EXISTS chunks_by_id ON chunks (owner, chunk_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(body, tokenize = 'porter unicode61 remove_diacritics 2');
"""
_COLUMNS = "c.owner, c.document_id, c.chunk_id, c.title, c.heading_path, c.text, c.start, c.end"
_WORD = re.compile(r"\w+")


class SqliteChunkIndex:
    """Implements the ChunkIndex port. `path` is a file, or ":memory:" for a throwaway index."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._vectors: dict[str, tuple[list[int], npt.NDArray[np.float32]]] = {}
        """Per owner: row ids and their unit vectors, rebuilt after that owner's next write."""
        with self._lock:
            self._connection.executescript(_SCHEMA)

    def replace_document(
        self,
        owner: str,
        document_id: str,
        chunks: Sequence[Chunk],
        vectors: Sequence[Sequence[float]] | None,
    ) -> None:
        check_replacement(owner, document_id, chunks, vectors)
        with self._lock, self._transaction():
            self._delete_rows(owner, document_id)
            for position, chunk in enumerate(chunks):
                blob = _to_blob(vectors[position]) if vectors is not None else None
                cursor = self._connection.execute(
                    "INSERT INTO chunks (owner, document_id, chunk_id, title, heading_path, text, start, end,"
                    " vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        owner,
                        document_id,
                        chunk.chunk_id,
                        chunk.title,
                        json.dumps(list(chunk.heading_path)),
                        chunk.text,
                        chunk.start,
                        chunk.end,
                        blob,
                    ),
                )
                self._connection.execute(
                    "INSERT INTO chunks_fts (rowid, body) VALUES (?, ?)",
                    (cursor.lastrowid, contextual_text(chunk)),
                )
            self._vectors.pop(owner, None)

    def delete_document(self, owner: str, document_id: str) -> None:
        with self._lock, self._transaction():
            self._delete_rows(owner, document_id)
            self._vectors.pop(owner, None)

    def keyword_search(self, owner: str, query: str, k: int) -> list[ScoredChunk]:
        expression = _match_expression(query)
        if not expression or k <= 0:
            return []
        with self._lock:
            rows = self._connection.execute(
                f"SELECT {_COLUMNS}, bm25(chunks_fts) AS rank FROM chunks_fts"  # noqa: S608 - constant columns
                " JOIN chunks c ON c.id = chunks_fts.rowid"
                " WHERE chunks_fts MATCH ? AND c.owner = ? ORDER BY rank, c.id LIMIT ?",
                (expression, owner, k),
            ).fetchall()
        # FTS5's bm25() is lower-is-better; negate so every score in the system is higher-is-better.
        return [ScoredChunk(_chunk(row[:8]), -float(row[8])) for row in rows]

    def vector_search(self, owner: str, vector: Sequence[float], k: int) -> list[ScoredChunk]:
        if k <= 0:
            return []
        with self._lock:
            row_ids, matrix = self._owner_vectors(owner)
            if not row_ids:
                return []
            query = np.asarray(vector, dtype=np.float32)
            scores = matrix @ (query / max(float(np.linalg.norm(query)), 1e-12))
            best = np.argsort(-scores, kind="stable")[:k]
            chosen = [row_ids[i] for i in best]
            placeholders = ",".join("?" * len(chosen))
            rows = self._connection.execute(
                f"SELECT c.id, {_COLUMNS} FROM chunks c WHERE c.id IN ({placeholders})",  # noqa: S608
                chosen,
            ).fetchall()
        by_id = {row[0]: _chunk(row[1:]) for row in rows}
        return [ScoredChunk(by_id[row_ids[i]], float(scores[i])) for i in best]

    def get_chunks(self, owner: str, chunk_ids: Sequence[str]) -> list[Chunk]:
        if not chunk_ids:
            return []
        placeholders = ",".join("?" * len(chunk_ids))
        with self._lock:
            rows = self._connection.execute(
                f"SELECT {_COLUMNS} FROM chunks c WHERE c.owner = ? AND c.chunk_id IN ({placeholders})",  # noqa: S608
                (owner, *chunk_ids),
            ).fetchall()
        return [_chunk(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def _owner_vectors(self, owner: str) -> tuple[list[int], npt.NDArray[np.float32]]:
        cached = self._vectors.get(owner)
        if cached is None:
            rows = self._connection.execute(
                "SELECT id, vector FROM chunks WHERE owner = ? AND vector IS NOT NULL ORDER BY id", (owner,)
            ).fetchall()
            row_ids = [row[0] for row in rows]
            if rows:
                matrix = np.stack([np.frombuffer(row[1], dtype=np.float32) for row in rows])
                matrix = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
            else:
                matrix = np.zeros((0, 0), dtype=np.float32)
            cached = (row_ids, matrix.astype(np.float32))
            self._vectors[owner] = cached
        return cached

    def _delete_rows(self, owner: str, document_id: str) -> None:
        self._connection.execute(
            "DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE owner = ? AND document_id = ?)",
            (owner, document_id),
        )
        self._connection.execute(
            "DELETE FROM chunks WHERE owner = ? AND document_id = ?", (owner, document_id)
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection)


class _Transaction:
    """BEGIN ... COMMIT, or ROLLBACK when the block raises: a document is replaced whole or not at all."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> None:
        self._connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        self._connection.execute("ROLLBACK" if error_type else "COMMIT")


def _match_expression(query: str) -> str:
    """An FTS5 query matching any word of `query`; each word quoted so none is read as syntax."""
    words = dict.fromkeys(word.lower() for word in _WORD.findall(query))
    return " OR ".join(f'"{word}"' for word in words)


def _to_blob(vector: Sequence[float]) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _chunk(row: Sequence[Any]) -> Chunk:
    owner, document_id, chunk_id, title, heading_path, text, start, end = row
    return Chunk(
        chunk_id=str(chunk_id),
        document_id=str(document_id),
        owner=str(owner),
        title=str(title),
        text=str(text),
        start=int(start),
        end=int(end),
        heading_path=tuple(json.loads(str(heading_path))),
    )
