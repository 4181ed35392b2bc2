"""Split extracted document text into chunks; the strategy is configuration.

Every chunk is a contiguous slice of the extracted text (`text == source[start:end]`),
so its offsets always point at what a reader can check, and it carries the path of
Markdown headings (HTML headings arrive as Markdown from extraction) it sits under, as a
CommonMark parser reads them.

- `fixed`: windows of `max_chars` characters with `overlap_chars` of overlap.
- `structure`: sections between headings first, paragraphs inside a section next,
  and only then size-bounded windows (ending on a sentence or word boundary when one
  is near) for paragraphs longer than `max_chars`. Chunks never straddle a section;
  consecutive chunks of one section overlap by up to `overlap_chars`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

from lambdas.core.models import Chunk

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

ChunkingStrategy = Literal["fixed", "structure"]

_LINE_END = re.compile(r"\n")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")
_BOUNDARY_SEARCH = 0.3
"""A window may end this fraction of `max_chars` early to end on a sentence or word boundary."""


@dataclass(frozen=True, slots=True)
class ChunkingConfig:
    strategy: ChunkingStrategy = "structure"
    max_chars: int = 800
    overlap_chars: int = 120

    def __post_init__(self) -> None:
        if self.max_chars < 50:
            raise ValueError("max_chars must be at least 50")
        if not 0 <= self.overlap_chars < self.max_chars // 2:
            raise ValueError("overlap_chars must be between 0 and half of max_chars")


@dataclass(frozen=True, slots=True)
class _Section:
    start: int
    end: int
    heading_path: tuple[str, ...]
    lineage: tuple[int, ...]
    """Offsets of the heading lines in force: tells nested sections from same-named siblings."""

    def contains(self, other: _Section) -> bool:
        """True when `other` is this section or nested under it."""
        return other.lineage[: len(self.lineage)] == self.lineage


def chunk_text(text: str, *, document_id: str, owner: str, title: str, config: ChunkingConfig) -> list[Chunk]:
    """The document's chunks in reading order; none for blank text."""
    if not text.strip():
        return []
    sections = _sections(text)
    spans: list[tuple[int, int, tuple[str, ...]]] = []
    if config.strategy == "fixed":
        for start, end in _windows(text, 0, len(text), config, snap=False):
            in_force = [s for s in sections if s.start <= start]
            spans.append((start, end, in_force[-1].heading_path if in_force else ()))
    else:
        spans = _structured_spans(text, sections, config)
    return [
        Chunk(
            chunk_id=chunk_id(document_id, index),
            document_id=document_id,
            owner=owner,
            title=title,
            text=text[start:end],
            start=start,
            end=end,
            heading_path=path,
        )
        for index, (start, end, path) in enumerate(spans)
    ]


def chunk_id(document_id: str, ordinal: int) -> str:
    """The id of a document's `ordinal`-th chunk: stable across re-ingestion, and
    neighbours are found by arithmetic."""
    return f"{document_id}:{ordinal:05d}"


def chunk_ordinal(chunk_id: str) -> int:
    return int(chunk_id.rsplit(":", 1)[1])


def contextual_text(chunk: Chunk) -> str:
    """What search engines see for a chunk: its title and heading path, then its text.

    A chunk in the middle of a long section does not repeat the heading that gives it
    meaning; prepending it lets both keyword and vector search match on it.
    """
    first_line = chunk.text.lstrip().split("\n", 1)[0]
    context = [part for part in (chunk.title, *chunk.heading_path) if part and part not in first_line]
    if not context:
        return chunk.text
    return " > ".join(context) + "\n" + chunk.text


def sentence_groups(text: str, max_chars: int) -> list[str]:
    """Consecutive sentences (ended by `.`, `!`, `?` or a line break, as chunk windows end)
    packed into groups of at most `max_chars`; a longer sentence is a group of its own."""
    sentences: list[str] = []
    cursor = 0
    for match in _SENTENCE_END.finditer(text):
        sentences.append(text[cursor : match.end()].strip())
        cursor = match.end()
    sentences.append(text[cursor:].strip())
    groups: list[str] = []
    for sentence in filter(None, sentences):
        if groups and len(groups[-1]) + 1 + len(sentence) <= max_chars:
            groups[-1] += " " + sentence
        else:
            groups.append(sentence)
    return groups


def _sections(text: str) -> list[_Section]:
    """Spans from one heading line to the next, each with the heading path in force.

    Headings are what a CommonMark parser (markdown-it-py) reads as headings, ATX (`# x`) or
    setext (underlined): a `#` line inside a fenced or indented code block is code, not a heading.
    """
    sections: list[_Section] = []
    path: list[tuple[int, int, str]] = []  # (level, offset, name)
    start = 0
    for offset, level, name in _headings(text):
        if offset > start:
            sections.append(_section(start, offset, path))
        path = [entry for entry in path if entry[0] < level]
        path.append((level, offset, _clean_heading(name)))
        start = offset
    sections.append(_section(start, len(text), path))
    return [s for s in sections if text[s.start : s.end].strip()]


def _headings(text: str) -> list[tuple[int, int, str]]:
    """(offset of the heading's first line, level, text) of every heading, in order."""
    line_starts = [0, *(match.end() for match in _LINE_END.finditer(text))]
    tokens = _markdown_parser().parse(text)
    headings = []
    for opening, inline in itertools.pairwise(tokens):
        if opening.type == "heading_open" and opening.map is not None:
            headings.append((line_starts[opening.map[0]], int(opening.tag[1]), inline.content))
    return headings


