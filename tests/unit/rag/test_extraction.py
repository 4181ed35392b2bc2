"""Text extraction: what each accepted format yields, and how bad files are refused."""

from __future__ import annotations

import pytest

from lambdas.core.rag.chunking import ChunkingConfig, chunk_text
from lambdas.core.rag.extraction import (
    CorruptDocument,
    EmptyDocument,
    UnsupportedDocumentType,
    extract_text,
)


def pdf_with_text(*lines: str) -> bytes:
    """A minimal one-page PDF showing `lines` in Helvetica, with a correct cross-reference table."""
    operations = " ".join(f"({line}) Tj 0 -16 Td" for line in lines)
    stream = f"BT /F1 12 Tf 72 720 Td {operations} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)


def test_plain_text_is_returned_with_unix_newlines() -> None:
    assert extract_text("notes.txt", b"first line\r\nsecond line\r\n") == "first line\nsecond line\n"


def test_markdown_is_returned_unchanged() -> None:
    markdown = "# Title\n\nSome *text*.\n\n## Section\n\nMore.\n"
    assert extract_text("guide.md", markdown.encode()) == markdown


def test_utf8_byte_order_mark_is_dropped() -> None:
    assert extract_text("bom.txt", "\ufeffhello".encode()) == "hello"


def test_utf16_text_with_byte_order_mark_is_decoded() -> None:
    assert extract_text("wide.txt", "héllo wörld".encode("utf-16")) == "héllo wörld"


def test_html_headings_become_markdown_heading_lines() -> None:
    html = b"<html><body><h1>Guide</h1><p>Intro text.</p><h2>Install</h2><p>Run it.</p></body></html>"
    assert extract_text("page.html", html) == "# Guide\n\nIntro text.\n\n## Install\n\nRun it."


def test_html_scripts_styles_and_head_are_not_text() -> None:
    html = b"<html><head><title>T</title><style>p{}</style></head><body><script>var x;</script>Body</body></html>"
    assert extract_text("page.htm", html) == "Body"


def test_html_list_items_become_bullets_and_entities_are_decoded() -> None:
    html = b"<ul><li>Fish &amp; chips</li><li>Tea</li></ul>"
    assert extract_text("menu.html", html) == "- Fish & chips\n\n- Tea"


def test_html_source_line_breaks_are_spaces_and_br_breaks_the_line() -> None:
    assert extract_text("a.html", b"<p>one\n   <b>two</b>\tthree<br>four</p>") == "one two three\nfour"


def test_html_preformatted_text_keeps_its_layout_as_a_fenced_code_block() -> None:
    assert (
        extract_text("code.html", b"<pre>def f():\n    return 1</pre>") == "```\ndef f():\n    return 1\n```"
    )


def test_html_structure_gives_chunks_their_heading_path_and_code_is_not_a_heading() -> None:
    page = (
        b"<html><head><title>t</title><script>var x;</script></head><body>"
        b"<h1>Guide</h1><p>Install first.</p><pre># install the tools\nmake install</pre>"
        b"<h2>Usage</h2><ul><li>Run it.</li><li>Stop it.</li></ul></body></html>"
    )
    text = extract_text("guide.html", page)
    chunks = chunk_text(
        text,
        document_id="d",
        owner="o",
        title="guide.html",
        config=ChunkingConfig(max_chars=60, overlap_chars=0),
    )

    assert [chunk.heading_path for chunk in chunks] == [("Guide",), ("Guide",), ("Guide", "Usage")]
    assert "# install the tools" in chunks[1].text
    assert chunks[-1].text.endswith("- Run it.\n\n- Stop it.")


def test_pdf_text_is_extracted_from_its_pages() -> None:
    text = extract_text("report.pdf", pdf_with_text("Quarterly revenue grew", "by twelve percent"))
    assert "Quarterly revenue grew" in text
    assert "by twelve percent" in text


def test_unknown_extension_is_refused_naming_the_accepted_formats() -> None:
    with pytest.raises(UnsupportedDocumentType, match=r"\.docx.*accepted: \.htm, \.html, \.markdown"):
        extract_text("letter.docx", b"PK\x03\x04")


def test_binary_content_behind_a_text_extension_is_refused() -> None:
    with pytest.raises(UnsupportedDocumentType, match="binary data"):
        extract_text("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_text_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(UnsupportedDocumentType, match="not UTF-8"):
        extract_text("legacy.txt", "café".encode("latin-1"))


def test_a_pdf_renamed_to_txt_is_refused() -> None:
    with pytest.raises(UnsupportedDocumentType, match=r"upload it with a \.pdf name"):
        extract_text("report.txt", pdf_with_text("hello"))


def test_pdf_without_the_pdf_signature_is_corrupt() -> None:
    with pytest.raises(CorruptDocument, match="signature is missing"):
        extract_text("report.pdf", b"just some text pretending")


def test_truncated_pdf_is_corrupt() -> None:
    with pytest.raises(CorruptDocument, match="damaged PDF"):
        extract_text("broken.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")


def test_empty_file_is_refused() -> None:
    with pytest.raises(EmptyDocument, match="empty"):
        extract_text("empty.md", b"")


def test_whitespace_only_file_is_empty() -> None:
    with pytest.raises(EmptyDocument):
        extract_text("blank.txt", b" \n\t\n")


def test_html_without_visible_text_is_empty() -> None:
    with pytest.raises(EmptyDocument, match="no readable text"):
        extract_text(
            "blank.html", b"<html><head><title>x</title></head><body><script>1</script></body></html>"
        )


def test_pdf_without_text_is_empty() -> None:
    with pytest.raises(EmptyDocument, match="no extractable text"):
        extract_text("scan.pdf", pdf_with_text())
