"""The usage view: tokens and cost today and this month, and what is left of today's budget."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.chat import ask, open_chat, wait_for_answer

pytestmark = pytest.mark.network


def limits(**overrides: Any) -> dict[str, Any]:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "requests_per_minute": 20,
        "tokens_per_minute": 40_000,
        "daily_tokens": 100_000,
        "daily_tokens_used": 25_000,
        "daily_tokens_remaining": 75_000,
        "resets_at": tomorrow.isoformat().replace("+00:00", "Z"),
        **overrides,
    }


def test_usage_shows_the_tokens_and_cost_of_today_and_this_month(page: Page) -> None:
    ask(page, "What does a question cost?")
    wait_for_answer(page)

    figure = re.compile(r"^[1-9][\d,]* tokens · \$")
    expect(page.locator("#usage-today")).to_have_text(figure)
    expect(page.locator("#usage-month")).to_have_text(figure)


def test_remaining_daily_budget_is_shown_with_its_total(blank_page: Page, server) -> None:
    blank_page.route("**/v1/limits", lambda route: route.fulfill(json=limits()))

    open_chat(blank_page, server.base_url)

    expect(blank_page.locator("#budget-remaining")).to_have_text("75,000")
    expect(blank_page.locator("#budget-resets")).to_contain_text("of 100,000 · renews")
    expect(blank_page.locator("#budget-meter")).to_have_js_property("value", 75_000)


def test_unlimited_daily_budget_says_so(blank_page: Page, server) -> None:
    unlimited = limits(daily_tokens=None, daily_tokens_remaining=None)
    blank_page.route("**/v1/limits", lambda route: route.fulfill(json=unlimited))

    open_chat(blank_page, server.base_url)

    expect(blank_page.locator("#budget-remaining")).to_have_text("No daily limit")
    expect(blank_page.locator("#budget-meter")).to_be_hidden()


def test_budget_is_hidden_where_the_api_has_no_limits_route(blank_page: Page, server) -> None:
    missing = {"error": {"code": "not_found", "message": "Not found", "field": None}}
    blank_page.route("**/v1/limits", lambda route: route.fulfill(status=404, json=missing))

    open_chat(blank_page, server.base_url)

    expect(blank_page.locator("#usage-figures")).to_be_visible()
    expect(blank_page.locator("#budget")).to_be_hidden()


def test_the_sidebar_says_embedding_counts_in_usage_but_not_against_the_budget(page: Page) -> None:
    expect(page.locator("#usage-note")).to_have_text(
        "Usage counts chat and document embedding; the daily budget counts chat only."
    )
    expect(page.locator("#budget-label")).to_have_text("Chat tokens left today")
