"""The seed notes' formula, shared by the estimator and the application: tokens / 1000 x rate."""

import pytest

from lambdas.core.models import ModelInfo, Usage
from lambdas.core.pricing import cost_usd
from tools.cost.items import tokens_cost, usd


def test_a_million_tokens_at_two_tenths_of_a_cent_per_1k_cost_two_dollars():
    assert tokens_cost(1_000_000, 0.002) == pytest.approx(2.00)


def test_the_application_prices_input_and_output_tokens_separately_with_the_same_formula():
    model = ModelInfo(
        "m", "bedrock", "M", context_window=1000, input_per_1k_usd=0.002, output_per_1k_usd=0.01
    )

    cost = cost_usd(model, Usage(input_tokens=1_000_000, output_tokens=10_000))

    assert cost == pytest.approx(tokens_cost(1_000_000, 0.002) + tokens_cost(10_000, 0.01))
    assert cost == pytest.approx(2.10)


@pytest.mark.parametrize(
    ("price", "written"),
    [(0.2, "$0.20"), (3.5, "$3.50"), (5.0, "$5.00"), (0.0000133334, "$0.0000133334"), (1.006, "$1.006")],
)
def test_unit_prices_are_written_in_whole_cents_with_every_significant_digit(price, written):
    assert usd(price) == written
