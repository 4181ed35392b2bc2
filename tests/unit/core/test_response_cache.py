"""The response cache: one model call for a prompt repeated by the same user within the TTL."""

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from lambdas.adapters.memory import InMemoryConversationStore
from lambdas.core.models import ModelRequest, PromptMessage, StreamEnd, TextDelta, Usage
from lambdas.core.response_cache import CachedModel
from lambdas.handlers.api import handler
from lambdas.settings import Settings
from lambdas.wiring import build_services, use_services
from tests.support.events import FakeLambdaContext, rest_event
from tests.support.fakes import ScriptedModel

REQUEST = ModelRequest(
    model_id="m",
    system="Answer from the documents.",
    messages=(PromptMessage("user", "What is the refund policy?"),),
    temperature=0.2,
    max_tokens=256,
    question="What is the refund policy?",
    owner="user-a",
)


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def cached(model: ScriptedModel, ticker: Ticker | None = None, **options: int) -> CachedModel:
    return CachedModel(model, ttl_seconds=options.pop("ttl_seconds", 60), now=ticker or Ticker(), **options)


def test_a_repeated_request_is_answered_without_a_second_model_call():
    model = ScriptedModel(answer="Thirty days.")
    cache = cached(model)
    cache.complete(REQUEST)

    again = cache.complete(REQUEST)

    assert again.text == "Thirty days."
    assert len(model.requests) == 1


def test_a_reused_answer_reports_no_tokens():
    cache = cached(ScriptedModel(answer="Thirty days."))
    cache.complete(REQUEST)

    assert cache.complete(REQUEST).usage == Usage(input_tokens=0, output_tokens=0)


def test_another_user_asking_the_same_is_not_served_from_the_cache():
    model = ScriptedModel()
    cache = cached(model)
    cache.complete(REQUEST)

    cache.complete(replace(REQUEST, owner="user-b"))

    assert len(model.requests) == 2


def test_a_different_conversation_state_is_a_different_request():
    model = ScriptedModel()
    cache = cached(model)
    cache.complete(REQUEST)

    cache.complete(
        replace(
            REQUEST,
            messages=(PromptMessage("user", "Hi"), PromptMessage("assistant", "Hello"), *REQUEST.messages),
        )
    )

    assert len(model.requests) == 2


def test_an_entry_expires_after_the_ttl():
    model = ScriptedModel()
    ticker = Ticker()
    cache = cached(model, ticker, ttl_seconds=30)
    cache.complete(REQUEST)

    ticker.now = 30.0
    cache.complete(REQUEST)

    assert len(model.requests) == 2


def test_the_least_recently_used_entry_goes_first_when_the_cache_is_full():
    model = ScriptedModel()
    cache = cached(model, max_entries=2)
    first, second, third = (replace(REQUEST, temperature=t) for t in (0.1, 0.2, 0.3))
    cache.complete(first)
    cache.complete(second)
    cache.complete(first)  # first is now the most recently used

    cache.complete(third)
    cache.complete(first)
    cache.complete(second)

    assert [r.temperature for r in model.requests] == [0.1, 0.2, 0.3, 0.2]


def test_a_streamed_answer_read_to_its_end_is_replayed_as_one_delta():
    model = ScriptedModel(answer="Thirty days from delivery.")
    cache = cached(model)
    list(cache.stream(REQUEST))

    replayed = list(cache.stream(REQUEST))

    assert replayed == [TextDelta("Thirty days from delivery."), StreamEnd(Usage(0, 0), "end_turn", "")]
    assert len(model.requests) == 1


def test_a_stream_stopped_early_is_not_kept():
    model = ScriptedModel(answer="Thirty days from delivery.")
    cache = cached(model)
    events = cache.stream(REQUEST)
    next(events)
    events.close()

    list(cache.stream(REQUEST))

    assert len(model.requests) == 2


@pytest.fixture
def serve_chat(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ScriptedModel]]:
    """Serves the API with the given settings and returns the model behind it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")

    def serve(**settings: int) -> ScriptedModel:
        model = ScriptedModel(answer="Thirty days.")
        use_services(build_services(Settings(**settings), store=InMemoryConversationStore(), model=model))
        return model

    yield serve
    use_services(None)


def ask_twice() -> list[int]:
    event = rest_event("POST", "/v1/chat", body={"message": "What is the refund period?"})
    return [handler(event, FakeLambdaContext())["statusCode"] for _ in range(2)]


def test_the_configured_cache_answers_a_repeated_question_without_the_model(serve_chat):
    model = serve_chat(response_cache_seconds=60)

    assert ask_twice() == [200, 200]
    assert len(model.requests) == 1


def test_the_cache_is_off_by_default(serve_chat):
    model = serve_chat()

    ask_twice()

    assert len(model.requests) == 2
