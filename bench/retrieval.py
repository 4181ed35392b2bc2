"""Retrieval throughput: questions per second of the hybrid retriever, against the plain BM25
baseline of the evaluation (rank-bm25 over fixed 1,000-character windows) on the same corpus,
in the same process.

Corpus: the project's documentation, eight copies (as the large ingestion benchmark), with
the hashing embedder. Questions: every heading of that documentation, asked as written.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

from bench.ingest import LARGE_COPIES, OWNER, HashingEmbedder, ingest, project_documents
from lambdas.core.rag.retrieval import HybridRetriever
from tools.bm25_baseline import Bm25Baseline

ROUNDS = 3
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)


def questions_from(documents: dict[str, str]) -> list[str]:
    return [match.group(1).strip() for text in documents.values() for match in _HEADING.finditer(text)]


def queries_per_second(search: Callable[[str], object], questions: Sequence[str]) -> float:
    started = time.perf_counter()
    for _ in range(ROUNDS):
        for question in questions:
            search(question)
    return ROUNDS * len(questions) / (time.perf_counter() - started)


def run() -> dict[str, float]:
    documents = project_documents()
    questions = questions_from(documents)
    embedder = HashingEmbedder()
    index, _ = ingest(documents, LARGE_COPIES, embedder)
    retriever = HybridRetriever(embedder, index)
    baseline = Bm25Baseline.from_texts(list(documents.values()) * LARGE_COPIES)

    hybrid_qps = queries_per_second(lambda q: retriever.retrieve(OWNER, q, 5), questions)
    keyword_qps = queries_per_second(lambda q: HybridRetriever(None, index).retrieve(OWNER, q, 5), questions)
    baseline_qps = queries_per_second(lambda q: baseline.rank(q, 5), questions)
    print(
        f"retrieval over {len(baseline.windows)} windows of docs x{LARGE_COPIES}, {len(questions)} questions: "
        f"hybrid {hybrid_qps:.0f} q/s, keyword-only {keyword_qps:.0f} q/s; "
        f"baseline BM25 (rank-bm25) {baseline_qps:.0f} q/s, ratio {hybrid_qps / baseline_qps:.2f}"
    )
    return {
        "retrieval_qps": round(hybrid_qps, 1),
        "retrieval_keyword_only_qps": round(keyword_qps, 1),
        "retrieval_qps_ratio_vs_bm25": round(hybrid_qps / baseline_qps, 3),
    }
