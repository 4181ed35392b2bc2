"""What a person does on the chat page, shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect

ANSWER = ".message.assistant"
QUESTION = "How does local mode run without an AWS account?"


def open_chat(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    # Generous: the first page of a session waits for the server to build its services.
    page.wait_for_selector("#model-select option", state="attached", timeout=90_000)


def ask(page: Page, question: str) -> None:
    page.fill("#prompt", question)
    page.keyboard.press("Enter")


def wait_for_answer(page: Page) -> None:
    expect(page.locator(ANSWER).last).to_have_attribute("data-state", "done", timeout=60_000)
