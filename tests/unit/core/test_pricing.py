import pytest

from lambdas.core.models import ModelInfo, Usage
from lambdas.core.pricing import UnknownModel, cost_usd, load_price_table


def _model(input_per_1k: float, output_per_1k: float) -> ModelInfo:
    return ModelInfo("m", "p", "M", 1000, input_per_1k, output_per_1k)


def test_cost_is_tokens_over_1000_times_the_rate():
    # 1,000,000 tokens at $0.002 per 1K tokens = $2.00
    assert cost_usd(_model(0.002, 0.0), Usage(1_000_000, 0)) == pytest.approx(2.00)


def test_cost_adds_input_and_output_at_their_own_rates():
    assert cost_usd(_model(0.0008, 0.004), Usage(500, 300)) == pytest.approx(0.0004 + 0.0012)


def test_price_table_is_versioned_with_a_source():
    table = load_price_table()
    assert table.version
    assert table.source
    assert table.model("local-extractive").input_per_1k_usd == 0.0


def test_unknown_model_is_refused_not_priced_as_zero():
    with pytest.raises(UnknownModel):
        load_price_table().model("no-such-model")


def test_every_priced_model_has_a_window_and_non_negative_prices():
    for model in load_price_table().models.values():
        assert model.context_window > model.max_output_tokens > 0
        assert model.input_per_1k_usd >= 0
        assert model.output_per_1k_usd >= 0
