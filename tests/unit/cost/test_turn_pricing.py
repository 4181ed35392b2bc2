"""A turn answered by the fallback model is stored and billed at the fallback model's price."""

from collections.abc import Iterator

import pytest

from lambdas.adapters.memory import InMemoryConversationStore
from lambdas.core.catalog import ModelCatalog
from lambdas.core.chat import ChatService, ChatSettings
from lambdas.core.models import (
    ChatCommand,
    ModelInfo,
    ModelRequest,
    ModelResponse,
    StreamEnd,
    StreamEvent,
    TextDelta,
    Usage,
)
from tests.support.fakes import FixedClock, SequentialIds

REQUESTED = ModelInfo(
    "requested",
    "bedrock",
    "Requested",
    context_window=10_000,
    input_per_1k_usd=0.003,
    output_per_1k_usd=0.015,
)
FALLBACK = ModelInfo(
    "fallback",
    "bedrock",
    "Fallback",
    context_window=10_000,
    input_per_1k_usd=0.0001,
    output_per_1k_usd=0.0004,
)
USAGE = Usage(input_tokens=2_000, output_tokens=500)
FALLBACK_COST = 2_000 / 1000 * 0.0001 + 500 / 1000 * 0.0004


class AnsweredByFallback:
    """What the resilient model wrapper returns when the requested model could not answer."""

    def complete(self, request: ModelRequest) -> ModelResponse:
        return ModelResponse(text="From the fallback.", model_id=FALLBACK.id, usage=USAGE)

    def stream(self, request: ModelRequest) -> Iterator[StreamEvent]:
        yield TextDelta("From the fallback.")
        yield StreamEnd(usage=USAGE, model_id=FALLBACK.id)


@pytest.fixture
def store():
    return InMemoryConversationStore()


@pytest.fixture
def chat(store):
    return ChatService(
        store=store,
        catalog=ModelCatalog([REQUESTED], default_model_id=REQUESTED.id),
        model=AnsweredByFallback(),
        clock=FixedClock(),
        ids=SequentialIds(),
        settings=ChatSettings(fallback_model=FALLBACK),
    )


def test_an_answer_from_the_fallback_is_priced_and_stored_as_the_fallback_model(chat, store):
    result = chat.answer(ChatCommand(owner="u", message="hello"))

    answer = store.list_messages("u", result.conversation_id)[-1]
    assert (result.model, result.cost_usd) == (FALLBACK.id, pytest.approx(FALLBACK_COST))
    assert (answer.model, answer.usage, answer.cost_usd) == (FALLBACK.id, USAGE, pytest.approx(FALLBACK_COST))


def test_a_streamed_answer_from_the_fallback_is_priced_as_the_fallback_model(chat, store):
    events = list(chat.stream(ChatCommand(owner="u", message="hello")))

    result = events[-1]
    assert (result.model, result.cost_usd) == (FALLBACK.id, pytest.approx(FALLBACK_COST))
