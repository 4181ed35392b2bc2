"""The documents panel: upload by the file picker, watch ingestion reach READY, ask about it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.chat import ANSWER, ask, open_chat, wait_for_answer

pytestmark = pytest.mark.network

HANDBOOK = """# Zephyr gateway handbook

## Key rotation

The Zephyr gateway rotates its signing keys every 90 days and keeps the previous key for one
week, so tokens signed just before a rotation stay valid.

## Throughput

A single Zephyr gateway node forwards up to 4,000 requests per second.
"""


def test_uploaded_document_reaches_ready_and_answers_cite_it(page: Page, screenshot, tmp_path: Path) -> None:
    handbook = tmp_path / "zephyr-handbook.md"
    handbook.write_text(HANDBOOK)
    page.click("#open-documents")

    page.set_input_files("#file-input", str(handbook))

    item = page.locator('.document[data-filename="zephyr-handbook.md"]')
    expect(item).to_have_attribute("data-status", "READY", timeout=120_000)
    expect(item).to_contain_text("Ready")
    screenshot(page, "documents")
    page.click("#close-documents")
    ask(page, "How often does the Zephyr gateway rotate its signing keys?")
    wait_for_answer(page)
    answer = page.locator(ANSWER).last
    expect(answer.locator(".content")).to_contain_text("every 90 days")
    expect(answer.locator(".sources .source", has_text="zephyr-handbook.md")).to_be_visible()


def test_deleting_a_document_removes_it_from_the_panel(page: Page, tmp_path: Path) -> None:
    notes = tmp_path / "scratch-notes.txt"
    notes.write_text("Scratch notes that are about to be deleted.")
    page.click("#open-documents")
    page.set_input_files("#file-input", str(notes))
    item = page.locator('.document[data-filename="scratch-notes.txt"]')
    expect(item).to_have_attribute("data-status", "READY", timeout=120_000)

    item.get_by_role("button", name="Delete scratch-notes.txt").click()

    expect(item).to_have_count(0)


DROP_FILE = """(name) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File(["Dropped notes: the Zephyr gateway logs to its own bucket."], name, { type: "text/plain" }));
  return transfer;
}"""


def test_a_file_dropped_on_the_panel_is_uploaded(page: Page) -> None:
    page.click("#open-documents")
    transfer = page.evaluate_handle(DROP_FILE, "dropped-notes.txt")

    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})

    item = page.locator('.document[data-filename="dropped-notes.txt"]')
    expect(item).to_have_attribute("data-status", "READY", timeout=120_000)


def test_a_document_that_cannot_be_read_shows_failed_with_its_reason(page: Page, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"this is not a PDF at all")
    page.click("#open-documents")

    page.set_input_files("#file-input", str(broken))

    item = page.locator('.document[data-filename="broken.pdf"]')
    expect(item).to_have_attribute("data-status", "FAILED", timeout=120_000)
    expect(item.locator(".document-reason")).not_to_be_empty()


def test_a_document_being_embedded_shows_its_progress(blank_page: Page, server, screenshot) -> None:
    processing = {
        "id": "doc-1",
        "filename": "manual.md",
        "content_type": "text/markdown",
        "size_bytes": 90_000,
        "status": "PROCESSING",
        "reason": "",
        "chunk_count": 0,
        "chunks_total": 40,
        "chunks_embedded": 12,
        "created_at": "2026-11-20T10:00:00.000Z",
        "updated_at": "2026-11-20T10:00:05.000Z",
    }
    blank_page.route("**/v1/documents", lambda route: route.fulfill(json={"documents": [processing]}))
    open_chat(blank_page, server.base_url)
    blank_page.click("#open-documents")

    item = blank_page.locator('.document[data-filename="manual.md"]')
    expect(item.locator(".document-progress")).to_contain_text("12/40 chunks")
    expect(item.locator("progress")).to_have_attribute("value", "12")
    screenshot(blank_page, "document-progress")


def test_the_page_says_it_is_still_indexing_until_the_upload_is_ready(page: Page, tmp_path: Path) -> None:
    notes = tmp_path / "indexing-notes.md"
    notes.write_text(HANDBOOK)
    note = page.locator("#indexing-note")
    page.click("#open-documents")

    page.set_input_files("#file-input", str(notes))

    expect(note).to_contain_text("Still indexing", timeout=30_000)
    expect(page.locator('.document[data-filename="indexing-notes.md"]')).to_have_attribute(
        "data-status", "READY", timeout=120_000
    )
    expect(note).to_be_hidden()


def test_a_documents_answer_that_is_not_json_is_reported_not_thrown(blank_page: Page, server) -> None:
    # A success with a body that is not JSON (a proxy's error page, a body cut off): the panel says
    # so and stays usable; the fixture fails the test on any uncaught error in the page.
    blank_page.route(
        "**/v1/documents",
        lambda route: route.fulfill(body="<html>gateway page</html>", content_type="text/html"),
    )
    open_chat(blank_page, server.base_url)

    expect(blank_page.locator(".toast.error")).to_contain_text(
        "Documents: The service's answer could not be read"
    )
    blank_page.click("#open-documents")
    expect(blank_page.locator("#documents-empty")).to_be_visible()
