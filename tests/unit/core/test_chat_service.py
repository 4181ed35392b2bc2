import pytest

from lambdas.adapters.memory import InMemoryConversationStore
from lambdas.core.budget import MESSAGE_OVERHEAD_TOKENS, estimate_tokens
from lambdas.core.catalog import ModelCatalog
from lambdas.core.chat import ChatService, ChatSettings
from lambdas.core.errors import InvalidRequest, ModelUnavailable, NotFound
from lambdas.core.models import ChatCommand, ChatResult, ModelInfo, Passage, TextDelta, Usage
from tests.support.fakes import FixedClock, ScriptedModel, SequentialIds, StaticRetriever

SMALL = ModelInfo(
    "small",
    "test",
    "Small",
    context_window=600,
    input_per_1k_usd=0.001,
    output_per_1k_usd=0.002,
    max_output_tokens=100,
)
LARGE = ModelInfo(
    "large", "test", "Large", context_window=100_000, input_per_1k_usd=0.003, output_per_1k_usd=0.015
)


def _service(
    model: ScriptedModel, store: InMemoryConversationStore | None = None, retriever=None
) -> ChatService:
    return ChatService(
        store=store or InMemoryConversationStore(),
        catalog=ModelCatalog([LARGE, SMALL], default_model_id="large"),
        model=model,
        clock=FixedClock(),
        ids=SequentialIds(),
        retriever=retriever,
        settings=ChatSettings(default_max_tokens=100),
    )


def test_a_first_message_starts_a_conversation_and_stores_both_messages():
    store = InMemoryConversationStore()
    result = _service(ScriptedModel(answer="Hi there"), store).answer(ChatCommand(owner="u", message="hello"))
    messages = store.list_messages("u", result.conversation_id)
    assert [(m.role, m.content) for m in messages] == [("user", "hello"), ("assistant", "Hi there")]
    assert store.get_conversation("u", result.conversation_id).title == "hello"


def test_cost_comes_from_reported_usage_and_the_model_price():
    model = ScriptedModel(usage=Usage(input_tokens=1000, output_tokens=500))
    result = _service(model).answer(ChatCommand(owner="u", message="hello"))
    assert result.usage == Usage(1000, 500)
    assert result.cost_usd == pytest.approx(1000 / 1000 * 0.003 + 500 / 1000 * 0.015)


def test_usage_is_estimated_when_the_provider_reports_none():
    result = _service(ScriptedModel(usage=None)).answer(ChatCommand(owner="u", message="hello"))
    assert result.usage.estimated
    assert result.usage.input_tokens > 0
    assert result.usage.output_tokens > 0


def test_stored_answer_cost_equals_usage_times_price():
    store = InMemoryConversationStore()
    model = ScriptedModel(usage=Usage(input_tokens=2000, output_tokens=100))
    result = _service(model, store).answer(ChatCommand(owner="u", message="q", model="small"))
    answer = store.list_messages("u", result.conversation_id)[-1]
    assert answer.cost_usd == pytest.approx(2000 / 1000 * 0.001 + 100 / 1000 * 0.002)
    assert answer.usage == Usage(2000, 100)


def test_fifty_turns_with_a_small_window_stay_within_budget_and_keep_the_latest_message():
    model = ScriptedModel(answer="a reasonably long answer " * 5)
    service = _service(model)
    conversation_id = None
    for turn in range(50):
        question = f"turn {turn}: tell me more about topic {turn}"
        result = service.answer(
            ChatCommand(owner="u", message=question, conversation_id=conversation_id, model="small")
        )
        conversation_id = result.conversation_id
        request = model.requests[-1]
        prompt_tokens = estimate_tokens(request.system) + sum(
            estimate_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in request.messages
        )
        assert prompt_tokens + request.max_tokens <= SMALL.context_window
        assert request.messages[-1].content == question
        assert request.messages[0].role == "user"
    assert len(model.requests[-1].messages) < 2 * 50


def test_history_of_earlier_turns_is_sent_to_the_model():
    model = ScriptedModel(answer="first answer")
    service = _service(model)
    first = service.answer(ChatCommand(owner="u", message="first"))
    service.answer(ChatCommand(owner="u", message="second", conversation_id=first.conversation_id))
    assert [m.content for m in model.requests[-1].messages] == ["first", "first answer", "second"]


