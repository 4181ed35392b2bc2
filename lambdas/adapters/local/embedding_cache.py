"""Disk cache of document embeddings, keyed by (model id, SHA-256 of the text).

Local restarts and repeated evaluations re-embed the same chunks; with the cache they
cost a file read each. Files are written to a temporary name and renamed into place
(atomic on POSIX), and an unreadable or wrong-sized entry counts as a miss, so a crash
mid-write can never poison the cache.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lambdas.core.ports import Embedder

logger = logging.getLogger(__name__)

DEFAULT_CACHE_DIR = Path(".build/embeddings-cache")


class CachedEmbedder:
    """Implements the Embedder port around another embedder; queries are not cached."""

    def __init__(self, inner: Embedder, cache_dir: Path = DEFAULT_CACHE_DIR) -> None:
        self._inner = inner
        self.model_id = inner.model_id
        self.dimensions = inner.dimensions
        self._dir = cache_dir / re.sub(r"[^A-Za-z0-9.-]+", "_", inner.model_id)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float] | None] = [self._read(text) for text in texts]
        missing = [i for i, vector in enumerate(vectors) if vector is None]
        if missing:
            computed = self._inner.embed_documents([texts[i] for i in missing])
            for i, vector in zip(missing, computed, strict=True):
                self._write(texts[i], vector)
                vectors[i] = vector
        return [vector for vector in vectors if vector is not None]

    def embed_query(self, text: str) -> list[float]:
        return self._inner.embed_query(text)

    def _path(self, text: str) -> Path:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return self._dir / digest[:2] / f"{digest}.f32"

    def _read(self, text: str) -> list[float] | None:
        try:
            data = self._path(text).read_bytes()
        except OSError:
            return None
        if len(data) != self.dimensions * 4:
            return None
        return np.frombuffer(data, dtype=np.float32).tolist()  # type: ignore[no-any-return]

    def _write(self, text: str, vector: Sequence[float]) -> None:
        path = self._path(text)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(handle, "wb") as file:
                file.write(np.asarray(vector, dtype=np.float32).tobytes())
            os.replace(temporary, path)
        except OSError as error:
            # A read-only or full disk only costs speed: the vector is still returned.
            logger.warning("Embedding cache write failed: %s", error)
