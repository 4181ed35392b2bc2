"""Worked examples: a turn with cached input costs
uncached input x input rate + cache reads x read rate + cache writes x write rate + output x output rate,
at the versioned table's rates, and that is the cost stored with the answer."""

import pytest

from lambdas.adapters.memory import InMemoryConversationStore, InMemoryRateLimiter
from lambdas.core.catalog import ModelCatalog
from lambdas.core.chat import ChatService
from lambdas.core.limits import LimitPolicy
from lambdas.core.models import ChatCommand, ModelInfo, Usage
from lambdas.core.pricing import PriceTable, cost_usd
from tests.support.fakes import FixedClock, ScriptedModel, SequentialIds

CACHED_TURN = Usage(input_tokens=250, output_tokens=400, cache_read_tokens=3_000, cache_write_tokens=1_200)

WORKED_EXAMPLES = [
    # Claude 3.5 Haiku: $0.0008 in, $0.00008 cache read, $0.001 cache write, $0.004 out per 1K.
    ("us.anthropic.claude-3-5-haiku-20241022-v1:0", 0.0002 + 0.00024 + 0.0012 + 0.0016),
    # Amazon Nova Pro: $0.0008 in, $0.0002 cache read, $0.0008 cache write, $0.0032 out per 1K.
    ("us.amazon.nova-pro-v1:0", 0.0002 + 0.0006 + 0.00096 + 0.00128),
]


@pytest.mark.parametrize(("model_id", "expected"), WORKED_EXAMPLES)
def test_a_cached_turn_costs_each_kind_of_token_at_its_own_rate(models: PriceTable, model_id, expected):
    assert cost_usd(models.model(model_id), CACHED_TURN) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("model_id", "expected"), WORKED_EXAMPLES)
def test_the_stored_answer_carries_that_cost_and_the_cache_counts(models: PriceTable, model_id, expected):
    store = InMemoryConversationStore()
    model = models.model(model_id)
    chat = ChatService(
        store=store,
        catalog=ModelCatalog([model], default_model_id=model_id),
        model=ScriptedModel(answer="Cached.", usage=CACHED_TURN),
        clock=FixedClock(),
        ids=SequentialIds(),
    )

    result = chat.answer(ChatCommand(owner="u", message="hello"))

    stored = store.list_messages("u", result.conversation_id)[-1]
    assert result.cost_usd == pytest.approx(expected, abs=1e-9)
    assert (stored.usage, stored.cost_usd) == (CACHED_TURN, result.cost_usd)


def test_cached_tokens_of_a_model_without_cache_rates_cost_the_input_rate():
    model = ModelInfo("m", "openai", "M", 8_000, input_per_1k_usd=0.001, output_per_1k_usd=0.002)

    assert cost_usd(model, Usage(input_tokens=1_000, output_tokens=0, cache_read_tokens=1_000)) == 0.002


def test_a_model_that_caches_has_a_minimum_and_both_rates(models: PriceTable):
    for model in models.models.values():
        priced = (model.cache_read_per_1k_usd, model.cache_write_per_1k_usd)
        assert (model.cache_min_tokens > 0) == (None not in priced), model.id


def test_the_daily_budget_counts_cached_tokens_too(models: PriceTable):
    limiter = InMemoryRateLimiter(
        LimitPolicy(requests_per_minute=0, tokens_per_minute=0, daily_tokens=100_000)
    )
    model = models.model(WORKED_EXAMPLES[0][0])
    chat = ChatService(
        store=InMemoryConversationStore(),
        catalog=ModelCatalog([model], default_model_id=model.id),
        model=ScriptedModel(answer="Cached.", usage=CACHED_TURN),
        clock=FixedClock(),
        ids=SequentialIds(),
        rate_limiter=limiter,
    )

    chat.answer(ChatCommand(owner="u", message="hello"))

    assert limiter.status("u").daily_tokens_used == 250 + 3_000 + 1_200 + 400
