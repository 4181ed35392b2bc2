"""The reference retrieval baselines, over fixed 1,000-character windows.

- `Bm25Baseline`: BM25Okapi; reproduces the evaluation set's baseline script exactly (200
  characters of overlap, default k1=1.5 and b=0.75, lowercase `\\w+` tokens, only .txt and
  .md files).
- `NaiveHybridBaseline`: the hybrid a user would assemble in an afternoon: the same windows
  ranked by BM25 and by a dense embedder, fused by reciprocal rank fusion (k=60).

`tools.evaluate` and `bench.retrieval` compare against them in the same run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

from lambdas.core.ports import Embedder

WINDOW_CHARS = 1000
OVERLAP_CHARS = 200
BASELINE_SUFFIXES = (".txt", ".md")
_TOKEN = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def fixed_windows(text: str, size: int = WINDOW_CHARS, overlap: int = OVERLAP_CHARS) -> list[str]:
    step = size - overlap
    windows = []
    start = 0
    while True:
        windows.append(text[start : start + size])
        if start + size >= len(text):
            return windows
        start += step


@dataclass(frozen=True, slots=True)
class Bm25Baseline:
    windows: list[str]
    bm25: BM25Okapi

    @classmethod
    def from_texts(cls, texts: list[str]) -> Bm25Baseline:
        windows = [window for text in texts for window in fixed_windows(text)]
        return cls(windows, BM25Okapi([tokenize(window) for window in windows]))

    @classmethod
    def from_files(cls, paths: list[Path]) -> Bm25Baseline:
        files = [p for p in paths if p.is_file() and p.suffix in BASELINE_SUFFIXES]
        return cls.from_texts([p.read_text(encoding="utf-8", errors="replace") for p in files])

    def rank(self, question: str, depth: int) -> list[str]:
        """The `depth` best windows, best first; ties in window order as the reference does."""
        scores = self.bm25.get_scores(tokenize(question))
        order = sorted(range(len(self.windows)), key=lambda i: (-scores[i], i))
        return [self.windows[i] for i in order[:depth]]


RRF_K = 60


class NaiveHybridBaseline:
    """BM25 and dense rankings of the BM25 baseline's windows, fused by reciprocal rank fusion."""

    def __init__(self, keyword: Bm25Baseline, embedder: Embedder) -> None:
        self._keyword = keyword
        self._embedder = embedder
        self._vectors = np.asarray(embedder.embed_documents(keyword.windows), dtype=np.float32)

    def rank(self, question: str, depth: int) -> list[str]:
        """The `depth` best windows, best first; ties in window order."""
        scores = self._keyword.bm25.get_scores(tokenize(question))
        count = len(self._keyword.windows)
        by_keyword = sorted(range(count), key=lambda i: (-scores[i], i))
        query = np.asarray(self._embedder.embed_query(question), dtype=np.float32)
        by_vector = [int(i) for i in np.argsort(-(self._vectors @ query), kind="stable")]
        fused = [0.0] * count
        for ranking in (by_keyword, by_vector):
            for rank, window in enumerate(ranking, start=1):
                fused[window] += 1.0 / (RRF_K + rank)
        order = sorted(range(count), key=lambda i: (-fused[i], i))
        return [self._keyword.windows[i] for i in order[:depth]]
