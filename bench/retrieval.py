"""Retrieval throughput: questions per second of the hybrid retriever, against the plain BM25
baseline of the evaluation (rank-bm25 over fixed 1,000-character windows) on the same corpus,
in the same process; and the cost of local mode's second stage, the sentence-group reranker,
against the hybrid retriever without it, scoring with bge-small-en-v1.5 as local chat does and
with MiniLM, the dense embedder, as the named baseline.

Corpus: the project's documentation, eight copies (as the large ingestion benchmark), with
the hashing embedder. Questions: every heading of that documentation, asked as written. The
reranker embeds with no cache, as for the first questions over new documents, so it is timed
on the first `RERANKED_QUESTIONS` questions, once per embedder.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from functools import partial

from bench.ingest import LARGE_COPIES, OWNER, HashingEmbedder, ingest, project_documents
from lambdas.adapters.local.bge_embedder import load_bge_embedder
from lambdas.adapters.local.embedder import load_local_embedder
from lambdas.adapters.local.sentence_reranker import SentenceGroupReranker
from lambdas.core.ports import ChunkIndex, Embedder
from lambdas.core.rag.retrieval import DEFAULT_CONFIG, HybridRetriever
from tools.bm25_baseline import Bm25Baseline

ROUNDS = 3
RERANKED_QUESTIONS = 24
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)


def questions_from(documents: dict[str, str]) -> list[str]:
    return [match.group(1).strip() for text in documents.values() for match in _HEADING.finditer(text)]


def queries_per_second(
    search: Callable[[str], object], questions: Sequence[str], rounds: int = ROUNDS
) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for question in questions:
            search(question)
    return rounds * len(questions) / (time.perf_counter() - started)


def reranking_cost(embedder: Embedder, index: ChunkIndex, questions: Sequence[str]) -> dict[str, float]:
    """Milliseconds per question with and without the local reranker, on the same questions."""
    bge, minilm = load_bge_embedder(), load_local_embedder()
    if bge is None or minilm is None:
        print("reranking: not measured (bge-small or MiniLM not installed)")
        return {}
    scorers: dict[str, Embedder] = {"bge-small": bge, "MiniLM": minilm}
    sample = questions[:RERANKED_QUESTIONS]
    first_stage = HybridRetriever(embedder, index)
    first_stage_ms = 1000 / queries_per_second(lambda q: first_stage.retrieve(OWNER, q, 5), sample)
    added: dict[str, float] = {}
    for name, scorer in scorers.items():
        reranked = HybridRetriever(embedder, index, reranker=SentenceGroupReranker(scorer))
        added[name] = 1000 / queries_per_second(partial(reranked.retrieve, OWNER, top_k=5), sample, rounds=1)
        added[name] -= first_stage_ms
    print(
        f"reranking the top {DEFAULT_CONFIG.rerank_candidates} by sentence groups, uncached, {len(sample)} questions: "
        f"+{added['bge-small']:.0f} ms per question by bge-small (local chat's), "
        f"+{added['MiniLM']:.0f} ms by MiniLM, ratio {added['bge-small'] / added['MiniLM']:.2f}; "
        f"{first_stage_ms:.1f} ms without reranking"
    )
    return {
        "retrieval_reranking_added_ms": round(added["bge-small"], 1),
        "retrieval_reranking_added_ms_minilm": round(added["MiniLM"], 1),
    }


def run() -> dict[str, float]:
    documents = project_documents()
    questions = questions_from(documents)
    embedder = HashingEmbedder()
    index, _ = ingest(documents, LARGE_COPIES, embedder)
    retriever = HybridRetriever(embedder, index)
    keyword_only = HybridRetriever(None, index)
    baseline = Bm25Baseline.from_texts(list(documents.values()) * LARGE_COPIES)

    hybrid_qps = queries_per_second(lambda q: retriever.retrieve(OWNER, q, 5), questions)
    keyword_qps = queries_per_second(lambda q: keyword_only.retrieve(OWNER, q, 5), questions)
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
        **reranking_cost(embedder, index, questions),
    }
