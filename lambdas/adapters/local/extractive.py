"""The offline answerer, used when no language model is configured.

It says what it is, then quotes the sentences of the retrieved passages that share the
most words with the question, each cited `[n]`. It writes nothing of its own about the
documents, so it cannot invent facts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lambdas.core.guard import REDACTED_INSTRUCTION
from lambdas.core.models import ModelRequest, ModelResponse, Passage, StreamEnd, StreamEvent, TextDelta

OFFLINE_NOTICE = (
    "Offline mode: no language model is configured, so this answer quotes the most relevant "
    "passages from your documents instead of writing one."
)
NO_MATCH = (
    "No document passage matched the question. Upload a document that covers it, or configure "
    "a model for written answers: an OpenAI-compatible server such as Ollama (set LLM_BASE_URL), "
    "or Amazon Bedrock (set LLM_PROVIDER=bedrock)."
)
NO_SHARED_WORDS = "No sentence shares words with the question; the best-ranked passage begins:"

MAX_QUOTES = 3
MAX_QUOTE_CHARS = 320
MIN_QUOTE_WORDS = 4
"""Shorter pieces are headings or fragments, not answers."""
WORDS_PER_DELTA = 3

_WORD = re.compile(r"\w+")
# The guard's marker for text it left out ends a sentence too: quotes hold only what is left.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+|\s*" + re.escape(REDACTED_INSTRUCTION) + r"\s*")
_WORD_START = re.compile(r"(?<=\s)(?=\S)")
_CITATION_MARKER = re.compile(r"\s*\[\d{1,3}\]")
# fmt: off
_STOPWORDS = frozenset({
    "a", "about", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "do",
    "does", "did", "for", "from", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its",
    "me", "my", "no", "not", "of", "on", "or", "our", "should", "so", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "this", "those", "to", "was", "we", "were",
    "what", "when", "where", "which", "who", "whom", "why", "will", "with", "would", "you", "your"
})
# fmt: on


@dataclass(frozen=True, slots=True)
class _Sentence:
    passage_number: int
    """1-based position in request.passages: the citation number."""
    position: int
    text: str


class ExtractiveAnswerer:
    """`LanguageModel` that quotes instead of generating. Reports no usage (the domain estimates)."""

    def __init__(self, *, delay_seconds: float = 0.0) -> None:
        self._delay_seconds = delay_seconds

    def complete(self, request: ModelRequest) -> ModelResponse:
        return ModelResponse(text=answer_text(request), model_id=request.model_id, usage=None)

    def stream(self, request: ModelRequest) -> Iterator[StreamEvent]:
        for index, delta in enumerate(_word_groups(answer_text(request))):
            # The pause lets a person watch the answer arrive, as it would from a model.
            if index and self._delay_seconds:
                time.sleep(self._delay_seconds)
            yield TextDelta(delta)
        yield StreamEnd(usage=None)


def answer_text(request: ModelRequest) -> str:
    if not request.passages:
        return "\n\n".join([OFFLINE_NOTICE, NO_MATCH + _history_note(request)])
    quotes = _best_sentences(request.question, request.passages)
    if quotes:
        return "\n\n".join([OFFLINE_NOTICE, *(_quote(sentence) for sentence in quotes)])
    best = request.passages[0]
    opening = (_quotable(1, best) or _sentences(1, best))[:1]
    return "\n\n".join([OFFLINE_NOTICE, NO_SHARED_WORDS, *(_quote(sentence) for sentence in opening)])


def _best_sentences(question: str, passages: Sequence[Passage]) -> list[_Sentence]:
    """The sentences sharing the most distinct words with the question; ties go to the
    better-ranked passage, then to the earlier sentence."""
    wanted = _terms(question)
    scored: list[tuple[int, _Sentence]] = []
    seen: set[str] = set()
    for number, passage in enumerate(passages, start=1):
        for sentence in _quotable(number, passage):
            key = " ".join(sentence.text.lower().split())
            # Overlapping chunks repeat sentences; quote each only once.
            if key in seen:
                continue
            seen.add(key)
            overlap = len(wanted & _terms(sentence.text))
            if overlap:
                scored.append((overlap, sentence))
    scored.sort(key=lambda item: (-item[0], item[1].passage_number, item[1].position))
    return [sentence for _, sentence in scored[:MAX_QUOTES]]


def _sentences(number: int, passage: Passage) -> list[_Sentence]:
    pieces = (piece.strip().lstrip("#").strip() for piece in _SENTENCE_BREAK.split(passage.text))
    return [_Sentence(number, position, piece) for position, piece in enumerate(p for p in pieces if p)]


def _quotable(number: int, passage: Passage) -> list[_Sentence]:
    return [s for s in _sentences(number, passage) if len(s.text.split()) >= MIN_QUOTE_WORDS]


def _terms(text: str) -> set[str]:
    words = (word.lower() for word in _WORD.findall(text))
    return {_singular(word) for word in words if word not in _STOPWORDS and len(word) > 1}


def _singular(word: str) -> str:
    """Crude plural folding so `functions` matches `function`; enough for term overlap."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _quote(sentence: _Sentence) -> str:
    # Markers inside the document (its own references) would read as our citations.
    text = _CITATION_MARKER.sub("", sentence.text)
    if len(text) > MAX_QUOTE_CHARS:
        text = text[: MAX_QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return f"> {text} [{sentence.passage_number}]"


def _history_note(request: ModelRequest) -> str:
    earlier = len(request.messages) - 1  # the last message is the current question
    if earlier <= 0:
        return ""
    return f" This conversation has {earlier} earlier message{'s' if earlier > 1 else ''}."


def _word_groups(text: str) -> Iterator[str]:
    words = _WORD_START.split(text)
    for start in range(0, len(words), WORDS_PER_DELTA):
        yield "".join(words[start : start + WORDS_PER_DELTA])
