"""Bedrock faults through the production composition: the chat service built by
`build_services`, its resilient Bedrock model and the real `bedrock-runtime` client, with
throttling, 5xx and timeouts injected by botocore's Stubber or at the HTTP layer.

Time in the resilience module is a fake: retries pause without sleeping, and the breaker's
cool-down passes when a test moves the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import ANY, Stubber

from lambdas.adapters.memory import InMemoryConversationStore
from lambdas.core import resilience
from lambdas.core.chat import ChatService
from lambdas.core.errors import ModelUnavailable
from lambdas.core.models import ChatCommand, ChatResult, TextDelta, Usage
from lambdas.core.pricing import UnknownModel, cost_usd, load_price_table
from lambdas.settings import Settings
from lambdas.wiring import build_services
from tests.support.fakes import StaticRetriever
from tests.unit.adapters.eventstream import FakeBedrockEndpoint, exception, text_answer

PRIMARY = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
FALLBACK = "us.amazon.nova-lite-v1:0"
PRICES = load_price_table()
ENDPOINT = "https://bedrock-runtime.us-east-1.amazonaws.com"


class FakeTime:
    """Stands in for the `time` module inside `lambdas.core.resilience`."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


class Turns:
    """The chat service as production builds it for Bedrock, and what it needs to fake faults."""

    def __init__(self, chat: ChatService, store: InMemoryConversationStore, client: Any) -> None:
        self.chat = chat
        self.store = store
        self.client = client

    def ask(self, message: str = "What is Lambda?") -> ChatResult:
        return self.chat.answer(ChatCommand(owner="user-a", message=message))

    def stored_answer(self) -> Any:
        [conversation] = self.store.list_conversations("user-a")
        return self.store.list_messages("user-a", conversation.id)[-1]


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(resilience, "time", fake)
    return fake


@pytest.fixture
def turns(monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime) -> Turns:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    created: dict[str, Any] = {}
    real_client = boto3.client

    def recording_client(service: str, *args: Any, **kwargs: Any) -> Any:
        created[service] = real_client(service, *args, **kwargs)
        return created[service]

    monkeypatch.setattr(boto3, "client", recording_client)
    store = InMemoryConversationStore()
    settings = Settings(
        llm_provider="bedrock",
        bedrock_model_id=PRIMARY,
        bedrock_fallback_model_id=FALLBACK,
        bedrock_guardrail_id="gr-123",
        bedrock_guardrail_version="2",
    )
    services = build_services(settings, store=store, retriever=StaticRetriever())
    return Turns(services.chat, store, created["bedrock-runtime"])


@pytest.fixture
def stubber(turns: Turns) -> Iterator[Stubber]:
    with Stubber(turns.client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def answer_from(stubber: Stubber, model_id: str, text: str = "It runs code [1].") -> None:
    response = {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1000, "outputTokens": 200, "totalTokens": 1200},
        "metrics": {"latencyMs": 300},
    }
    stubber.add_response("converse", response, called_with(model_id))


def fail(stubber: Stubber, model_id: str, code: str, status: int, times: int = 1) -> None:
    for _ in range(times):
        stubber.add_client_error(
            "converse",
            service_error_code=code,
            http_status_code=status,
            expected_params=called_with(model_id),
        )


def called_with(model_id: str) -> dict[str, Any]:
    return {
        "modelId": model_id,
        "system": ANY,
        "messages": ANY,
        "inferenceConfig": ANY,
        "guardrailConfig": {"guardrailIdentifier": "gr-123", "guardrailVersion": "2", "trace": "enabled"},
    }


def requested_model(endpoint: FakeBedrockEndpoint, index: int) -> str:
    # ConverseStream's URL is /model/{modelId}/converse-stream, with the id percent-encoded.
    return unquote(endpoint.requests[index].url.split("/model/")[1].split("/")[0])


def test_throttled_calls_are_retried_with_pauses_and_answered_by_the_chosen_model(
    turns: Turns, stubber: Stubber, fake_time: FakeTime
) -> None:
    fail(stubber, PRIMARY, "ThrottlingException", 429, times=2)
    answer_from(stubber, PRIMARY)

    result = turns.ask()

    assert result.model == PRIMARY
    assert len(fake_time.pauses) == 2
    assert turns.stored_answer().complete


