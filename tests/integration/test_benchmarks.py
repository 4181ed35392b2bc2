"""Each benchmark `make bench` runs still runs and reports its figures: a smoke test at tiny
sizes, so that a change cannot break the benchmarks unnoticed (the figures are not checked)."""

from __future__ import annotations

import pytest

from bench import cold_start, ingest, retrieval, turn_overhead

SMALL_DOCUMENTS = {
    "kettles.md": "# Kettles\n\nDescale the kettle every month with citric acid.\n\n## Safety\n\n"
    "Unplug the kettle before cleaning it. Never immerse the base in water.\n",
    "expenses.md": "# Expenses\n\nExpense reports above 500 euros need a manager's approval.\n\n"
    "## Travel\n\nTrain tickets are booked through the travel desk two weeks ahead.\n",
}


@pytest.fixture
def small_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (ingest, retrieval):
        monkeypatch.setattr(module, "project_documents", lambda: dict(SMALL_DOCUMENTS))
        monkeypatch.setattr(module, "LARGE_COPIES", 2)
    monkeypatch.setattr(ingest, "E2E_COPIES", 1)
    monkeypatch.setattr(retrieval, "ROUNDS", 1)
    monkeypatch.setattr(retrieval, "RERANKED_QUESTIONS", 2)


def test_cold_start_reports_the_ratio_to_its_baseline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cold_start, "RUNS", 1)

    assert set(cold_start.run()) == {"cold_start_ratio_vs_boto3_clients"}


def test_turn_overhead_reports_median_and_p99(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(turn_overhead, "TURNS", 40)

    assert set(turn_overhead.run()) == {"turn_overhead_ms_p50", "turn_overhead_ms_p99"}


@pytest.mark.usefixtures("small_corpus")
def test_ingestion_reports_scaling_end_to_end_rates_and_the_small_upload_wait() -> None:
    figures = ingest.run()

    assert {"ingest_kb_per_s_small", "ingest_scaling_ratio", "ingest_e2e_fake_kb_per_s"} <= set(figures)
    if ingest.real_embedder() is not None:
        assert {"ingest_e2e_real_kb_per_s", "ingest_small_upload_wait_s"} <= set(figures)


@pytest.mark.usefixtures("small_corpus")
def test_retrieval_reports_throughput_against_bm25_and_the_reranking_cost() -> None:
    figures = retrieval.run()

    assert {"retrieval_qps", "retrieval_keyword_only_qps", "retrieval_qps_ratio_vs_bm25"} <= set(figures)
    if retrieval.load_local_embedder() is not None:
        assert {"retrieval_reranking_added_ms", "retrieval_reranking_added_ms_minilm"} <= set(figures)
