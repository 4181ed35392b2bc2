import pytest

from lambdas.core.pricing import PriceTable, load_price_table
from tools.cost.prices import AwsPrices, load_aws_prices


@pytest.fixture(scope="session")
def aws() -> AwsPrices:
    return load_aws_prices()


@pytest.fixture(scope="session")
def models() -> PriceTable:
    return load_price_table()
