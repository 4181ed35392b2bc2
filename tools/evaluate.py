"""Measure retrieval quality on a corpus and a question set.

    python -m tools.evaluate --corpus DIR --questions FILE.jsonl

Ingests every file of DIR into a fresh in-memory index with the default retrieval
configuration (the one local chat uses), retrieves for each question, and prints one
line per question, the plain BM25 baseline's figures from the same run with the ratio
of misses (ours / the baseline's), and as the last line one JSON object: recall@5,
mrr@10, ndcg@10, n, avg_passage_chars, baseline_recall@5, baseline_mrr@10.
Question lines: {"id", "question", "relevant": [key phrases], ...}.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lambdas.adapters.local.embedder import load_local_embedder
from lambdas.adapters.local.embedding_cache import CachedEmbedder
from lambdas.adapters.local.index import SqliteChunkIndex
from lambdas.core.errors import InvalidRequest
from lambdas.core.ports import Embedder
from lambdas.core.rag.extraction import extract_text
from lambdas.core.rag.metrics import first_relevant_rank, ndcg_at, recall_at, reciprocal_rank_at
from lambdas.core.rag.retrieval import DEFAULT_CONFIG, HybridRetriever, index_document
from tools.bm25_baseline import Bm25Baseline

EVAL_OWNER = "evaluation"
RECALL_DEPTH = 5
RANK_DEPTH = 10


class EvaluationInputError(Exception):
    """The corpus or question file cannot be evaluated; the message says why."""


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    relevant: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scores:
    recall_at_5: float
    mrr_at_10: float
    ndcg_at_10: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "recall@5": round(self.recall_at_5, 4),
            "mrr@10": round(self.mrr_at_10, 4),
            "ndcg@10": round(self.ndcg_at_10, 4),
            "n": self.n,
        }


def load_questions(path: Path) -> list[Question]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise EvaluationInputError(f"cannot read questions file {path}: {error.strerror}") from error
    questions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            question = Question(
                id=str(record.get("id", number)),
                question=str(record["question"]),
                relevant=tuple(str(phrase) for phrase in record["relevant"]),
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
            raise EvaluationInputError(
                f"{path}:{number}: expected a JSON object with 'question' and 'relevant' ({error})"
            ) from error
        questions.append(question)
    if not questions:
        raise EvaluationInputError(f"{path} holds no questions")
    return questions


def load_corpus(corpus: Path) -> dict[str, str]:
    """Extracted text per file name, through the same extraction as uploads."""
    if not corpus.is_dir():
        raise EvaluationInputError(f"corpus directory {corpus} does not exist")
    texts = {}
    for path in sorted(p for p in corpus.iterdir() if p.is_file()):
        try:
            texts[path.name] = extract_text(path.name, path.read_bytes())
        except InvalidRequest as error:
            print(f"skipped {path.name}: {error.message}", file=sys.stderr)
    if not texts:
        raise EvaluationInputError(f"no readable .txt, .md, .html or .pdf files in {corpus}")
    return texts


def score(questions: Sequence[Question], rank: Callable[[Question], Sequence[str]]) -> Scores:
    """Mean metrics over the questions; `rank` returns passage texts, best first."""
    ranks = [first_relevant_rank(rank(q), q.relevant, depth=RANK_DEPTH) for q in questions]
    n = len(ranks)
    return Scores(
        recall_at_5=sum(recall_at(r, RECALL_DEPTH) for r in ranks) / n,
        mrr_at_10=sum(reciprocal_rank_at(r, RANK_DEPTH) for r in ranks) / n,
        ndcg_at_10=sum(ndcg_at(r, RANK_DEPTH) for r in ranks) / n,
        n=n,
    )


def build_retriever(texts: dict[str, str], embedder: Embedder | None) -> HybridRetriever:
    index = SqliteChunkIndex(":memory:")
    for name, text in texts.items():
        index_document(text, document_id=name, owner=EVAL_OWNER, title=name, embedder=embedder, index=index)
    return HybridRetriever(embedder, index)


def evaluate(corpus: Path, questions_path: Path, embedder: Embedder | None) -> dict[str, float | int]:
    questions = load_questions(questions_path)
    texts = load_corpus(corpus)
    retriever = build_retriever(texts, embedder)
    if embedder is None:
        print("retrieval: keyword-only (BM25), no dense embedder installed")
    else:
        print(f"retrieval: hybrid BM25 + {embedder.model_id}, {DEFAULT_CONFIG.fusion} fusion")

    prompt_chars: list[int] = []

    def rank_with_retriever(question: Question) -> list[str]:
        passages = retriever.retrieve(EVAL_OWNER, question.question, max(RANK_DEPTH, DEFAULT_CONFIG.top_k))
        # The chat flow places the first top_k passages in the prompt.
        prompt_chars.extend(len(p.text) for p in passages[: DEFAULT_CONFIG.top_k])
        texts_ranked = [p.text for p in passages]
        found = first_relevant_rank(texts_ranked, question.relevant, depth=RANK_DEPTH)
        top = passages[0] if passages else None
        where = f"{top.title} > {top.heading}" if top else "-"
        print(f"{question.id}\trank={found}\ttop1={where[:90]}")
        return texts_ranked

    scores = score(questions, rank_with_retriever)
    baseline = Bm25Baseline.from_directory(corpus)
    baseline_scores = score(questions, lambda q: baseline.rank(q.question, RANK_DEPTH))
    print(f"baseline BM25 over fixed 1,000-char windows: {json.dumps(baseline_scores.as_dict())}")
    print(
        "misses relative to the baseline (target <= 0.6): "
        f"recall@5 {miss_ratio(scores.recall_at_5, baseline_scores.recall_at_5):.2f}, "
        f"mrr@10 {miss_ratio(scores.mrr_at_10, baseline_scores.mrr_at_10):.2f}"
    )
    result = scores.as_dict()
    result["avg_passage_chars"] = round(sum(prompt_chars) / len(prompt_chars), 1) if prompt_chars else 0.0
    result["baseline_recall@5"] = round(baseline_scores.recall_at_5, 4)
    result["baseline_mrr@10"] = round(baseline_scores.mrr_at_10, 4)
    return result


def miss_ratio(score: float, baseline_score: float) -> float:
    """(1 - score) / (1 - baseline score): below 1 means fewer misses than the baseline."""
    baseline_misses = 1.0 - baseline_score
    if baseline_misses <= 0:
        return 0.0 if score >= 1.0 else float("inf")
    return (1.0 - score) / baseline_misses


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure retrieval quality (recall@5, MRR@10, nDCG@10).")
    parser.add_argument("--corpus", required=True, type=Path, help="directory of documents to ingest")
    parser.add_argument("--questions", required=True, type=Path, help="JSON Lines question file")
    args = parser.parse_args(argv)
    if not str(args.questions) or args.questions == Path():
        print("error: --questions is required (QUESTIONS=<file.jsonl>)", file=sys.stderr)
        return 2
    embedder = load_local_embedder()
    try:
        result = evaluate(args.corpus, args.questions, CachedEmbedder(embedder) if embedder else None)
    except EvaluationInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
