"""A line of the estimate and the arithmetic every token-priced line shares."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

GIB = 1024**3
TIB = 1024**4


@dataclass(frozen=True, slots=True)
class LineItem:
    service: str
    monthly_usd: float
    assumptions: tuple[str, ...]
    idle_usd: float = 0.0
    """The part billed whether or not anyone uses the service."""
    unverified: tuple[str, ...] = ()
    """Prices behind this line that no reachable page confirmed."""


def tokens_cost(tokens: float, price_per_1k: float) -> float:
    """The application's formula: cost = tokens / 1000 x price per 1K tokens."""
    return tokens / 1000 * price_per_1k


def per_million(count: float, price: float) -> float:
    return count / 1e6 * price


def usd(price: float) -> str:
    """A unit price as price pages write it: whole cents at least, every significant digit."""
    exponent = Decimal(str(price)).normalize().as_tuple().exponent
    places = max(2, -int(exponent))  # prices are finite, so the exponent is a number
    return f"${price:.{places}f}"
