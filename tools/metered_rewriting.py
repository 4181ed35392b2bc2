"""Query rewriting for an evaluation run: as local chat runs it, its calls totalled for the report.

Chat records each rewrite in the asking user's usage; an evaluation has no user, so the calls'
tokens and cost are added up here and printed beside the figures they bought.
"""

from __future__ import annotations

from collections.abc import Callable

from lambdas.core.models import ModelInfo, Usage
from lambdas.core.ports import LanguageModel, Retriever
from lambdas.core.pricing import cost_usd
from lambdas.core.rag.rewrite import RewritingRetriever
from lambdas.settings import Settings
from lambdas.wiring import default_model


class MeteredRewriting:
    """Implements `RewriteUsage`: totals of the rewrites the model wrote."""

    def __init__(self, language_model: LanguageModel, model: ModelInfo) -> None:
        self._language_model = language_model
        self.model = model
        self.calls = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.cost_usd = 0.0

    @classmethod
    def from_settings(
        cls, settings: Settings, language_model: Callable[[Settings], LanguageModel]
    ) -> MeteredRewriting | None:
        """The configured model's rewriting, or None where chat would not rewrite (no generative
        model, or QUERY_REWRITING off). An unpriced model raises `UnknownModel`, as chat's start does."""
        if not settings.rewrites_queries:
            return None
        return cls(language_model(settings), default_model(settings))

    def around(self, retriever: Retriever) -> Retriever:
        return RewritingRetriever(retriever, self._language_model, self.model.id, self)

    def record(self, owner: str, usage: Usage) -> None:
        self.calls += 1
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cost_usd += cost_usd(self.model, usage)

    def report(self) -> dict[str, float | int]:
        return {
            "rewrites": self.calls,
            "rewrite_input_tokens": self.input_tokens,
            "rewrite_output_tokens": self.output_tokens,
            "rewrite_cost_usd": round(self.cost_usd, 6),
        }
