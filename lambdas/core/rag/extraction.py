"""Plain text out of an uploaded file (.txt, .md, .html, .pdf).

The declared extension picks the format, then the bytes must agree with it: a PDF must
carry the PDF signature and parse, a text format must decode as Unicode and contain no
binary data. HTML becomes a Markdown outline (`html_outline`), so structure-aware
chunking sees the same structure for HTML as for Markdown.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from pathlib import PurePosixPath

from lambdas.core.errors import InvalidRequest

CONTENT_TYPES: Mapping[str, str] = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
}
"""Accepted extensions and the content type each must be uploaded with."""

_PDF_SIGNATURE = b"%PDF-"
_PDF_HEADER_WINDOW = 1024  # readers accept the signature anywhere in the first KiB
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class UnsupportedDocumentType(InvalidRequest):
    """The file is not one of the accepted formats, or its content is not what its name says."""


class EmptyDocument(InvalidRequest):
    """The file holds no text to index."""


class CorruptDocument(InvalidRequest):
    """The file claims a format but cannot be read as one."""


def extension_of(filename: str) -> str:
    """The lower-cased extension of `filename`, refusing formats we cannot ingest."""
    extension = PurePosixPath(filename).suffix.lower()
    if extension not in CONTENT_TYPES:
        accepted = ", ".join(sorted(CONTENT_TYPES))
        raise UnsupportedDocumentType(
            f"{filename!r} is not a supported format; accepted: {accepted}", field="filename"
        )
    return extension


def _html_text(html: str) -> str:
    # Imported here: the HTML parser is a compiled library only ingestion needs, not the API's uploads.
    from lambdas.core.rag.html_outline import html_outline

    return html_outline(html)


def extract_text(filename: str, data: bytes) -> str:
    """The document's text; raises UnsupportedDocumentType, EmptyDocument or CorruptDocument."""
    extension = extension_of(filename)
    if not data.strip():
        raise EmptyDocument(f"{filename} is empty")
    if extension == ".pdf":
        text = _pdf_text(filename, data)
    else:
        decoded = _decode_text(filename, data)
        text = _html_text(decoded) if extension in (".html", ".htm") else decoded
    text = _normalise_newlines(text)
    if not text.strip():
        raise EmptyDocument(f"{filename} contains no readable text")
    return text


def _decode_text(filename: str, data: bytes) -> str:
    if data.lstrip().startswith(_PDF_SIGNATURE):
        raise UnsupportedDocumentType(f"{filename} is a PDF file; upload it with a .pdf name")
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise UnsupportedDocumentType(f"{filename} is not valid UTF-16 text") from error
    if b"\x00" in data:
        raise UnsupportedDocumentType(f"{filename} is not a text file: it contains binary data")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnsupportedDocumentType(
            f"{filename} is not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from error


def _pdf_text(filename: str, data: bytes) -> str:
    if _PDF_SIGNATURE not in data[:_PDF_HEADER_WINDOW]:
        raise CorruptDocument(f"{filename} is not a PDF: the PDF signature is missing")
    # Imported here: pypdf is the heaviest import of the API handler, and only ingestion reads PDFs.
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf logs recoverable defects at WARNING; they say nothing a user could act on.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorruptDocument(f"{filename} is password-protected; upload an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except CorruptDocument:
        raise
    # pypdf surfaces damaged files as assorted exception types, not only PyPdfError.
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as error:
        raise CorruptDocument(f"{filename} is a damaged PDF and cannot be read") from error
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise EmptyDocument(f"{filename} has no extractable text (a scanned PDF needs OCR first)")
    return text


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
