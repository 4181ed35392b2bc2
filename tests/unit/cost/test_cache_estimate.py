"""`make cost` with a prompt-cache hit rate: the input line splits into uncached, cache-read
and cache-write lines at their own rates, only where caching can happen."""

import pytest

from lambdas.core.pricing import PriceTable
from tools.cost.estimate import estimate
from tools.cost.prices import AwsPrices
from tools.cost.scenario import Scenario
from tools.cost.services.bedrock import MODEL_LINE_PREFIX

HAIKU = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


def model_lines(aws: AwsPrices, models: PriceTable, **scenario) -> dict[str, float]:
    result = estimate(Scenario(requests_per_day=1_000, **scenario), aws=aws, models=models)
    return {
        line.service.removeprefix(f"{MODEL_LINE_PREFIX}: "): line.monthly_usd
        for line in result.lines
        if line.service.startswith(MODEL_LINE_PREFIX)
    }


def test_a_hit_rate_prices_reads_and_writes_of_the_stable_prefix(aws: AwsPrices, models: PriceTable):
    lines = model_lines(aws, models, input_tokens=5_000, cache_hit_rate=0.75, cacheable_share=0.8)

    requests = 1_000 * aws.hours_per_month / 24
    # Prefix 4,000 tokens: 3,000 read at $0.00008, 1,000 written at $0.001; 1,000 uncached at $0.0008.
    assert lines["input tokens"] == pytest.approx(requests * 1.0 * 0.0008)
    assert lines["cache read tokens"] == pytest.approx(requests * 3.0 * 0.00008)
    assert lines["cache write tokens"] == pytest.approx(requests * 1.0 * 0.001)


def test_caching_at_a_high_hit_rate_costs_less_than_no_caching(aws: AwsPrices, models: PriceTable):
    cached = model_lines(aws, models, input_tokens=5_000, cache_hit_rate=0.9)
    uncached = model_lines(aws, models, input_tokens=5_000)

    assert sum(cached.values()) < sum(uncached.values())


def test_a_prefix_below_the_model_minimum_is_not_cached(aws: AwsPrices, models: PriceTable):
    lines = model_lines(aws, models, input_tokens=500, cache_hit_rate=0.9)

    assert set(lines) == {"input tokens", "output tokens"}


def test_a_model_without_prompt_caching_ignores_the_hit_rate(aws: AwsPrices, models: PriceTable):
    llama = "us.meta.llama3-3-70b-instruct-v1:0"
    with_rate = model_lines(aws, models, model=llama, input_tokens=5_000, cache_hit_rate=0.9)

    assert with_rate == model_lines(aws, models, model=llama, input_tokens=5_000)
