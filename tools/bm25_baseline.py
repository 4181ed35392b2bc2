"""The reference retrieval baseline: BM25Okapi over fixed 1,000-character windows.

Reproduces the evaluation set's baseline script exactly (200 characters of overlap,
default k1=1.5 and b=0.75, lowercase `\\w+` tokens, only .txt and .md files), so that
`tools.evaluate` and `bench.retrieval` compare against it in the same run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rank_bm25 import BM25Okapi

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
    def from_directory(cls, corpus: Path) -> Bm25Baseline:
        files = sorted(p for p in corpus.iterdir() if p.is_file() and p.suffix in BASELINE_SUFFIXES)
        return cls.from_texts([p.read_text(encoding="utf-8", errors="replace") for p in files])

    def rank(self, question: str, depth: int) -> list[str]:
        """The `depth` best windows, best first; ties in window order as the reference does."""
        scores = self.bm25.get_scores(tokenize(question))
        order = sorted(range(len(self.windows)), key=lambda i: (-scores[i], i))
        return [self.windows[i] for i in order[:depth]]
