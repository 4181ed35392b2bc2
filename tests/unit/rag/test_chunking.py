"""Chunking strategies: fixed windows with overlap, and structure-aware sections."""

from itertools import pairwise
from typing import Any

import pytest

from lambdas.core.models import Chunk
from lambdas.core.rag.chunking import (
    ChunkingConfig,
    chunk_id,
    chunk_ordinal,
    chunk_text,
    contextual_text,
    sentence_groups,
)

MARKDOWN = """# Guide

Intro paragraph about the guide.

## Install

Run the installer. It takes a minute.

### Linux

Use the package manager on Linux.

## Usage

Start the service and open the page.
"""


def _chunks(text: str, **config: Any) -> list[Chunk]:
    return chunk_text(
        text, document_id="doc-1", owner="alice", title="Guide", config=ChunkingConfig(**config)
    )


def _long_text(sentences: int) -> str:
    return " ".join(f"Sentence number {n} says something useful." for n in range(sentences))


@pytest.mark.parametrize("strategy", ["fixed", "structure"])
def test_every_chunk_offset_points_at_its_text(strategy: str) -> None:
    text = MARKDOWN + "\n" + _long_text(80)

    chunks = _chunks(text, strategy=strategy, max_chars=300, overlap_chars=60)

    assert chunks
    assert all(text[c.start : c.end] == c.text for c in chunks)


@pytest.mark.parametrize("strategy", ["fixed", "structure"])
def test_no_chunk_exceeds_the_maximum_size(strategy: str) -> None:
    chunks = _chunks(MARKDOWN + _long_text(80), strategy=strategy, max_chars=200, overlap_chars=40)

    assert max(len(c.text) for c in chunks) <= 200


@pytest.mark.parametrize("strategy", ["fixed", "structure"])
def test_blank_text_has_no_chunks(strategy: str) -> None:
    assert _chunks(" \n\n\t", strategy=strategy) == []


def test_fixed_windows_overlap_by_the_configured_amount() -> None:
    text = "x" * 1000

    chunks = _chunks(text, strategy="fixed", max_chars=400, overlap_chars=100)

    assert [(c.start, c.end) for c in chunks] == [(0, 400), (300, 700), (600, 1000)]


def test_fixed_windows_carry_the_heading_in_force_at_their_start() -> None:
    usage_heading_at = MARKDOWN.index("## Usage")

    chunks = _chunks(MARKDOWN, strategy="fixed", max_chars=60, overlap_chars=0)

    after_usage = [c.heading_path for c in chunks if c.start >= usage_heading_at]
    assert after_usage
    assert set(after_usage) == {("Guide", "Usage")}


def test_structure_chunks_keep_the_path_of_nested_headings() -> None:
    chunks = _chunks(MARKDOWN, max_chars=60, overlap_chars=0)

    linux = next(c for c in chunks if "package manager" in c.text)
    assert linux.heading_path == ("Guide", "Install", "Linux")


def test_structure_chunks_take_nested_sections_but_never_straddle_siblings() -> None:
    siblings = MARKDOWN[MARKDOWN.index("## Install") :]

    chunks = _chunks(siblings, max_chars=1000, overlap_chars=100)

    assert [c.heading_path for c in chunks] == [("Install",), ("Usage",)]
    assert "package manager" in chunks[0].text


def test_structure_chunks_join_small_paragraphs_of_one_section() -> None:
    text = "## Notes\n\nFirst short paragraph.\n\nSecond short paragraph.\n"

    assert [c.text for c in _chunks(text, max_chars=500, overlap_chars=50)] == [text.rstrip()]


def test_a_long_paragraph_is_cut_on_sentence_boundaries_with_overlap() -> None:
    text = _long_text(40)

    chunks = _chunks(text, max_chars=300, overlap_chars=60)

    assert len(chunks) > 1
    assert all(c.text.endswith(".") for c in chunks[:-1])
    assert all(later.start < earlier.end for earlier, later in pairwise(chunks))


def test_chunks_carry_document_owner_and_title() -> None:
    chunk = _chunks(MARKDOWN)[0]

    assert (chunk.document_id, chunk.owner, chunk.title) == ("doc-1", "alice", "Guide")


def test_chunk_ids_are_ordinal_so_neighbours_are_found_by_arithmetic() -> None:
    chunks = _chunks(MARKDOWN, max_chars=60, overlap_chars=0)

    assert [chunk_ordinal(c.chunk_id) for c in chunks] == list(range(len(chunks)))
    assert chunks[1].chunk_id == chunk_id("doc-1", 1)


def test_contextual_text_prefixes_title_and_headings_not_already_in_the_chunk() -> None:
    chunk = Chunk("d:00001", "d", "alice", "Guide", "Use the package manager.", 0, 24, ("Install", "Linux"))

    assert contextual_text(chunk) == "Guide > Install > Linux\nUse the package manager."


@pytest.mark.parametrize(("max_chars", "overlap_chars"), [(40, 0), (100, 50), (100, -1)])
def test_invalid_sizes_are_refused(max_chars: int, overlap_chars: int) -> None:
    with pytest.raises(ValueError):
        ChunkingConfig(max_chars=max_chars, overlap_chars=overlap_chars)


def test_a_hash_comment_inside_a_fenced_code_block_is_code_not_a_heading() -> None:
    text = (
        "# Deploy\n\nRun these commands.\n\n```bash\n# install the dependencies first\nmake install\n```\n\n"
        "## Verify\n\nOpen the page.\n"
    )
    chunks = chunk_text(
        text, document_id="d", owner="o", title="t", config=ChunkingConfig(max_chars=60, overlap_chars=0)
    )

    paths = {chunk.text.strip().splitlines()[0]: chunk.heading_path for chunk in chunks}
    assert all("install the dependencies first" not in " ".join(path) for path in paths.values())
    assert any("# install the dependencies first" in chunk.text for chunk in chunks)
    assert chunks[-1].heading_path == ("Deploy", "Verify")


def test_setext_headings_count_as_headings() -> None:
    text = "Guide\n=====\n\nIntro text that fills most of a small chunk.\n\nUsage\n-----\n\nCall it.\n"
    chunks = chunk_text(
        text, document_id="d", owner="o", title="t", config=ChunkingConfig(max_chars=50, overlap_chars=0)
    )

    assert chunks[-1].heading_path == ("Guide", "Usage")


def test_sentence_groups_pack_whole_sentences_up_to_the_size() -> None:
    text = "One two. Three four!\nFive six? Seven."

    assert sentence_groups(text, max_chars=20) == ["One two. Three four!", "Five six? Seven."]


def test_a_sentence_longer_than_the_size_is_a_group_of_its_own() -> None:
    assert sentence_groups("Short. " + "x" * 30 + ". End.", max_chars=10) == [
        "Short.",
        "x" * 30 + ".",
        "End.",
    ]


def test_blank_text_has_no_sentence_groups() -> None:
    assert sentence_groups(" \n\n ", max_chars=100) == []
