"""Where cache checkpoints go: only where the prefix reaches the model's minimum."""

from lambdas.core.models import PromptMessage
from lambdas.core.prompt_cache import NO_CACHE, CachePlan, plan_cache

TURN_OF_100_TOKENS = "x" * 336  # 96 estimated tokens + 4 of message overhead


def history(turns: int) -> list[PromptMessage]:
    return [PromptMessage("user" if i % 2 == 0 else "assistant", TURN_OF_100_TOKENS) for i in range(turns)]


def test_a_model_without_a_minimum_takes_no_checkpoint():
    assert plan_cache(0, "s" * 10_000, history(40)) == NO_CACHE


def test_history_reaching_the_minimum_gets_a_checkpoint():
    assert plan_cache(1_000, "", history(10)) == CachePlan(after_history=True)


def test_history_short_of_the_minimum_gets_none():
    assert plan_cache(1_000, "", history(9)) == NO_CACHE


def test_a_second_checkpoint_needs_twice_the_minimum():
    system = "s" * 3_500  # 1,000 estimated tokens
    assert plan_cache(1_000, system, history(9)) == CachePlan(after_system=True)
    assert plan_cache(1_000, system, history(10)) == CachePlan(after_system=True, after_history=True)


def test_no_history_means_no_history_checkpoint():
    assert plan_cache(1_000, "s" * 3_500, []) == CachePlan(after_system=True)
