"""The chat page as a person uses it: ask, watch the answer stream, open sources, manage conversations."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

pytestmark = __import__("pytest").mark.network

QUESTION = "How does local mode run without an AWS account?"
ANSWER = ".message.assistant"

# Records the answer text each time the page renders it while the answer is still streaming.
RECORD_PARTIAL_RENDERS = """
() => {
  window.partialRenders = [];
  new MutationObserver(() => {
    const answer = document.querySelector('.message.assistant[data-state="streaming"] .content');
    if (answer && answer.textContent) window.partialRenders.push(answer.textContent);
  }).observe(document.getElementById('messages'), { childList: true, subtree: true, characterData: true });
}
"""


def ask(page: Page, question: str) -> None:
    page.fill("#prompt", question)
    page.keyboard.press("Enter")


def wait_for_answer(page: Page) -> None:
    expect(page.locator(ANSWER).last).to_have_attribute("data-state", "done", timeout=60_000)


def test_empty_state_offers_suggestions_and_labels_the_development_user(page: Page, screenshot) -> None:
    expect(page.locator("#empty-state")).to_be_visible()
    expect(page.locator(".suggestion")).to_have_count(4)
    expect(page.locator("#user-badge")).to_contain_text("Development user")
    expect(page.locator("#mode-badge")).to_contain_text("Extractive")
    expect(page.locator("#model-select option").first).to_contain_text("free")
    screenshot(page, "empty")


def test_answer_streams_in_before_the_final_render(page: Page, screenshot) -> None:
    page.evaluate(RECORD_PARTIAL_RENDERS)

    ask(page, QUESTION)

    streaming = page.locator(f'{ANSWER}[data-state="streaming"] .content')
    expect(streaming).not_to_be_empty(timeout=30_000)
    screenshot(page, "streaming")
    wait_for_answer(page)
    final = page.locator(f"{ANSWER} .content").last.text_content()
    partials = page.evaluate("window.partialRenders")
    distinct = [text for text in dict.fromkeys(partials) if text != final]
    assert len(distinct) > 1, f"expected several partial renders, saw {distinct!r}"
    assert [len(text) for text in distinct] == sorted(len(text) for text in distinct), "text only grows"


def test_answer_shows_sources_tokens_and_cost(page: Page, screenshot) -> None:
    ask(page, QUESTION)
    wait_for_answer(page)

    answer = page.locator(ANSWER).last
    expect(answer.locator(".sources .source").first).to_be_visible()
    expect(answer.locator(".metrics")).to_contain_text(re.compile(r"Tokens.*in.*out"))
    expect(answer.locator(".metrics")).to_contain_text("Cost")
    screenshot(page, "answered-with-citations")


def test_citation_marker_opens_the_cited_passage_and_its_document(page: Page, screenshot) -> None:
    ask(page, QUESTION)
    wait_for_answer(page)

    page.locator(f"{ANSWER} .content .cite").first.click()

    dialog = page.locator("#citation-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#citation-snippet")).not_to_be_empty()
    expect(dialog.locator("#citation-document")).to_contain_text("Document")
    screenshot(page, "citation")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_switching_conversations_shows_each_ones_messages(page: Page) -> None:
    ask(page, "What is the first conversation about?")
    wait_for_answer(page)
    page.click("#new-chat")
    ask(page, "And what is the second one about?")
    wait_for_answer(page)

    page.locator(".conversation-open", has_text="What is the first conversation about?").click()

    expect(page.locator(".message.user")).to_have_count(1)
    expect(page.locator(".message.user")).to_have_text("What is the first conversation about?")
    expect(page.locator("#chat-title")).to_have_text("What is the first conversation about?")


def test_deleting_a_conversation_removes_it_from_the_list(page: Page) -> None:
    ask(page, "A conversation to delete")
    wait_for_answer(page)
    item = page.locator(".conversation", has_text="A conversation to delete")
    expect(item).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())

    item.get_by_role("button", name=re.compile("^Delete")).click()

    expect(item).to_have_count(0)
    expect(page.locator("#empty-state")).to_be_visible()


def test_renaming_a_conversation_updates_the_list_and_the_title(page: Page) -> None:
    ask(page, "A conversation to rename")
    wait_for_answer(page)
    item = page.locator(".conversation", has_text="A conversation to rename")

    item.get_by_role("button", name=re.compile("^Rename")).click()
    page.fill(".conversation-rename", "Renamed conversation")
    page.keyboard.press("Enter")

    expect(page.locator(".conversation", has_text="Renamed conversation")).to_have_count(1)
    expect(page.locator("#chat-title")).to_have_text("Renamed conversation")


def test_shift_enter_adds_a_new_line_instead_of_sending(page: Page) -> None:
    page.fill("#prompt", "first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")

    expect(page.locator("#prompt")).to_have_value("first line\nsecond line")
    expect(page.locator(".message")).to_have_count(0)


def test_stop_ends_the_answer_and_marks_it_incomplete(page: Page) -> None:
    ask(page, QUESTION)
    expect(page.locator(f'{ANSWER}[data-state="streaming"] .content')).not_to_be_empty(timeout=30_000)

    page.click("#stop")

    expect(page.locator(ANSWER).last).to_have_attribute("data-state", "incomplete")
    expect(page.locator(ANSWER).last).to_contain_text("Incomplete answer")
    expect(page.locator("#send")).to_be_visible()


def test_phone_width_hides_the_sidebar_behind_a_menu_button(page: Page, screenshot) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    ask(page, QUESTION)
    wait_for_answer(page)
    screenshot(page, "phone")

    expect(page.locator("#open-sidebar")).to_be_visible()
    page.click("#open-sidebar")

    expect(page.locator("#conversation-list")).to_be_in_viewport()
    screenshot(page, "phone-sidebar")


def test_dark_theme_is_applied_and_remembered(page: Page, screenshot) -> None:
    ask(page, QUESTION)
    wait_for_answer(page)

    page.click("#theme-toggle")

    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    screenshot(page, "dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