def test_unknown_conversation_is_not_found_and_nothing_is_stored():
    store = InMemoryConversationStore()
    with pytest.raises(NotFound):
        _service(ScriptedModel(), store).answer(ChatCommand(owner="u", message="q", conversation_id="nope"))
    assert store.list_conversations("u") == []


def test_another_users_conversation_is_not_found():
    store = InMemoryConversationStore()
    service = _service(ScriptedModel(), store)
    mine = service.answer(ChatCommand(owner="alice", message="secret"))
    with pytest.raises(NotFound):
        service.answer(ChatCommand(owner="bob", message="q", conversation_id=mine.conversation_id))


def test_unknown_model_is_refused_naming_the_field():
    with pytest.raises(InvalidRequest) as error:
        _service(ScriptedModel()).answer(ChatCommand(owner="u", message="q", model="gpt-17"))
    assert error.value.field == "model"


def test_max_tokens_above_the_models_limit_asks_for_that_limit():
    model = ScriptedModel()
    _service(model).answer(ChatCommand(owner="u", message="q", model="small", max_tokens=5000))
    assert model.requests[0].max_tokens == SMALL.max_output_tokens


def test_model_failure_keeps_the_question_with_an_empty_answer_marked_incomplete():
    class Broken(ScriptedModel):
        def complete(self, request):
            raise ModelUnavailable("down")

    store = InMemoryConversationStore()
    with pytest.raises(ModelUnavailable):
        _service(Broken(), store).answer(ChatCommand(owner="u", message="q"))
    [conversation] = store.list_conversations("u")
    question, answer = store.list_messages("u", conversation.id)
    assert (question.content, question.complete) == ("q", True)
    assert (answer.content, answer.complete, answer.usage) == ("", False, Usage(0, 0))


def test_passages_are_numbered_in_the_prompt_and_only_used_ones_are_cited():
    passages = [Passage("doc-a", "A", "alpha facts", 0.9), Passage("doc-b", "B", "beta facts", 0.8)]
    model = ScriptedModel(answer="Beta it is [2].")
    result = _service(model, retriever=StaticRetriever(passages)).answer(
        ChatCommand(owner="u", message="beta?")
    )
    assert "[1] A" in model.requests[-1].messages[-1].content
    assert "[2] B" in model.requests[-1].messages[-1].content
    assert [(c.n, c.document_id) for c in result.citations] == [(2, "doc-b")]


def test_streaming_yields_deltas_in_order_then_the_stored_result():
    store = InMemoryConversationStore()
    events = list(
        _service(ScriptedModel(answer="one two three"), store).stream(ChatCommand(owner="u", message="q"))
    )
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert "".join(deltas) == "one two three"
    assert len(deltas) == 3
    assert isinstance(events[-1], ChatResult)
    assert store.list_messages("u", events[-1].conversation_id)[-1].complete


def test_a_stream_that_breaks_stores_the_partial_answer_marked_incomplete():
    store = InMemoryConversationStore()
    stream = _service(ScriptedModel(answer="one two three", fail_after_deltas=2), store).stream(
        ChatCommand(owner="u", message="q")
    )
    with pytest.raises(ModelUnavailable):
        list(stream)
    (conversation,) = store.list_conversations("u")
    answer = store.list_messages("u", conversation.id)[-1]
    assert answer.content == "one two"
    assert not answer.complete


def test_a_consumer_that_stops_early_leaves_an_incomplete_answer():
    store = InMemoryConversationStore()
    stream = _service(ScriptedModel(answer="one two three"), store).stream(
        ChatCommand(owner="u", message="q")
    )
    next(stream)
    stream.close()
    (conversation,) = store.list_conversations("u")
    assert not store.list_messages("u", conversation.id)[-1].complete


def test_turns_with_incomplete_answers_are_left_out_of_later_prompts():
    store = InMemoryConversationStore()
    broken = _service(ScriptedModel(answer="one two three", fail_after_deltas=1), store)
    with pytest.raises(ModelUnavailable):
        list(broken.stream(ChatCommand(owner="u", message="first")))
    (conversation,) = store.list_conversations("u")
    model = ScriptedModel()
    _service(model, store).answer(ChatCommand(owner="u", message="second", conversation_id=conversation.id))
    assert [m.content for m in model.requests[-1].messages] == ["second"]
