"""The semantic layer: a linear classifier over hashed word and character n-grams.

Character n-grams carry across languages and spelling tricks that word lists miss, and a
linear model over hashed features needs no numpy at run time: a score is a sum of weights
looked up by index. The weights (`injection_model.bin`, int8) are trained by
`python -m tools.guard.train` on public datasets; see docs/security.md for sources and figures.
"""

from __future__ import annotations

import itertools
import math
import re
import struct
import zlib
from array import array
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from lambdas.core.guard.lexicon import canonical_words

MODEL_PATH = Path(__file__).with_name("injection_model.bin")
_MAGIC = b"PIG3"  # features with the lexicon's English words
_HEADER = struct.Struct("<4sIffff")  # magic, bits, scale, bias, threshold, passage threshold
_WORD = re.compile(r"\w+")
_CHAR_NGRAMS = (3, 4, 5)
_MAX_WORD_CHARS = 24
MIN_WORDS = 4
"""Shorter texts give the classifier too little to go on: the pattern layer alone judges them."""
_MAX_WORDS = 600
"""Long messages are judged on their first and last words: a payload hidden in the middle of
a long message is left to the pattern layer, which reads everything."""


def features(text: str, bits: int) -> list[int]:
    """Distinct hashed features of lowercased text: words, word pairs and the character
    3-5-grams of each word padded with spaces (so prefixes and suffixes count), plus the words
    and word pairs of its English reading when it holds forms of the lexicon (`lexicon.py`)."""
    mask = (1 << bits) - 1
    words = _WORD.findall(text.casefold())
    if len(words) > _MAX_WORDS:
        words = words[: _MAX_WORDS * 2 // 3] + words[-_MAX_WORDS // 3 :]
    hashes: set[int] = set()
    for word in words:
        hashes.update(_word_hashes(word))
    hashes.update(_hash(f"b {a} {b}") for a, b in itertools.pairwise(words))
    english = canonical_words(words)
    if english is not None:
        hashes.update(_hash("w " + word) for word in english)
        hashes.update(_hash(f"b {a} {b}") for a, b in itertools.pairwise(english))
    return [h & mask for h in hashes]


@lru_cache(maxsize=8192)
def _word_hashes(word: str) -> tuple[int, ...]:
    """A word's own feature and its character n-grams, hashed: words recur across sentences."""
    padded = f" {word[:_MAX_WORD_CHARS]} "
    grams = {padded[i : i + n] for n in _CHAR_NGRAMS for i in range(len(padded) - n + 1)}
    return (_hash("w " + word), *(_hash(gram) for gram in grams))


def _hash(gram: str) -> int:
    return zlib.crc32(gram.encode())


@dataclass(frozen=True, slots=True)
class LinearModel:
    bits: int
    scale: float
    bias: float
    threshold: float
    """Probability at or above which a message is judged an attack (chosen on development data)."""
    passage_threshold: float
    """The same for a sentence of a document: documents address people in the imperative
    ("run make deploy") far more often than questions do, so the bar is higher."""
    weights: array[int]

    def probability(self, text: str) -> float:
        if len(_WORD.findall(text)) < MIN_WORDS:
            return 0.0
        indices = features(text, self.bits)
        total = sum(map(self.weights.__getitem__, indices)) * self.scale / math.sqrt(len(indices))
        return 1.0 / (1.0 + math.exp(-(total + self.bias)))

    def to_bytes(self) -> bytes:
        header = _HEADER.pack(
            _MAGIC, self.bits, self.scale, self.bias, self.threshold, self.passage_threshold
        )
        return header + self.weights.tobytes()

    @classmethod
    def from_bytes(cls, raw: bytes) -> LinearModel:
        magic, bits, scale, bias, threshold, passage_threshold = _HEADER.unpack_from(raw)
        if magic != _MAGIC:
            raise ValueError("not an injection model file")
        weights = array("b", raw[_HEADER.size :])
        if len(weights) != 1 << bits:
            raise ValueError("injection model file is truncated")
        return cls(bits, scale, bias, threshold, passage_threshold, weights)


@cache
def load_model(path: Path = MODEL_PATH) -> LinearModel:
    """The committed model, read once per process."""
    return LinearModel.from_bytes(path.read_bytes())
