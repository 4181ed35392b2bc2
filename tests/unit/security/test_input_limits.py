"""Request bodies are bounded before parsing; limits reach the caller as 429 + Retry-After,
a WebSocket error frame, and GET /v1/limits."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from lambdas.adapters.memory import InMemoryConversationStore, InMemoryRateLimiter
from lambdas.core.limits import LimitPolicy
from lambdas.handlers import stream
from lambdas.handlers.api import handler
from lambdas.handlers.body_limits import MAX_BODY_BYTES, MAX_JSON_DEPTH
from lambdas.settings import Settings
from lambdas.wiring import build_services, use_services
from tests.support.events import FakeLambdaContext, rest_event
from tests.support.fakes import ScriptedModel


class Posted:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def post(self, connection_id: str, message: dict[str, Any]) -> None:
        self.messages.append(dict(message))


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemoryConversationStore]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    store = InMemoryConversationStore()
    use_services(build_services(Settings(), store=store, model=ScriptedModel(answer="Hello!")))
    yield store
    use_services(None)


@pytest.fixture
def limited(store: InMemoryConversationStore) -> InMemoryRateLimiter:
    """One request a minute and a 1000-token day for every user."""
    limiter = InMemoryRateLimiter(LimitPolicy(requests_per_minute=1, tokens_per_minute=0, daily_tokens=1000))
    use_services(build_services(Settings(), store=store, model=ScriptedModel(), rate_limiter=limiter))
    return limiter


@pytest.fixture
def posted() -> Iterator[Posted]:
    recording = Posted()
    stream.use_publisher(recording)
    yield recording
    stream.use_publisher(None)


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = handler(event, FakeLambdaContext())
    headers = {name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items()}
    return response["statusCode"], json.loads(response["body"]), headers | (response.get("headers") or {})


def post_raw(raw_body: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return call(rest_event("POST", "/v1/chat", raw_body=raw_body))


def nested(depth: int) -> str:
    return '{"message": "hi", "extra": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def ws_send(body: str) -> None:
    event = {
        "requestContext": {
            "routeKey": "$default",
            "connectionId": "conn-1",
            "requestId": "req-1",
            "authorizer": {"sub": "user-a", "principalId": "user-a"},
        },
        "body": body,
        "isBase64Encoded": False,
    }
    stream.handler(event, FakeLambdaContext())


def test_a_body_over_the_size_limit_is_refused_with_413_before_parsing(store):
    status, body, _ = post_raw(json.dumps({"message": "x" * MAX_BODY_BYTES}))

    assert status == 413
    assert body["error"]["code"] == "payload_too_large"
    assert body["error"]["field"] == "body"
    assert store.list_conversations("user-a") == []


def test_a_body_nested_deeper_than_the_limit_is_refused_with_400(store):
    status, body, _ = post_raw(nested(MAX_JSON_DEPTH + 1))

    assert status == 400
    assert body["error"]["code"] == "too_deeply_nested"


def test_nesting_deep_enough_to_break_the_parser_gets_a_clear_400(store):
    status, body, _ = post_raw("[" * 5000)

    assert (status, body["error"]["code"]) == (400, "too_deeply_nested")


def test_brackets_inside_strings_do_not_count_as_nesting(store):
    status, body, _ = post_raw(json.dumps({"message": 'what does "[[[[[[[[[[{{{{{{{{" mean? \\" [[[['}))

    assert status == 200, body


def test_a_body_within_the_depth_limit_reaches_validation(store):
    status, body, _ = post_raw(nested(MAX_JSON_DEPTH))

    assert (status, body["error"]["field"]) == (422, "extra")


def test_a_websocket_message_nested_too_deep_gets_an_error_frame(store, posted):
    ws_send("[" * 5000)

    [frame] = posted.messages
    assert frame["type"] == "error"
    assert frame["error"]["code"] == "too_deeply_nested"


def test_a_request_over_the_rate_limit_gets_429_with_retry_after(limited):
    call(rest_event("POST", "/v1/chat", body={"message": "first"}))

    status, body, headers = call(rest_event("POST", "/v1/chat", body={"message": "second"}))

    assert status == 429
    assert body["error"]["code"] == "rate_limited"
    assert headers["Retry-After"] == "60"


def test_a_refused_request_stores_nothing(limited, store):
    call(rest_event("POST", "/v1/chat", body={"message": "first"}))

    call(rest_event("POST", "/v1/chat", body={"message": "second"}))

    [conversation] = store.list_conversations("user-a")
    assert conversation.message_count == 2


def test_a_websocket_chat_over_the_rate_limit_gets_an_error_frame_with_the_wait(limited, posted):
    frame = {"action": "chat", "request_id": "r1", "message": "first"}
    ws_send(json.dumps(frame))
    posted.messages.clear()

    ws_send(json.dumps({**frame, "request_id": "r2"}))

    [error] = posted.messages
    assert error["type"] == "error"
    assert error["request_id"] == "r2"
    assert error["error"]["code"] == "rate_limited"
    assert error["error"]["retry_after_seconds"] == 60


def test_limits_route_returns_exactly_the_documented_fields(limited):
    call(rest_event("POST", "/v1/chat", body={"message": "hello"}))

    status, body, _ = call(rest_event("GET", "/v1/limits"))

    assert status == 200
    assert set(body) == {
        "requests_per_minute",
        "tokens_per_minute",
        "daily_tokens",
        "daily_tokens_used",
        "daily_tokens_remaining",
        "resets_at",
    }
    assert (body["requests_per_minute"], body["tokens_per_minute"], body["daily_tokens"]) == (1, None, 1000)
    assert body["daily_tokens_used"] == 18  # ScriptedModel's 11 input + 7 output tokens
    assert body["daily_tokens_remaining"] == 982
    assert body["resets_at"].endswith("T00:00:00Z")


def test_limits_route_shows_null_limits_when_none_are_configured(store):
    status, body, _ = call(rest_event("GET", "/v1/limits"))

    assert status == 200
    assert body["requests_per_minute"] is None
    assert body["daily_tokens"] is None
    assert body["daily_tokens_remaining"] is None
