"""The AWS unit prices the estimate uses, read from `tools/aws_prices.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AWS_PRICES = Path(__file__).parent.parent / "aws_prices.json"


@dataclass(frozen=True, slots=True)
class ServicePrices:
    source: str
    """The service's public pricing page."""
    verified_on: str
    verified_against: tuple[str, ...]
    """The pages the figures were checked against on `verified_on`."""
    unverified: tuple[str, ...]
    """Price names no reachable page confirmed: every estimate line using them is marked."""
    prices: dict[str, float]

    def __getitem__(self, name: str) -> float:
        return self.prices[name]


@dataclass(frozen=True, slots=True)
class AwsPrices:
    version: str
    region: str
    hours_per_month: float
    services: dict[str, ServicePrices]
    opensearch_minimum_ocus: dict[str, float]
    """Idle floor of an OpenSearch Serverless vector collection: `with_standby_replicas`, `without_standby_replicas`."""

    def __getitem__(self, service: str) -> ServicePrices:
        return self.services[service]


def load_aws_prices(path: Path = AWS_PRICES) -> AwsPrices:
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    services = {
        name: ServicePrices(
            source=entry["source"],
            verified_on=entry["verified_on"],
            verified_against=tuple(entry["verified_against"]),
            unverified=tuple(entry["unverified"]),
            prices={key: float(value) for key, value in entry["prices"].items()},
        )
        for name, entry in raw["services"].items()
    }
    minimum = raw["services"]["opensearch_serverless"]["minimum_ocus"]
    return AwsPrices(
        version=raw["version"],
        region=raw["region"],
        hours_per_month=float(raw["hours_per_month"]),
        services=services,
        opensearch_minimum_ocus={key: float(value) for key, value in minimum.items()},
    )