@cache
def _markdown_parser() -> MarkdownIt:
    """Built on first use: retrieval imports this module for chunk ids, and a chat turn
    never parses Markdown."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def _section(start: int, end: int, path: list[tuple[int, int, str]]) -> _Section:
    return _Section(start, end, tuple(name for _, _, name in path), tuple(offset for _, offset, _ in path))


def _clean_heading(raw: str) -> str:
    return " ".join(raw.replace("*", "").replace("`", "").split())


def _structured_spans(
    text: str, sections: list[_Section], config: ChunkingConfig
) -> list[tuple[int, int, tuple[str, ...]]]:
    """Pack whole paragraphs into windows of at most `max_chars`.

    A window starts at a paragraph and takes the following ones while they fit and stay
    inside the section it started in (nested subsections included): a chunk is a piece
    of one branch of the outline, labelled with that branch's heading path. A window
    continuing the same section overlaps the previous one.
    """
    spans: list[tuple[int, int, tuple[str, ...]]] = []
    window: tuple[int, int, _Section] | None = None  # start, end, section it started in
    previous_section: _Section | None = None
    for section in sections:
        for p_start, p_end in _paragraphs(text, section.start, section.end):
            if window and p_end - window[0] <= config.max_chars and window[2].contains(section):
                window = (window[0], p_end, window[2])
                previous_section = section
                continue
            if p_end - p_start > config.max_chars:
                # One paragraph too long for a window: cut it, then start afresh after it.
                # Headings waiting for their content lead into the first piece.
                lead_in = window and window[2].contains(section) and _only_headings(text, *window[:2])
                cut_from = window[0] if window and lead_in else p_start
                if window and not lead_in:
                    spans.append((window[0], window[1], window[2].heading_path))
                pieces = _windows(text, cut_from, p_end, config, snap=True)
                spans.extend((start, end, section.heading_path) for start, end in pieces)
                window, previous_section = None, section
                continue
            if window:
                spans.append((window[0], window[1], window[2].heading_path))
            continues_section = section is previous_section and spans
            previous_section = section
            start = _overlap_start(text, spans[-1][:2], p_start, config) if continues_section else p_start
            window = (start, p_end, section)
    if window:
        spans.append((window[0], window[1], window[2].heading_path))
    return spans


def _only_headings(text: str, start: int, end: int) -> bool:
    blocks = [
        token.type
        for token in _markdown_parser().parse(text[start:end])
        if token.level == 0 and token.nesting != -1
    ]
    return all(block == "heading_open" for block in blocks)


def _overlap_start(text: str, previous: tuple[int, int], p_start: int, config: ChunkingConfig) -> int:
    """Start a window up to `overlap_chars` before `p_start`, on a sentence or word boundary
    inside the previous window, so the two share context."""
    earliest = max(previous[0] + 1, p_start - config.overlap_chars)
    if earliest >= p_start:
        return p_start
    candidate = _first_boundary_after(text, earliest, p_start)
    return candidate if candidate < p_start else p_start


def _first_boundary_after(text: str, lo: int, hi: int) -> int:
    sentence = _SENTENCE_END.search(text, lo, hi)
    if sentence:
        return _skip_space(text, sentence.end(), hi)
    space = text.find(" ", lo, hi)
    return _skip_space(text, space, hi) if space != -1 else hi


def _skip_space(text: str, position: int, limit: int) -> int:
    while position < limit and text[position].isspace():
        position += 1
    return position


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Non-blank paragraph spans in [start, end), trailing whitespace trimmed."""
    spans = []
    cursor = start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, end))
    trimmed = []
    for p_start, p_end in spans:
        stripped_end = p_start + len(text[p_start:p_end].rstrip())
        stripped_start = _skip_space(text, p_start, stripped_end)
        if stripped_start < stripped_end:
            trimmed.append((stripped_start, stripped_end))
    return trimmed


def _windows(text: str, start: int, end: int, config: ChunkingConfig, *, snap: bool) -> list[tuple[int, int]]:
    """Windows of at most `max_chars` over [start, end), overlapping by `overlap_chars`.

    With `snap`, a window ends on the last sentence end (else word break) in its final
    stretch, and the next one starts on a word boundary, so no word is cut in two.
    """
    windows: list[tuple[int, int]] = []
    cursor = start
    while cursor < end:
        window_end = min(cursor + config.max_chars, end)
        if snap and window_end < end:
            window_end = _last_boundary_before(text, cursor, window_end, config)
        windows.append((cursor, window_end))
        if window_end >= end:
            break
        next_start = max(window_end - config.overlap_chars, cursor + 1)
        if snap:
            next_start = _skip_space(text, _word_start(text, next_start, window_end), end)
        cursor = next_start
    return windows


def _last_boundary_before(text: str, start: int, end: int, config: ChunkingConfig) -> int:
    lowest = end - int(config.max_chars * _BOUNDARY_SEARCH)
    best = -1
    for match in _SENTENCE_END.finditer(text, max(start + 1, lowest), end):
        best = match.end()
    if best == -1:
        best = text.rfind(" ", max(start + 1, lowest), end)
    return best if best > start else end


def _word_start(text: str, position: int, limit: int) -> int:
    """`position`, moved forward to the start of the next word if it falls inside one."""
    while 0 < position < limit and not text[position - 1].isspace():
        position += 1
    return position
