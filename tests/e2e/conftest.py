"""Browser tests: headless Debian Chromium, driven by Playwright, against `python -m local`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.chat import open_chat
from tests.support.local_server import REPO_ROOT, LocalServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
STREAM_DELAY_MS = "60"
"""Slow enough that an answer arrives in several visible steps."""
NO_LIMITS = {
    "RATE_LIMIT_REQUESTS_PER_MINUTE": "0",
    "RATE_LIMIT_TOKENS_PER_MINUTE": "0",
    "DAILY_TOKEN_BUDGET": "0",
}
"""The whole suite chats as one user: a limit would make tests depend on how many ran before."""
INGESTION_TIMEOUT_SECONDS = 300
"""A fresh clone embeds the sample corpus from scratch (about 25 s on two idle cores, far longer on a
busy machine); later runs read the embedding cache."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(
        reason=f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    )
    for item in items:
        if here in item.path.parents:
            item.add_marker(skip)


# Package scope: the server and the browser (whose sync API keeps an event loop running in
# this thread) end with the browser tests, before any other test level runs.
@pytest.fixture(scope="package")
def server() -> Iterator[LocalServer]:
    local = LocalServer(env={"LOCAL_STREAM_DELAY_MS": STREAM_DELAY_MS, **NO_LIMITS})
    _wait_for_sample_corpus(local)
    yield local
    local.stop()


def _wait_for_sample_corpus(server: LocalServer) -> None:
    deadline = time.monotonic() + INGESTION_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        documents = server.request("GET", "/v1/documents")[1]["documents"]
        if documents and all(d["status"] in ("READY", "FAILED") for d in documents):
            return
        time.sleep(0.5)
    raise RuntimeError("the sample corpus was not ingested in time")


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def blank_page(browser):
    """A fresh browser tab that has not loaded the chat yet (for routes set up before loading)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="light")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


@pytest.fixture
def page(blank_page, server: LocalServer):
    """The chat, loaded and ready to use as the local development user."""
    open_chat(blank_page, server.base_url)
    return blank_page


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
