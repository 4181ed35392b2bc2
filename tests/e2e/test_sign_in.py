"""Signing in to a deployed app: the page reads the config.json the CDK app writes, signs in
with Cognito (SRP on the page, or the hosted UI when the pool has a domain) and sends the ID
token on API calls and on the stream URL. Cognito is played by routes; the API by the local server."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.chat import ask, wait_for_answer
from tests.e2e.fake_cognito import FakeUserPool, id_token

pytestmark = pytest.mark.network

REGION = "eu-west-1"
USER_POOL_ID = f"{REGION}_Ab12Cd34E"
CLIENT_ID = "4example0web0client0id"
HOSTED_DOMAIN = f"https://genai-chat-dev.auth.{REGION}.amazoncognito.com"
EMAIL = "ada@example.com"
PASSWORD = "Initial-password-42"


def deployed_config(base_url: str, **extra: str) -> dict[str, Any]:
    """The keys stacks/app_stack.py writes into config.json."""
    return {
        "apiUrl": f"{base_url}/v1",
        "webSocketUrl": base_url.replace("http://", "ws://") + "/ws",
        "region": REGION,
        "userPoolId": USER_POOL_ID,
        "userPoolClientId": CLIENT_ID,
        **extra,
    }


def serve_user_pool(page: Page, pool: FakeUserPool) -> None:
    def answer(route: Route) -> None:
        cors = {
            "access-control-allow-origin": "*",
            "access-control-allow-headers": "content-type, x-amz-target",
        }
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors)
            return
        status, body = pool.handle(route.request.headers["x-amz-target"], route.request.post_data_json)
        route.fulfill(status=status, json=body, headers=cors)

    page.route(f"https://cognito-idp.{REGION}.amazonaws.com/", answer)


@pytest.fixture
def pool() -> FakeUserPool:
    return FakeUserPool(USER_POOL_ID, EMAIL, PASSWORD)


@pytest.fixture
def deployed_page(blank_page: Page, server, pool: FakeUserPool) -> Page:
    blank_page.route("**/config.json", lambda route: route.fulfill(json=deployed_config(server.base_url)))
    serve_user_pool(blank_page, pool)
    blank_page.goto(server.base_url + "/")
    return blank_page


def sign_in(page: Page, email: str, password: str) -> None:
    page.fill("#sign-in-email", email)
    page.fill("#sign-in-password", password)
    page.get_by_role("button", name="Continue").click()


def test_signed_out_page_asks_for_email_and_password(deployed_page: Page) -> None:
    dialog = deployed_page.get_by_role("dialog", name="Sign in")

    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Email")).to_be_visible()
    expect(dialog.get_by_label("Password", exact=True)).to_be_visible()


def test_password_sign_in_proves_the_password_and_shows_the_user(
    deployed_page: Page, pool: FakeUserPool
) -> None:
    sign_in(deployed_page, EMAIL, PASSWORD)

    expect(deployed_page.get_by_role("dialog", name="Sign in")).to_be_hidden()
    expect(deployed_page.locator("#user-badge")).to_contain_text(EMAIL)
    expect(deployed_page.locator("#user-badge")).to_contain_text("Signed in with Cognito")
    assert pool.calls == ["InitiateAuth", "RespondToAuthChallenge"]


def test_wrong_password_is_refused_with_the_pools_message(deployed_page: Page) -> None:
    sign_in(deployed_page, EMAIL, "Not-the-password-1")

    expect(deployed_page.locator("#sign-in-error")).to_have_text("Incorrect username or password.")
    expect(deployed_page.get_by_role("dialog", name="Sign in")).to_be_visible()


def test_first_sign_in_asks_for_a_new_password(blank_page: Page, server) -> None:
    invited = FakeUserPool(USER_POOL_ID, EMAIL, PASSWORD, new_password_required=True)
    blank_page.route("**/config.json", lambda route: route.fulfill(json=deployed_config(server.base_url)))
    serve_user_pool(blank_page, invited)
    blank_page.goto(server.base_url + "/")

    sign_in(blank_page, EMAIL, PASSWORD)
    expect(blank_page.get_by_label("New password")).to_be_visible()
    blank_page.fill("#sign-in-new-password", "A-new-password-of-mine-7")
    blank_page.get_by_role("button", name="Continue").click()

    expect(blank_page.locator("#user-badge")).to_contain_text(EMAIL)
    assert invited.password == "A-new-password-of-mine-7"


def test_id_token_goes_on_api_calls_and_on_the_stream_url(deployed_page: Page) -> None:
    authorizations: list[str | None] = []
    stream_urls: list[str] = []
    deployed_page.on(
        "request",
        lambda request: (
            authorizations.append(request.header_value("authorization")) if "/v1/" in request.url else None
        ),
    )
    deployed_page.on("websocket", lambda socket: stream_urls.append(socket.url))

    sign_in(deployed_page, EMAIL, PASSWORD)
    expect(deployed_page.locator("#user-badge")).to_contain_text(EMAIL)
    ask(deployed_page, "Is my token sent?")
    wait_for_answer(deployed_page)

    token = deployed_page.evaluate("sessionStorage.getItem('genai-chat.id-token')")
    assert token.count(".") == 2
    assert authorizations
    assert set(authorizations) == {token}
    assert [parse_qs(urlparse(url).query)["token"] for url in stream_urls] == [[token]]


def test_hosted_ui_sign_in_redirects_with_an_authorization_code_request_and_pkce(
    blank_page: Page, server
) -> None:
    config = deployed_config(server.base_url, cognitoDomain=HOSTED_DOMAIN)
    blank_page.route("**/config.json", lambda route: route.fulfill(json=config))
    blank_page.route(
        f"{HOSTED_DOMAIN}/**", lambda route: route.fulfill(body="Hosted UI", content_type="text/html")
    )

    with blank_page.expect_request(re.compile(r".*/oauth2/authorize.*")) as authorize:
        blank_page.goto(server.base_url + "/")

    query = parse_qs(urlparse(authorize.value.url).query)
    assert authorize.value.url.startswith(f"{HOSTED_DOMAIN}/oauth2/authorize?")
    assert query["client_id"] == [CLIENT_ID]
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", query["code_challenge"][0])
    assert query["redirect_uri"] == [server.base_url]
    assert query["state"][0]


def test_hosted_ui_code_is_exchanged_with_the_verifier_of_its_challenge(blank_page: Page, server) -> None:
    config = deployed_config(server.base_url, cognitoDomain=HOSTED_DOMAIN)
    blank_page.route("**/config.json", lambda route: route.fulfill(json=config))
    exchanges: list[dict[str, list[str]]] = []
    challenges: list[str] = []

    def authorize(route: Route) -> None:
        query = parse_qs(urlparse(route.request.url).query)
        challenges.append(query["code_challenge"][0])
        callback = f"{query['redirect_uri'][0]}/?code=the-code&state={query['state'][0]}"
        route.fulfill(status=302, headers={"location": callback})

    def token(route: Route) -> None:
        exchanges.append(parse_qs(route.request.post_data or ""))
        route.fulfill(
            json={"id_token": id_token(EMAIL), "refresh_token": "refresh"},
            headers={"access-control-allow-origin": "*"},
        )

    blank_page.route(f"{HOSTED_DOMAIN}/oauth2/authorize*", authorize)
    blank_page.route(f"{HOSTED_DOMAIN}/oauth2/token", token)

    blank_page.goto(server.base_url + "/")

    expect(blank_page.locator("#user-badge")).to_contain_text(EMAIL)
    [exchange] = exchanges
    assert exchange["grant_type"] == ["authorization_code"]
    assert exchange["code"] == ["the-code"]
    verifier = exchange["code_verifier"][0].encode()
    assert base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode() == challenges[0]
    assert "code=" not in blank_page.url
