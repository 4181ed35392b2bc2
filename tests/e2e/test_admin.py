"""The admin view: an administrator sets a user's daily budget; that user sees the new figure and
is refused once past it. Local mode makes the development user an administrator."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.chat import ANSWER, ask, open_chat, wait_for_answer

pytestmark = pytest.mark.network
BUDGET = 60
"""Tokens: one answered question uses more."""


def test_an_admin_sets_a_budget_that_the_user_sees_and_is_held_to(page: Page, browser, server) -> None:
    user = f"budget-user-{uuid.uuid4().hex[:8]}"

    page.click("#open-admin")
    page.fill("#admin-user", user)
    page.fill("#admin-daily_tokens", str(BUDGET))
    page.click("#admin-save")
    expect(page.locator("#admin-limits-status")).to_have_text(f"{user}: budget {BUDGET} tokens, 0 used today")
    expect(page.locator("#admin-audit li").first).to_contain_text(
        f"local-dev-user set {user}: daily_tokens default → {BUDGET}"
    )

    context = browser.new_context(extra_http_headers={"x-local-user": user})
    try:
        users_page = context.new_page()
        open_chat(users_page, server.base_url)
        expect(users_page.locator("#budget-resets")).to_contain_text(f"of {BUDGET} · renews")
        expect(users_page.locator("#open-admin")).to_be_hidden()

        ask(users_page, "What is retrieval-augmented generation?")
        wait_for_answer(users_page)
        expect(users_page.locator("#budget-remaining")).to_have_text("0")
        ask(users_page, "And how is it billed?")

        alert = users_page.locator(ANSWER).last.get_by_role("alert")
        expect(alert).to_contain_text("Usage limit reached")
        expect(alert).to_contain_text(f"daily budget of {BUDGET} tokens")
    finally:
        context.close()