@pytest.mark.parametrize(
    ("code", "status"),
    [("ServiceUnavailableException", 503), ("InternalServerException", 500), ("ModelTimeoutException", 408)],
)
def test_a_primary_failing_with_server_errors_hands_the_turn_to_the_fallback_which_is_named_and_priced(
    turns: Turns, stubber: Stubber, code: str, status: int
) -> None:
    fail(stubber, PRIMARY, code, status, times=3)
    answer_from(stubber, FALLBACK)

    result = turns.ask()

    assert result.model == FALLBACK
    assert result.cost_usd == pytest.approx(cost_usd(PRICES.model(FALLBACK), Usage(1000, 200)))
    stored = turns.stored_answer()
    assert (stored.model, stored.complete, stored.content) == (FALLBACK, True, "It runs code [1].")


def test_when_every_model_fails_calls_stop_after_three_each_and_the_turn_is_kept_incomplete(
    turns: Turns, stubber: Stubber
) -> None:
    fail(stubber, PRIMARY, "ServiceUnavailableException", 503, times=3)
    fail(stubber, FALLBACK, "ThrottlingException", 429, times=3)

    with pytest.raises(ModelUnavailable):
        turns.ask("Is anyone there?")

    [conversation] = turns.store.list_conversations("user-a")
    question, answer = turns.store.list_messages("user-a", conversation.id)
    assert question.content == "Is anyone there?"
    assert (answer.content, answer.complete) == ("", False)


def test_read_timeouts_are_retried_once_per_attempt_not_again_inside_botocore(turns: Turns) -> None:
    timeout = ReadTimeoutError(endpoint_url=ENDPOINT)
    endpoint = FakeBedrockEndpoint([timeout, timeout, timeout, text_answer(["From ", "the fallback."])])
    endpoint.install(turns.client)

    events = list(turns.chat.stream(ChatCommand(owner="user-a", message="What is Lambda?")))

    assert [requested_model(endpoint, i) for i in range(4)] == [PRIMARY, PRIMARY, PRIMARY, FALLBACK]
    result = events[-1]
    assert isinstance(result, ChatResult)
    assert (result.model, result.answer) == (FALLBACK, "From the fallback.")
    assert turns.stored_answer().complete


def test_a_stream_cut_after_its_first_delta_keeps_the_partial_answer_and_is_not_retried(turns: Turns) -> None:
    start, first_delta = text_answer(["Lambda runs "])[:2]
    endpoint = FakeBedrockEndpoint([[start, first_delta, exception("modelStreamErrorException", "crashed")]])
    endpoint.install(turns.client)
    stream = turns.chat.stream(ChatCommand(owner="user-a", message="What is Lambda?"))

    assert next(stream) == TextDelta("Lambda runs ")
    with pytest.raises(ModelUnavailable):
        next(stream)

    assert len(endpoint.requests) == 1
    stored = turns.stored_answer()
    assert (stored.content, stored.complete) == ("Lambda runs ", False)


def test_repeated_failures_open_the_breaker_and_later_turns_skip_the_failing_model(
    turns: Turns, stubber: Stubber
) -> None:
    fail(stubber, PRIMARY, "ServiceUnavailableException", 503, times=3)
    answer_from(stubber, FALLBACK)
    fail(stubber, PRIMARY, "ServiceUnavailableException", 503, times=2)  # five in a row: open
    answer_from(stubber, FALLBACK)
    answer_from(stubber, FALLBACK)  # the third turn goes straight to the fallback

    models = [turns.ask(f"question {n}").model for n in range(3)]

    assert models == [FALLBACK, FALLBACK, FALLBACK]


def test_after_its_cool_down_the_breaker_lets_the_recovered_model_answer_again(
    turns: Turns, stubber: Stubber, fake_time: FakeTime
) -> None:
    fail(stubber, PRIMARY, "ServiceUnavailableException", 503, times=3)
    answer_from(stubber, FALLBACK)
    fail(stubber, PRIMARY, "ServiceUnavailableException", 503, times=2)
    answer_from(stubber, FALLBACK)
    answer_from(stubber, PRIMARY, "Back again.")
    answer_from(stubber, PRIMARY, "Still here.")
    turns.ask("first")
    turns.ask("second")

    fake_time.now += 30
    recovered = turns.ask("third")
    closed = turns.ask("fourth")

    assert (recovered.model, recovered.answer) == (PRIMARY, "Back again.")
    assert (closed.model, closed.answer) == (PRIMARY, "Still here.")


def test_a_fallback_missing_from_the_price_table_is_refused_at_configuration_time() -> None:
    settings = Settings(
        llm_provider="bedrock", bedrock_model_id=PRIMARY, bedrock_fallback_model_id="unpriced-v1"
    )
    with pytest.raises(UnknownModel, match="unpriced-v1"):
        build_services(settings, store=InMemoryConversationStore(), retriever=StaticRetriever())
