"""The versioned price table and the cost formula.

cost_usd = input_tokens / 1000 * input_per_1k + output_tokens / 1000 * output_per_1k
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

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

    def model(self, model_id: str) -> ModelInfo:
        try:
            return self.models[model_id]
        except KeyError:
            raise UnknownModel(f"model {model_id!r} is not in price table {self.version}") from None

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
    models = {
        model_id: ModelInfo(
            id=model_id,
            provider=entry["provider"],
            display_name=entry["display_name"],
            context_window=int(entry["context_window"]),
            max_output_tokens=int(entry["max_output_tokens"]),
            input_per_1k_usd=float(entry["input_per_1k"]),
            output_per_1k_usd=float(entry["output_per_1k"]),
        )
        for model_id, entry in raw["models"].items()
    }
    embeddings = {model_id: float(entry["input_per_1k"]) for model_id, entry in raw["embeddings"].items()}
    reranking = {
        model_id: float(entry["per_1k_queries"]) for model_id, entry in raw.get("rerank", {}).items()
    }
    return PriceTable(
        version=raw["version"],
        source=raw["source"],
        models=models,
        embedding_input_per_1k=embeddings,
        rerank_per_1k_queries=reranking,
    )


def cost_usd(model: ModelInfo, usage: Usage) -> float:
    """Cost of one call; rounded to 1e-8 USD so stored values are stable."""
    cost = (
        usage.input_tokens / 1000 * model.input_per_1k_usd
        + usage.output_tokens / 1000 * model.output_per_1k_usd
    )
    return round(cost, 8)
