"""The versioned price table and the cost formula.

cost_usd = (input_tokens * input_per_1k + cache_read_tokens * cache_read_per_1k
            + cache_write_tokens * cache_write_per_1k + output_tokens * output_per_1k) / 1000

`input_tokens` are the input tokens neither read from nor written to the prompt cache.
A model without cache rates of its own prices its cached tokens at the input rate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambdas.core.models import ModelInfo, Usage

DEFAULT_PRICE_TABLE = Path(__file__).with_name("prices.json")


class UnknownModel(ValueError):
    """A configured model has no price: refused at configuration time, never billed as zero."""


@dataclass(frozen=True, slots=True)
class PriceTable:
    version: str
    source: str
    models: dict[str, ModelInfo]
    embedding_input_per_1k: dict[str, float]
    rerank_per_1k_queries: dict[str, float] = field(default_factory=dict)
    """A rerank query is up to 100 documents scored against one query."""
    unverified: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Model, embedding or rerank model id -> its prices no reachable page confirmed (see prices.json)."""

    def model(self, model_id: str) -> ModelInfo:
        try:
            return self.models[model_id]
        except KeyError:
            raise UnknownModel(f"model {model_id!r} is not in price table {self.version}") from None

    def cache_minimums(self) -> dict[str, int]:
        """Model id -> fewest prompt tokens per cache checkpoint, for models that take them."""
        return {model_id: m.cache_min_tokens for model_id, m in self.models.items() if m.cache_min_tokens}

    def embedding_price(self, model_id: str) -> float:
        try:
            return self.embedding_input_per_1k[model_id]
        except KeyError:
            raise UnknownModel(f"embedding model {model_id!r} is not in price table {self.version}") from None

    def rerank_price(self, model_id: str) -> float:
        try:
            return self.rerank_per_1k_queries[model_id]
        except KeyError:
            raise UnknownModel(f"rerank model {model_id!r} is not in price table {self.version}") from None


def load_price_table(path: Path = DEFAULT_PRICE_TABLE) -> PriceTable:
    raw = json.loads(path.read_text(encoding="utf-8"))
    models = {model_id: _model_info(model_id, entry) for model_id, entry in raw["models"].items()}
    embeddings = {model_id: float(entry["input_per_1k"]) for model_id, entry in raw["embeddings"].items()}
    reranking = {
        model_id: float(entry["per_1k_queries"]) for model_id, entry in raw.get("rerank", {}).items()
    }
    unverified = {
        model_id: tuple(entry["verified"]["unverified"])
        for model_id, entry in (raw["models"] | raw["embeddings"] | raw.get("rerank", {})).items()
        if entry.get("verified", {}).get("unverified")
    }
    return PriceTable(
        version=raw["version"],
        source=raw["source"],
        models=models,
        embedding_input_per_1k=embeddings,
        rerank_per_1k_queries=reranking,
        unverified=unverified,
    )


def _model_info(model_id: str, entry: dict[str, Any]) -> ModelInfo:
    cache = entry.get("prompt_cache")
    return ModelInfo(
        id=model_id,
        provider=entry["provider"],
        display_name=entry["display_name"],
        context_window=int(entry["context_window"]),
        max_output_tokens=int(entry["max_output_tokens"]),
        input_per_1k_usd=float(entry["input_per_1k"]),
        output_per_1k_usd=float(entry["output_per_1k"]),
        cache_read_per_1k_usd=float(cache["read_per_1k"]) if cache else None,
        cache_write_per_1k_usd=float(cache["write_per_1k"]) if cache else None,
        cache_min_tokens=int(cache["min_tokens"]) if cache else 0,
    )


def cost_usd(model: ModelInfo, usage: Usage) -> float:
    """Cost of one call; rounded to 1e-8 USD so stored values are stable."""
    read_rate = model.input_per_1k_usd if model.cache_read_per_1k_usd is None else model.cache_read_per_1k_usd
    write_rate = (
        model.input_per_1k_usd if model.cache_write_per_1k_usd is None else model.cache_write_per_1k_usd
    )
    cost = (
        usage.input_tokens * model.input_per_1k_usd
        + usage.cache_read_tokens * read_rate
        + usage.cache_write_tokens * write_rate
        + usage.output_tokens * model.output_per_1k_usd
    ) / 1000
    return round(cost, 8)
