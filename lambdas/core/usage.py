"""A user's token use and cost over a date range: totals, per day and per model.

The figures come from the daily aggregates each chat turn and each embedding call add to
(see `UsageStore`); this module only validates the range and sums them.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from lambdas.core.budget import estimate_tokens
from lambdas.core.errors import InvalidRequest
from lambdas.core.ports import Clock, DailyUsage, UsageStore

DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 366
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class DayRange:
    """Both ends included."""

    first: date
    last: date


@dataclass(frozen=True, slots=True)
class UsageTotals:
    input_tokens: int = 0
    """Input tokens neither read from nor written to the prompt cache."""
    output_tokens: int = 0
    cost_usd: float = 0.0
    requests: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def plus(self, usage: DailyUsage) -> UsageTotals:
        return UsageTotals(
            input_tokens=self.input_tokens + usage.input_tokens,
            output_tokens=self.output_tokens + usage.output_tokens,
            cache_read_tokens=self.cache_read_tokens + usage.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + usage.cache_write_tokens,
            # Rounded like each stored cost, so sums do not show float noise.
            cost_usd=round(self.cost_usd + usage.cost_usd, 8),
            requests=self.requests + usage.requests,
        )


@dataclass(frozen=True, slots=True)
class ModelUsage:
    model: str
    kind: str
    totals: UsageTotals


@dataclass(frozen=True, slots=True)
class DayUsage:
    day: str
    totals: UsageTotals
    models: tuple[ModelUsage, ...]


@dataclass(frozen=True, slots=True)
class UsageSummary:
    range: DayRange
    totals: UsageTotals
    days: tuple[DayUsage, ...]
    """Oldest first; days without usage are left out."""
    models: tuple[ModelUsage, ...]
    """Most expensive first."""


def parse_day_range(first: str | None, last: str | None, *, today: date) -> DayRange:
    """The requested range; an end left out defaults to the last DEFAULT_RANGE_DAYS days up to today."""
    last_day = _parse_day(last, "to") if last else today
    first_day = _parse_day(first, "from") if first else last_day - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if first_day > last_day:
        raise InvalidRequest("from must not be after to", field="from")
    if (last_day - first_day).days + 1 > MAX_RANGE_DAYS:
        raise InvalidRequest(f"the range may span at most {MAX_RANGE_DAYS} days", field="from")
    return DayRange(first_day, last_day)


def summarize(records: Iterable[DailyUsage], day_range: DayRange) -> UsageSummary:
    by_day: dict[str, list[DailyUsage]] = defaultdict(list)
    for record in records:
        by_day[record.day].append(record)
    days = tuple(
        DayUsage(day=day, totals=_total(by_day[day]), models=_per_model(by_day[day]))
        for day in sorted(by_day)
    )
    every_record = [record for day in sorted(by_day) for record in by_day[day]]
    return UsageSummary(
        range=day_range,
        totals=_total(every_record),
        days=days,
        models=_per_model(every_record),
    )


class UsageService:
    def __init__(self, store: UsageStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def summary(self, owner: str, first: str | None = None, last: str | None = None) -> UsageSummary:
        day_range = parse_day_range(first, last, today=date.fromisoformat(self._clock.now_iso()[:10]))
        records = self._store.daily_usage(owner, day_range.first.isoformat(), day_range.last.isoformat())
        return summarize(records, day_range)


class EmbeddingUsageRecorder:
    """Adds the tokens and cost of an embedding call to the owner's daily usage.

    The Embedder port returns vectors only, so the tokens are the same conservative estimate
    the context budget uses; the cost is priced from those tokens. Implements
    `lambdas.core.ingestion.EmbeddingUsage`.
    """

    def __init__(self, store: UsageStore, clock: Clock, *, model_id: str, input_per_1k_usd: float) -> None:
        self._store = store
        self._clock = clock
        self._model_id = model_id
        self._input_per_1k_usd = input_per_1k_usd

    def record(self, owner: str, texts: Sequence[str]) -> None:
        tokens = sum(estimate_tokens(text) for text in texts)
        self._store.add_embedding_usage(
            owner,
            day=self._clock.now_iso()[:10],
            model=self._model_id,
            input_tokens=tokens,
            cost_usd=round(tokens / 1000 * self._input_per_1k_usd, 8),
        )


RERANK_DOCUMENTS_PER_QUERY = 100
"""Bedrock bills reranking per query of up to 100 documents; more documents count as more queries."""


class RerankUsageRecorder:
    """Adds a rerank call's cost to the owner's daily usage: queries billed times the model's
    price per 1,000 queries; the tokens are the same estimate as for embeddings, for the record."""

    def __init__(self, store: UsageStore, clock: Clock, *, model_id: str, per_1k_queries_usd: float) -> None:
        self._store = store
        self._clock = clock
        self._model_id = model_id
        self._per_1k_queries_usd = per_1k_queries_usd

    def record(self, owner: str, query: str, texts: Sequence[str]) -> None:
        queries = max(1, math.ceil(len(texts) / RERANK_DOCUMENTS_PER_QUERY))
        self._store.add_embedding_usage(
            owner,
            day=self._clock.now_iso()[:10],
            model=self._model_id,
            input_tokens=estimate_tokens(query) + sum(estimate_tokens(text) for text in texts),
            cost_usd=round(queries * self._per_1k_queries_usd / 1000, 8),
            kind="rerank",
        )


def _parse_day(value: str, field: str) -> date:
    if _ISO_DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidRequest(f"{field} must be a date as YYYY-MM-DD, got {value!r}", field=field)


def _total(records: Iterable[DailyUsage]) -> UsageTotals:
    totals = UsageTotals()
    for record in records:
        totals = totals.plus(record)
    return totals


def _per_model(records: Sequence[DailyUsage]) -> tuple[ModelUsage, ...]:
    by_model: dict[tuple[str, str], UsageTotals] = defaultdict(UsageTotals)
    for record in records:
        key = (record.model, record.kind)
        by_model[key] = by_model[key].plus(record)
    models = [ModelUsage(model, kind, totals) for (model, kind), totals in by_model.items()]
    return tuple(sorted(models, key=lambda m: (-m.totals.cost_usd, m.model)))
