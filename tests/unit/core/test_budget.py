import pytest

from lambdas.core.budget import estimate_tokens, estimate_usage, message_tokens, plan_context
from lambdas.core.errors import InvalidRequest
from lambdas.core.models import Passage, PromptMessage


def _turns(n: int, words: int = 30) -> list[PromptMessage]:
    history = []
    for i in range(n):
        history.append(PromptMessage("user", f"question {i} " + "word " * words))
        history.append(PromptMessage("assistant", f"answer {i} " + "word " * words))
    return history


def test_estimate_tokens_overestimates_typical_english():
    text = "The quick brown fox jumps over the lazy dog. " * 10
    assert estimate_tokens(text) >= len(text) / 4


def test_estimated_usage_is_flagged_as_estimated():
    usage = estimate_usage(["system prompt", "hello"], "an answer")
    assert usage.estimated
    assert usage.input_tokens > 0
    assert usage.output_tokens > 0


def test_everything_fits_when_the_window_is_large():
    plan = plan_context(
        context_window=100_000,
        reserved_output_tokens=1000,
        system="s",
        question="q",
        history=_turns(3),
        passages=(),
    )
    assert len(plan.history) == 6
    assert plan.dropped_messages == 0


def test_oldest_turns_are_dropped_first_and_whole():
    history = _turns(10)
    plan = plan_context(
        context_window=400,
        reserved_output_tokens=100,
        system="system",
        question="q",
        history=history,
        passages=(),
    )
    assert 0 < len(plan.history) < len(history)
    assert plan.history == tuple(history[-len(plan.history) :])
    assert plan.history[0].role == "user"
    assert plan.dropped_messages == len(history) - len(plan.history)


def test_plan_never_exceeds_the_window():
    plan = plan_context(
        context_window=500,
        reserved_output_tokens=120,
        system="system " * 20,
        question="question " * 10,
        history=_turns(20),
        passages=[Passage("d", "t", "passage text " * 30, 1.0)] * 3,
    )
    assert plan.estimated_input_tokens + 120 <= 500


def test_passages_that_do_not_fit_are_cut_in_score_order():
    passages = [Passage(f"d{i}", "t", "x" * 700, 1.0 - i / 10) for i in range(5)]
    plan = plan_context(
        context_window=600,
        reserved_output_tokens=100,
        system="s",
        question="q",
        history=(),
        passages=passages,
    )
    assert [p.document_id for p in plan.passages] == ["d0", "d1"]


def test_a_message_too_long_for_the_window_is_refused_naming_the_field():
    with pytest.raises(InvalidRequest) as error:
        plan_context(
            context_window=100,
            reserved_output_tokens=50,
            system="s",
            question="q" * 1000,
            history=(),
            passages=(),
        )
    assert error.value.field == "message"


def test_an_orphaned_assistant_reply_never_starts_the_window():
    history = [PromptMessage("assistant", "greeting"), *_turns(2)]
    plan = plan_context(
        context_window=100_000,
        reserved_output_tokens=10,
        system="s",
        question="q",
        history=history,
        passages=(),
    )
    assert plan.history[0].role == "user"
    assert message_tokens(history[0]) > 0
