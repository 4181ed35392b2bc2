"""Ingestion throughput: extracted text -> chunk -> embed -> index, locally, at two corpus sizes.

The corpus is the project's own documentation (README.md and docs/*.md), once and eight
times over (each copy a separate document), so the ratio between the two sizes shows how
throughput scales as the index grows. The embedder is a deterministic hashing stand-in
with MiniLM's 384 dimensions: the figure measures our chunking and indexing, not a model.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lambdas.adapters.local.index import SqliteChunkIndex
from lambdas.core.rag.retrieval import index_document

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SMALL_COPIES = 1
LARGE_COPIES = 8
OWNER = "bench"
_WORD = re.compile(r"\w+")


class HashingEmbedder:
    """Deterministic bag-of-words vectors (feature hashing): the cost of a vector, none of a model."""

    model_id = "hashing-384"
    dimensions = 384

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        vector = np.zeros(self.dimensions, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
            vector[bucket % self.dimensions] += 1.0
        norm = float(np.linalg.norm(vector))
        return (vector / norm if norm else vector).tolist()


def project_documents() -> dict[str, str]:
    """The project's documentation, by file name: a corpus every clone has."""
    paths = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
    return {path.name: path.read_text(encoding="utf-8") for path in paths if path.is_file()}


def ingest(
    documents: dict[str, str], copies: int, embedder: HashingEmbedder
) -> tuple[SqliteChunkIndex, float]:
    """Ingest `copies` of every document into a fresh index; returns it and the KB/s achieved."""
    index = SqliteChunkIndex(":memory:")
    total_bytes = 0
    started = time.perf_counter()
    for copy in range(copies):
        for name, text in documents.items():
            index_document(
                text, document_id=f"{copy}-{name}", owner=OWNER, title=name, embedder=embedder, index=index
            )
            total_bytes += len(text.encode("utf-8"))
    elapsed = time.perf_counter() - started
    return index, total_bytes / 1024 / elapsed


def run() -> dict[str, float]:
    documents = project_documents()
    embedder = HashingEmbedder()
    corpus_kb = sum(len(text.encode("utf-8")) for text in documents.values()) / 1024
    ingest(documents, SMALL_COPIES, embedder)  # warm-up: imports, regex compilation, SQLite pages
    _, small = ingest(documents, SMALL_COPIES, embedder)
    _, large = ingest(documents, LARGE_COPIES, embedder)
    print(
        f"ingestion (chunk + hashing embedder + SQLite index): {small:.0f} KB/s at {corpus_kb:.0f} KB, "
        f"{large:.0f} KB/s at {corpus_kb * LARGE_COPIES:.0f} KB; large/small ratio {large / small:.2f} "
        "(1.00 = linear scaling)"
    )
    return {
        "ingest_kb_per_s_small": round(small, 1),
        "ingest_kb_per_s_large": round(large, 1),
        "ingest_scaling_ratio": round(large / small, 3),
    }
