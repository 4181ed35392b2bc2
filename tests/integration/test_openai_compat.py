"""OpenAICompatibleModel against a real HTTP server on loopback speaking the OpenAI chat API."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from lambdas.adapters.openai_compat import OpenAICompatibleModel
from lambdas.core.errors import InvalidRequest, ModelThrottled, ModelUnavailable
from lambdas.core.models import ModelRequest, PromptMessage, StreamEnd, TextDelta, Usage
from tests.integration.fake_openai import (
    ScriptedAnswer,
    completion,
    fake_openai_server,
    json_answer,
    sse_answer,
)

pytestmark = pytest.mark.network

API_KEY = "sk-test-secret-123"

REQUEST = ModelRequest(
    model_id="llama3.2",
    system="Answer from the documents.",
    messages=(
        PromptMessage("user", "What is Lambda?"),
        PromptMessage("assistant", "A compute service [1]."),
        PromptMessage("user", "How is it billed?"),
    ),
    temperature=0.2,
    max_tokens=256,
)

EXPECTED_MESSAGES = [
    {"role": "system", "content": "Answer from the documents."},
    {"role": "user", "content": "What is Lambda?"},
    {"role": "assistant", "content": "A compute service [1]."},
    {"role": "user", "content": "How is it billed?"},
]


def chunk(content: str | None = None, finish_reason: str | None = None) -> dict[str, Any]:
    delta = {"content": content} if content is not None else {}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


USAGE_CHUNK = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "choices": [],
    "usage": {"prompt_tokens": 31, "completion_tokens": 6, "total_tokens": 37},
}


# --- complete ---------------------------------------------------------------------------


def test_complete_posts_model_messages_temperature_and_max_tokens() -> None:
    with fake_openai_server(json_answer(completion("Per request [1]."))) as server:
        OpenAICompatibleModel(server.base_url).complete(REQUEST)

    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.body == {
        "model": "llama3.2",
        "messages": EXPECTED_MESSAGES,
        "temperature": 0.2,
        "max_tokens": 256,
    }


def test_complete_returns_text_usage_and_stop_reason() -> None:
    with fake_openai_server(json_answer(completion("Per request [1].", finish_reason="length"))) as server:
        response = OpenAICompatibleModel(server.base_url).complete(REQUEST)

    assert response.text == "Per request [1]."
    assert response.model_id == "llama3.2"
    assert response.usage == Usage(input_tokens=31, output_tokens=6)
    assert response.stop_reason == "max_tokens"


def test_complete_counts_the_cached_prompt_tokens_a_server_reports_apart() -> None:
    answer = completion("Hi.")
    answer["usage"]["prompt_tokens_details"] = {"cached_tokens": 24}
    with fake_openai_server(json_answer(answer)) as server:
        response = OpenAICompatibleModel(server.base_url).complete(REQUEST)

    assert response.usage == Usage(input_tokens=7, output_tokens=6, cache_read_tokens=24)


def test_complete_without_usage_leaves_usage_unknown() -> None:
    with fake_openai_server(json_answer(completion("Hi.", usage=False))) as server:
        response = OpenAICompatibleModel(server.base_url).complete(REQUEST)

    assert response.usage is None
    assert response.stop_reason == "end_turn"


def test_api_key_is_sent_as_bearer_token() -> None:
    with fake_openai_server(json_answer(completion("Hi."))) as server:
        OpenAICompatibleModel(server.base_url, api_key=API_KEY).complete(REQUEST)

    assert server.requests[0].headers["Authorization"] == f"Bearer {API_KEY}"


def test_no_authorization_header_without_api_key() -> None:
    with fake_openai_server(json_answer(completion("Hi."))) as server:
        OpenAICompatibleModel(server.base_url).complete(REQUEST)

    assert "Authorization" not in server.requests[0].headers


def test_http_429_raises_model_throttled() -> None:
    with fake_openai_server(json_answer({"error": {"message": "slow down"}}, status=429)) as server:
        model = OpenAICompatibleModel(server.base_url, api_key=API_KEY)
        with pytest.raises(ModelThrottled):
            model.complete(REQUEST)


def test_http_500_raises_model_unavailable_naming_the_url_but_not_the_key() -> None:
    with fake_openai_server(json_answer({"error": {"message": f"bad key {API_KEY}"}}, status=500)) as server:
        model = OpenAICompatibleModel(server.base_url, api_key=API_KEY)
        with pytest.raises(ModelUnavailable) as raised:
            model.complete(REQUEST)

    assert not isinstance(raised.value, ModelThrottled)
    assert server.base_url in raised.value.message
    assert API_KEY not in raised.value.message


def test_http_400_raises_invalid_request_without_field() -> None:
    with fake_openai_server(json_answer({"error": {"message": "context too long"}}, status=400)) as server:
        model = OpenAICompatibleModel(server.base_url)
        with pytest.raises(InvalidRequest) as raised:
            model.complete(REQUEST)

    assert raised.value.field is None


def test_http_404_says_the_model_is_not_served() -> None:
    with fake_openai_server(json_answer({"error": {"message": "model not found"}}, status=404)) as server:
        model = OpenAICompatibleModel(server.base_url)
        with pytest.raises(ModelUnavailable, match=r"does not serve model llama3\.2"):
            model.complete(REQUEST)


def test_connection_refused_raises_model_unavailable_naming_the_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{free_port}/v1"

    with pytest.raises(ModelUnavailable) as raised:
        OpenAICompatibleModel(base_url, api_key=API_KEY).complete(REQUEST)

    assert base_url in raised.value.message
    assert API_KEY not in raised.value.message


def test_slow_server_raises_model_unavailable_after_the_timeout() -> None:
    with fake_openai_server(ScriptedAnswer(hold=True)) as server:
        model = OpenAICompatibleModel(server.base_url, timeout_seconds=0.2)
        with pytest.raises(ModelUnavailable, match=r"did not answer within 0\.2 seconds"):
            model.complete(REQUEST)


def test_credentials_in_the_url_are_not_shown_in_errors() -> None:
    with fake_openai_server(json_answer({}, status=503)) as server:
        with_credentials = server.base_url.replace("http://", f"http://user:{API_KEY}@")
        with pytest.raises(ModelUnavailable) as raised:
            OpenAICompatibleModel(with_credentials).complete(REQUEST)

    assert API_KEY not in raised.value.message
    assert server.base_url in raised.value.message


def test_base_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        OpenAICompatibleModel("file:///etc/passwd")


# --- stream -----------------------------------------------------------------------------


def test_stream_asks_for_server_sent_events_with_usage() -> None:
    with fake_openai_server(sse_answer([chunk("Hi.", "stop")])) as server:
        list(OpenAICompatibleModel(server.base_url).stream(REQUEST))

    body = server.requests[0].body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == EXPECTED_MESSAGES


def test_stream_yields_content_deltas_then_one_end_with_usage() -> None:
    chunks = [chunk(""), chunk("Per "), chunk("request [1]."), chunk(finish_reason="stop"), USAGE_CHUNK]
    with fake_openai_server(sse_answer(chunks)) as server:
        events = list(OpenAICompatibleModel(server.base_url).stream(REQUEST))

    assert events == [
        TextDelta("Per "),
        TextDelta("request [1]."),
        StreamEnd(usage=Usage(input_tokens=31, output_tokens=6), stop_reason="end_turn"),
    ]


def test_stream_without_usage_ends_with_unknown_usage() -> None:
    with fake_openai_server(sse_answer([chunk("Hi."), chunk(finish_reason="length")])) as server:
        events = list(OpenAICompatibleModel(server.base_url).stream(REQUEST))

    assert events[-1] == StreamEnd(usage=None, stop_reason="max_tokens")


def test_stream_cut_before_done_raises_model_unavailable() -> None:
    with fake_openai_server(sse_answer([chunk("Per ")], done=False)) as server:
        model = OpenAICompatibleModel(server.base_url)
        with pytest.raises(ModelUnavailable):
            list(model.stream(REQUEST))


def test_stream_error_event_raises_model_unavailable() -> None:
    with fake_openai_server(sse_answer([chunk("Per "), {"error": {"message": "model crashed"}}])) as server:
        model = OpenAICompatibleModel(server.base_url)
        with pytest.raises(ModelUnavailable):
            list(model.stream(REQUEST))


def test_stream_http_429_raises_model_throttled() -> None:
    with fake_openai_server(json_answer({"error": {"message": "slow down"}}, status=429)) as server:
        model = OpenAICompatibleModel(server.base_url)
        with pytest.raises(ModelThrottled):
            list(model.stream(REQUEST))
