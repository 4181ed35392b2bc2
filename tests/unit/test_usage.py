"""Usage summaries: range validation, totals, per day and per model; embedding usage recording."""

from dataclasses import dataclass, field
from datetime import date

import pytest

from lambdas.adapters.local.embedder import MODEL_ID as MINILM
from lambdas.adapters.memory import InMemoryConversationStore
from lambdas.core.errors import InvalidRequest
from lambdas.core.ports import DailyUsage
from lambdas.core.pricing import UnknownModel, load_price_table
from lambdas.core.usage import (
    DayRange,
    EmbeddingUsageRecorder,
    RerankUsageRecorder,
    UsageService,
    parse_day_range,
    summarize,
)
from lambdas.settings import Settings
from lambdas.wiring import build_services
from tests.support.fakes import ScriptedModel

TODAY = date(2026, 11, 20)
HAIKU = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
TITAN = "amazon.titan-embed-text-v2:0"


def usage(day: str, model: str = HAIKU, *, kind: str = "chat", tokens=(1000, 200), cost=0.0016, requests=1):
    return DailyUsage(
        day=day,
        model=model,
        kind=kind,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        cost_usd=cost,
        requests=requests,
    )


@dataclass
class InMemoryUsageStore:
    records: dict[str, list[DailyUsage]] = field(default_factory=dict)
    queries: list[tuple[str, str, str]] = field(default_factory=list)

    def daily_usage(self, owner, first_day, last_day):
        self.queries.append((owner, first_day, last_day))
        return [r for r in self.records.get(owner, []) if first_day <= r.day <= last_day]

    def add_embedding_usage(self, owner, *, day, model, input_tokens, cost_usd, kind="embedding"):
        self.records.setdefault(owner, []).append(DailyUsage(day, model, kind, input_tokens, 0, cost_usd, 1))


class StoppedClock:
    def now_iso(self) -> str:
        return "2026-11-20T10:00:00.000Z"

    def monotonic_ms(self) -> float:
        return 0.0


# Range validation


def test_range_defaults_to_the_last_30_days_including_today():
    assert parse_day_range(None, None, today=TODAY) == DayRange(date(2026, 10, 22), TODAY)


def test_range_with_only_to_ends_there_and_spans_30_days():
    assert parse_day_range(None, "2026-01-31", today=TODAY) == DayRange(date(2026, 1, 2), date(2026, 1, 31))


def test_range_of_a_single_day_is_accepted():
    assert parse_day_range("2026-05-01", "2026-05-01", today=TODAY) == DayRange(
        date(2026, 5, 1), date(2026, 5, 1)
    )


@pytest.mark.parametrize("value", ["2026-13-01", "2026-02-30", "20260201", "yesterday", "2026-02-01T00:00"])
def test_from_that_is_not_an_iso_day_is_refused_naming_the_field(value):
    with pytest.raises(InvalidRequest) as raised:
        parse_day_range(value, "2026-03-01", today=TODAY)
    assert raised.value.field == "from"
    assert "YYYY-MM-DD" in raised.value.message


def test_to_that_is_not_an_iso_day_is_refused_naming_the_field():
    with pytest.raises(InvalidRequest) as raised:
        parse_day_range("2026-03-01", "03/05/2026", today=TODAY)
    assert raised.value.field == "to"


def test_from_after_to_is_refused():
    with pytest.raises(InvalidRequest, match="from must not be after to"):
        parse_day_range("2026-03-02", "2026-03-01", today=TODAY)


def test_a_range_of_366_days_is_accepted_and_367_refused():
    assert parse_day_range("2024-01-01", "2024-12-31", today=TODAY).first == date(2024, 1, 1)
    with pytest.raises(InvalidRequest, match="366 days"):
        parse_day_range("2024-01-01", "2025-01-01", today=TODAY)


# Summaries


def test_summary_of_no_usage_is_all_zero():
    summary = summarize([], DayRange(TODAY, TODAY))
    assert summary.totals.cost_usd == 0.0
    assert summary.totals.requests == 0
    assert summary.days == ()
    assert summary.models == ()


def test_totals_add_every_day_and_model():
    records = [
        usage("2026-11-01", tokens=(1000, 200), cost=0.0016, requests=2),
        usage("2026-11-02", NOVA, tokens=(500, 100), cost=0.000054, requests=1),
    ]
    totals = summarize(records, DayRange(date(2026, 11, 1), TODAY)).totals
    assert (totals.input_tokens, totals.output_tokens, totals.requests) == (1500, 300, 3)
    assert totals.cost_usd == pytest.approx(0.001654)


def test_days_are_listed_oldest_first_with_their_models():
    records = [
        usage("2026-11-02", NOVA, cost=0.0001),
        usage("2026-11-01"),
        usage("2026-11-02", HAIKU, cost=0.002),
    ]
    days = summarize(records, DayRange(date(2026, 11, 1), TODAY)).days
    assert [d.day for d in days] == ["2026-11-01", "2026-11-02"]
    assert [m.model for m in days[1].models] == [HAIKU, NOVA]
    assert days[1].totals.cost_usd == pytest.approx(0.0021)


