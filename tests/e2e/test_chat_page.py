"""The chat page as a person uses it: ask, watch the answer stream, open sources, manage conversations."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, Route, WebSocketRoute, expect

from tests.e2e.chat import ANSWER, QUESTION, answering, ask, open_chat, wait_for_answer

pytestmark = __import__("pytest").mark.network

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


UNAVAILABLE = {"error": {"code": "unavailable", "message": "The service is briefly unavailable."}}


def test_a_conversation_list_that_fails_once_is_asked_for_again(blank_page: Page, server) -> None:
    listed = {"conversations": [{"id": "c-retried", "title": "Listed on the second try"}]}
    calls: list[str] = []

    def answer(route: Route) -> None:
        calls.append(route.request.method)
        if len(calls) == 1:
            route.fulfill(status=503, json=UNAVAILABLE)
        else:
            route.fulfill(json=listed)

    blank_page.route("**/v1/conversations", answer)
    open_chat(blank_page, server.base_url)

    expect(blank_page.locator(".conversation", has_text="Listed on the second try")).to_have_count(1)
    expect(blank_page.locator(".toast.error")).to_have_count(0)
    assert calls == ["GET", "GET"]


def test_a_conversation_list_that_keeps_failing_is_reported_after_two_more_tries(
    blank_page: Page, server
) -> None:
    calls: list[str] = []

    def answer(route: Route) -> None:
        calls.append(route.request.method)
        route.fulfill(status=503, json=UNAVAILABLE)

    blank_page.route("**/v1/conversations", answer)
    open_chat(blank_page, server.base_url)

    expect(blank_page.locator(".toast.error")).to_contain_text(
        "Conversations: The service is briefly unavailable."
    )
    assert calls == ["GET", "GET", "GET"]


def test_a_failed_change_is_not_sent_again(page: Page) -> None:
    ask(page, "A conversation whose rename fails")
    wait_for_answer(page)
    renames: list[str] = []

    def answer(route: Route) -> None:
        if route.request.method != "PATCH":
            route.fallback()
            return
        renames.append(route.request.method)
        route.fulfill(status=503, json=UNAVAILABLE)

    page.route("**/v1/conversations/*", answer)
    item = page.locator(".conversation", has_text="A conversation whose rename fails")
    item.get_by_role("button", name=re.compile("^Rename")).click()
    page.fill(".conversation-rename", "Never renamed")
    page.keyboard.press("Enter")

    expect(page.locator(".toast.error", has_text="The service is briefly unavailable.")).to_have_count(1)
    assert renames == ["PATCH"]


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


def test_copy_puts_the_answer_on_the_clipboard(page: Page) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    ask(page, QUESTION)
    wait_for_answer(page)

    page.locator(ANSWER).last.get_by_role("button", name="Copy answer").click()

    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Offline mode: no language model is configured" in copied


def test_retry_asks_the_same_question_again(page: Page) -> None:
    ask(page, "A question worth asking twice")
    wait_for_answer(page)

    page.locator(ANSWER).last.get_by_role("button", name="Ask again").click()

    expect(page.locator(".message.user")).to_have_text(["A question worth asking twice"] * 2)
    expect(page.locator(ANSWER)).to_have_count(2)
    wait_for_answer(page)


def test_model_picker_shows_each_models_price(blank_page: Page, server) -> None:
    catalog = {
        "default_model": "anthropic.claude-3-5-haiku",
        "models": [
            {
                "id": "anthropic.claude-3-5-haiku",
                "provider": "bedrock",
                "display_name": "Claude 3.5 Haiku",
                "context_window": 200000,
                "input_per_1k_usd": 0.0008,
                "output_per_1k_usd": 0.004,
            }
        ],
    }
    blank_page.route("**/v1/models", lambda route: route.fulfill(json=catalog))

    open_chat(blank_page, server.base_url)

    expect(blank_page.locator("#model-select option")).to_have_text(
        "Claude 3.5 Haiku · $0.0008 / $0.004 per 1K"
    )


MARKUP = 'Markup: <img src=x onerror="window.pwned=1"> and <script>window.pwned=2</script> as text.'


def test_markup_in_an_answer_renders_as_inert_text(blank_page: Page, server) -> None:
    blank_page.route_web_socket("**/ws", answering(MARKUP))
    open_chat(blank_page, server.base_url)

    ask(blank_page, "Show me some markup")
    wait_for_answer(blank_page)

    content = blank_page.locator(f"{ANSWER} .content").last
    expect(content).to_contain_text('<img src=x onerror="window.pwned=1">')
    expect(content).to_contain_text("<script>window.pwned=2</script>")
    expect(content.locator("img, script")).to_have_count(0)
    assert blank_page.evaluate("window.pwned") is None


DROPPED_QUESTION = "What happens to an answer when the connection drops?"


def drop_after_the_first_delta(socket: WebSocketRoute) -> None:
    server = socket.connect_to_server()

    def forward(message: str | bytes) -> None:
        socket.send(message)
        if json.loads(message)["type"] == "delta":
            socket.close()
            server.close()

    server.on_message(forward)


def test_dropped_connection_shows_an_error_and_the_partial_answer_is_kept_incomplete(
    blank_page: Page, server
) -> None:
    blank_page.route_web_socket("**/ws", drop_after_the_first_delta)
    open_chat(blank_page, server.base_url)

    ask(blank_page, DROPPED_QUESTION)

    answer = blank_page.locator(ANSWER).last
    expect(answer).to_have_attribute("data-state", "error")
    expect(answer.get_by_role("alert")).to_contain_text("connection dropped")
    expect(answer.get_by_role("button", name="Retry")).to_be_visible()
    blank_page.wait_for_function(
        """async (question) => {
          const { conversations } = await (await fetch("/v1/conversations")).json();
          return conversations.some((c) => c.title === question && c.message_count === 2);
        }""",
        arg=DROPPED_QUESTION,
        polling=200,
    )
    open_chat(blank_page, server.base_url)
    blank_page.locator(".conversation-open", has_text=DROPPED_QUESTION).click()
    expect(blank_page.locator(ANSWER)).to_have_attribute("data-state", "incomplete")
    expect(blank_page.locator(ANSWER)).to_contain_text("Incomplete answer")
