"""HTML to the Markdown outline structure-aware chunking reads.

The page is parsed by Lexbor (through selectolax), an HTML5 parser that follows the WHATWG
specification, so unclosed tags, stray end tags and entities are repaired the way browsers
repair them. The visible text becomes Markdown blocks: headings as `#` lines, lists as
bullets or numbers indented by depth, table rows as lines of cells, preformatted text as
fenced code. Scripts, styles, templates, `<noscript>`, the `<head>` and hidden elements
(`hidden`, `aria-hidden="true"`, inline `display: none` or `visibility: hidden`) are not
text. Lines of ordinary text that Markdown would read as headings are escaped, so only the
page's own headings shape the outline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SKIPPED = frozenset({"script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object"})
_BLOCKS = frozenset(
    """
    p div section article main header footer nav aside blockquote address details summary dl dt dd
    figure figcaption hr form fieldset legend caption center pre table ul ol li
    """.split()  # noqa: SIM905 - a tag list reads best as prose
)
_LISTS = frozenset({"ul", "ol", "menu"})
_BREAKS = _BLOCKS | _LISTS | {"br"}
_CELLS = frozenset({"td", "th"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SPACES = re.compile(r"[^\S\n]+")
# Lines CommonMark would read as an ATX heading or a setext underline.
_HEADING_LIKE = re.compile(r"^(#{1,6}(?:\s|$)|=+\s*$|-+\s*$)")
_LIST_MARKER = re.compile(r"^ *(?:- |\d+\. )")
_MARKER_ONLY = re.compile(r"\s*(?:-|\d+\.)\s*")
_BACKTICK_RUN = re.compile(r"`+")


def html_outline(markup: str) -> str:
    """The page's visible text as Markdown blocks separated by blank lines."""
    tree = LexborHTMLParser(markup)
    start = tree.body or tree.root
    outline = _Outline()
    if start is not None:
        for node, entering in _walk(start):
            if entering:
                outline.open(node)
            else:
                outline.close(node)
    return outline.text()


def _walk(top: LexborNode) -> Iterator[tuple[LexborNode, bool]]:
    """Depth-first (node, entering) events over visible nodes, without recursion (pages nest deeply)."""
    stack: list[tuple[LexborNode, bool]] = [(top, True)]
    while stack:
        node, entering = stack.pop()
        if not entering:
            yield node, False
            continue
        if node.is_text_node:
            yield node, True
            continue
        if not node.is_element_node or _invisible(node):
            continue
        yield node, True
        stack.append((node, False))
        stack.extend((child, True) for child in reversed(list(node.iter(include_text=True))))


def _invisible(node: LexborNode) -> bool:
    if node.tag in _SKIPPED:
        return True
    attributes = node.attributes
    if "hidden" in attributes or (attributes.get("aria-hidden") or "").lower() == "true":
        return True
    return bool(_HIDDEN_STYLE.search(attributes.get("style") or ""))


@dataclass
class _Outline:
    """Collects blocks as the walk opens and closes elements."""

    blocks: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    lists: list[list[int]] = field(default_factory=list)
    """Open lists, innermost last: [next number] for an ordered list, [] for bullets."""
    pre_depth: int = 0
    heading_level: int = 0
    row_start: int = 0
    """Where the open table row's text begins in `current`: empty cells add no separator."""
    cell_depth: int = 0

    def open(self, node: LexborNode) -> None:
        if node.is_text_node:
            self._text(node.text_content or "")
            return
        tag = node.tag or ""
        if tag in _CELLS:
            row = "".join(self.current[self.row_start :]).rstrip()
            if row and not row.endswith("|"):
                self.current.append(" | ")
            self.cell_depth += 1
        elif self.cell_depth:
            # Inside a cell blocks are only spaces, so that a row stays one line.
            if tag in _BREAKS or tag in _HEADINGS:
                self.current.append(" ")
        elif tag in _HEADINGS:
            self._flush()
            self.heading_level = _HEADINGS[tag]
        elif tag == "br":
            self.current.append("\n")
        elif tag == "tr":
            self.row_start = len(self.current)
        elif tag in _BLOCKS or tag in _LISTS:
            # A paragraph opening a list item continues the item's line, after its bullet.
            if tag in _LISTS or tag == "li" or not _MARKER_ONLY.fullmatch("".join(self.current)):
                self._flush()
            self._open_block(tag)

    def close(self, node: LexborNode) -> None:
        tag = node.tag or ""
        if tag in _CELLS:
            self.cell_depth -= 1
            return
        if self.cell_depth:
            return
        if tag == "tr":
            # A row is one line; the table is one block.
            self.current.append("\n")
        elif tag in _HEADINGS or tag in _BLOCKS or tag in _LISTS:
            self._flush()
        if tag == "pre":
            self.pre_depth -= 1
        elif tag in _LISTS:
            self.lists.pop()

    def text(self) -> str:
        self._flush()
        return "\n\n".join(self.blocks)

    def _open_block(self, tag: str) -> None:
        if tag == "pre":
            self.pre_depth += 1
        elif tag in _LISTS:
            self.lists.append([1] if tag == "ol" else [])
        elif tag == "li":
            self.current.append(self._marker())

    def _marker(self) -> str:
        indent = "  " * max(0, len(self.lists) - 1)
        if not self.lists or not self.lists[-1]:
            return f"{indent}- "
        number = self.lists[-1][0]
        self.lists[-1][0] += 1
        return f"{indent}{number}. "

    def _text(self, data: str) -> None:
        # Outside <pre>, a source newline is just a space; only <br> and rows break a line.
        self.current.append(data if self.pre_depth else data.replace("\n", " "))

    def _flush(self) -> None:
        raw = "".join(self.current)
        self.current = []
        if self.pre_depth:
            block = _fenced(raw.strip("\n"))
        elif self.heading_level:
            words = " ".join(raw.split())
            block = f"{'#' * self.heading_level} {words}" if words else ""
        else:
            block = "\n".join(_plain_line(line) for line in raw.split("\n") if line.strip())
        self.heading_level = 0
        if block.strip() and not _MARKER_ONLY.fullmatch(block):
            self.blocks.append(block)


def _fenced(code: str) -> str:
    """Code as a fenced block whose fence is longer than any backtick run inside it."""
    if not code.strip():
        return ""
    fence = "`" * max(3, 1 + max((len(run) for run in _BACKTICK_RUN.findall(code)), default=0))
    return f"{fence}\n{code}\n{fence}"


def _plain_line(line: str) -> str:
    """A line of text with its spaces collapsed, the list marker's indentation kept, and
    escaped where Markdown would read it as a heading."""
    marker = _LIST_MARKER.match(line)
    prefix = marker.group() if marker else ""
    words = _SPACES.sub(" ", line[len(prefix) :]).strip()
    return prefix + ("\\" + words if _HEADING_LIKE.match(words) else words)