def test_models_are_summed_over_the_range_most_expensive_first():
    records = [
        usage("2026-11-01", NOVA, cost=0.001),
        usage("2026-11-02", NOVA, cost=0.001),
        usage("2026-11-02", HAIKU, cost=0.0015),
        usage("2026-11-02", TITAN, kind="embedding", tokens=(4000, 0), cost=0.00008),
    ]
    models = summarize(records, DayRange(date(2026, 11, 1), TODAY)).models
    assert [(m.model, m.kind) for m in models] == [(NOVA, "chat"), (HAIKU, "chat"), (TITAN, "embedding")]
    assert models[0].totals.requests == 2
    assert models[0].totals.cost_usd == pytest.approx(0.002)


def test_summed_costs_carry_no_float_noise():
    records = [usage("2026-11-01", cost=0.1), usage("2026-11-02", cost=0.2)]
    assert summarize(records, DayRange(date(2026, 11, 1), TODAY)).totals.cost_usd == 0.3


def test_service_queries_the_callers_own_usage_for_the_default_range():
    store = InMemoryUsageStore({"alice": [usage("2026-11-20")], "bob": [usage("2026-11-20", cost=9.0)]})
    summary = UsageService(store, StoppedClock()).summary("alice")
    assert store.queries == [("alice", "2026-10-22", "2026-11-20")]
    assert summary.totals.cost_usd == pytest.approx(0.0016)


def test_service_refuses_a_bad_range_before_reading_the_store():
    store = InMemoryUsageStore()
    with pytest.raises(InvalidRequest):
        UsageService(store, StoppedClock()).summary("alice", "2026-11-05", "2026-11-01")
    assert store.queries == []


# Embedding usage


def test_embedding_usage_is_estimated_tokens_times_the_embedding_price():
    store = InMemoryUsageStore()
    recorder = EmbeddingUsageRecorder(store, StoppedClock(), model_id=TITAN, input_per_1k_usd=0.00002)
    recorder.record("alice", ["a" * 3500, "b" * 35])  # 1000 + 10 tokens at 3.5 characters per token
    [record] = store.records["alice"]
    assert (record.day, record.model, record.kind) == ("2026-11-20", TITAN, "embedding")
    assert record.input_tokens == 1010
    assert record.cost_usd == pytest.approx(1010 / 1000 * 0.00002)


def test_the_local_embedder_is_priced_at_zero():
    assert load_price_table().embedding_price(MINILM) == 0.0


# Configuration


@pytest.mark.parametrize(
    "settings",
    [
        {"llm_provider": "bedrock", "bedrock_model_id": "anthropic.claude-unpriced-v9"},
        {"llm_provider": "bedrock", "bedrock_extra_model_ids": ["anthropic.claude-unpriced-v9"]},
    ],
)
def test_a_configured_model_missing_from_the_price_table_is_refused_at_startup(settings):
    with pytest.raises(UnknownModel, match="claude-unpriced-v9"):
        build_services(Settings(**settings), store=InMemoryConversationStore(), model=ScriptedModel())


def test_a_cloud_embedding_model_missing_from_the_price_table_is_refused_at_startup():
    settings = Settings(
        vector_backend="s3vectors",
        s3vectors_bucket="vectors",
        embedding_model_id="amazon.titan-embed-unpriced-v9",
    )
    with pytest.raises(UnknownModel, match="titan-embed-unpriced-v9"):
        build_services(settings, store=InMemoryConversationStore(), model=ScriptedModel())


@pytest.mark.parametrize(("documents", "queries_billed"), [(1, 1), (40, 1), (100, 1), (101, 2), (250, 3)])
def test_a_rerank_call_costs_the_price_per_query_of_up_to_100_documents(documents, queries_billed):
    store = InMemoryUsageStore()
    per_1k_queries = load_price_table().rerank_price("cohere.rerank-v3-5:0")
    recorder = RerankUsageRecorder(
        store, StoppedClock(), model_id="cohere.rerank-v3-5:0", per_1k_queries_usd=per_1k_queries
    )

    recorder.record("alice", "how to descale", ["a passage"] * documents)

    (record,) = store.records["alice"]
    assert (record.kind, record.model, record.day) == ("rerank", "cohere.rerank-v3-5:0", "2026-11-20")
    assert record.cost_usd == pytest.approx(queries_billed * per_1k_queries / 1000)
    assert record.input_tokens > 0


def test_every_rerank_model_the_deployment_may_choose_is_priced():
    table = load_price_table()

    assert table.rerank_price("cohere.rerank-v3-5:0") > 0
    assert table.rerank_price("amazon.rerank-v1:0") > 0
    with pytest.raises(UnknownModel):
        table.rerank_price("unknown.rerank")
