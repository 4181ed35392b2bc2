"""Prompt-cache checkpoints in Converse and ConverseStream requests, and the cache token counts
Bedrock reports back (Stubber for Converse, event-stream bytes for ConverseStream)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from botocore.stub import Stubber

from lambdas.adapters.bedrock import BedrockChatModel
from lambdas.core.models import ModelRequest, PromptMessage, StreamEnd, Usage
from lambdas.core.pricing import load_price_table
from tests.unit.adapters.conftest import offline_client
from tests.unit.adapters.eventstream import FakeBedrockEndpoint, event

HAIKU = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
"""Takes checkpoints from 2,048 prompt tokens on."""
LLAMA = "us.meta.llama3-3-70b-instruct-v1:0"
"""Takes no checkpoints."""
CACHE_POINT = {"cachePoint": {"type": "default"}}
LONG_TURN = "Lambda bills each request and the duration of each invocation in milliseconds. " * 60
"""About 1,400 estimated tokens: two such turns pass Claude 3.5 Haiku's minimum."""

REQUEST = ModelRequest(
    model_id=HAIKU,
    system="Answer from the documents.",
    messages=(
        PromptMessage("user", LONG_TURN),
        PromptMessage("assistant", LONG_TURN),
        PromptMessage("user", "How is it billed?"),
    ),
    temperature=0.2,
    max_tokens=512,
)
CACHED_USAGE = {
    "inputTokens": 12,
    "outputTokens": 90,
    "totalTokens": 2_702,
    "cacheReadInputTokens": 2_600,
    "cacheWriteInputTokens": 0,
}


def expected_params(request: ModelRequest, *, after_system: bool, after_history: bool) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [
        {"role": m.role, "content": [{"text": m.content}]} for m in request.messages
    ]
    if after_history:
        messages[-2]["content"].append(CACHE_POINT)
    system: list[dict[str, Any]] = [{"text": request.system}]
    if after_system:
        system.append(CACHE_POINT)
    return {
        "modelId": request.model_id,
        "system": system,
        "messages": messages,
        "inferenceConfig": {"maxTokens": request.max_tokens, "temperature": request.temperature},
    }


def converse_response(usage: dict[str, int]) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": "Per request [1]."}]}},
        "stopReason": "end_turn",
        "usage": usage,
        "metrics": {"latencyMs": 350},
    }


@pytest.fixture
def client() -> Any:
    return offline_client("bedrock-runtime", "us-east-1")


@pytest.fixture
def model(client: Any) -> BedrockChatModel:
    return BedrockChatModel(client, cache_minimums=load_price_table().cache_minimums())


def test_a_history_past_the_minimum_gets_a_checkpoint_after_its_last_message(
    model: BedrockChatModel, stubber: Stubber
) -> None:
    expected = expected_params(REQUEST, after_system=False, after_history=True)
    stubber.add_response("converse", converse_response(CACHED_USAGE), expected)

    model.complete(REQUEST)


def test_a_long_system_prompt_and_history_get_one_checkpoint_each(
    model: BedrockChatModel, stubber: Stubber
) -> None:
    request = replace(REQUEST, system=LONG_TURN * 2)
    expected = expected_params(request, after_system=True, after_history=True)
    stubber.add_response("converse", converse_response(CACHED_USAGE), expected)

    model.complete(request)


def test_a_prefix_below_the_minimum_gets_no_checkpoint(model: BedrockChatModel, stubber: Stubber) -> None:
    request = replace(REQUEST, messages=(PromptMessage("user", "Hi"), *REQUEST.messages[1:]))
    expected = expected_params(request, after_system=False, after_history=False)
    stubber.add_response("converse", converse_response(CACHED_USAGE), expected)

    model.complete(request)


def test_a_model_without_prompt_caching_gets_no_checkpoint(model: BedrockChatModel, stubber: Stubber) -> None:
    request = replace(REQUEST, model_id=LLAMA)
    expected = expected_params(request, after_system=False, after_history=False)
    stubber.add_response("converse", converse_response(CACHED_USAGE), expected)

    model.complete(request)


def test_without_cache_minimums_no_model_gets_a_checkpoint(client: Any, stubber: Stubber) -> None:
    expected = expected_params(REQUEST, after_system=False, after_history=False)
    stubber.add_response("converse", converse_response(CACHED_USAGE), expected)

    BedrockChatModel(client).complete(REQUEST)


def test_complete_reports_cache_reads_and_writes_apart_from_uncached_input(
    model: BedrockChatModel, stubber: Stubber
) -> None:
    usage = {**CACHED_USAGE, "cacheReadInputTokens": 1_500, "cacheWriteInputTokens": 1_100}
    stubber.add_response("converse", converse_response(usage))

    assert model.complete(REQUEST).usage == Usage(
        input_tokens=12, output_tokens=90, cache_read_tokens=1_500, cache_write_tokens=1_100
    )


def test_a_usage_without_cache_fields_counts_no_cached_tokens(
    model: BedrockChatModel, stubber: Stubber
) -> None:
    stubber.add_response(
        "converse", converse_response({"inputTokens": 40, "outputTokens": 9, "totalTokens": 49})
    )

    assert model.complete(REQUEST).usage == Usage(input_tokens=40, output_tokens=9)


def test_stream_sends_the_checkpoints_and_reports_the_cache_tokens_of_its_metadata(
    model: BedrockChatModel, client: Any
) -> None:
    fake = FakeBedrockEndpoint(
        [
            [
                event("messageStart", {"role": "assistant"}),
                event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Per request."}}),
                event("contentBlockStop", {"contentBlockIndex": 0}),
                event("messageStop", {"stopReason": "end_turn"}),
                event(
                    "metadata",
                    {"usage": {**CACHED_USAGE, "cacheWriteInputTokens": 64}, "metrics": {"latencyMs": 90}},
                ),
            ]
        ]
    )
    fake.install(client)

    events = list(model.stream(REQUEST))

    sent = fake.request_json()
    assert sent["messages"][1]["content"] == [{"text": LONG_TURN}, CACHE_POINT]
    assert sent["system"] == [{"text": REQUEST.system}]
    assert events[-1] == StreamEnd(
        usage=Usage(input_tokens=12, output_tokens=90, cache_read_tokens=2_600, cache_write_tokens=64),
        stop_reason="end_turn",
    )
