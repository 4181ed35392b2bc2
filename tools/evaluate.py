"""Measure retrieval quality on a corpus and a question set.

    python -m tools.evaluate --corpus PATH [PATH ...] --questions FILE.jsonl

Ingests the files given (a directory: every file in it) into a fresh in-memory index and
retrieves for each question with the retriever local chat builds from the same settings
(the local sentence-group reranker included unless LOCAL_RERANKING=false), and prints one line per question, then the figures of two baselines from the
same run with the ratio of misses (ours / the baseline's): plain BM25 over fixed
1,000-character windows, and the naive hybrid over the same windows (BM25 + the same dense
embedder, reciprocal rank fusion). The last line is one JSON object: recall@5, mrr@10,
ndcg@10, n, avg_passage_chars, then each baseline's recall@5, mrr@10 and ndcg@10.
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
from lambdas.core.rag.retrieval import DEFAULT_CONFIG, index_document
from lambdas.settings import Settings
from lambdas.wiring import RagServices
from tools.bm25_baseline import Bm25Baseline, NaiveHybridBaseline

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


def corpus_files(corpus: Sequence[Path]) -> list[Path]:
    """The files named, and those in the directories named, in a stable order."""
    files: list[Path] = []
    for path in corpus:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise EvaluationInputError(f"corpus path {path} does not exist")
    return files


def load_corpus(files: Sequence[Path]) -> dict[str, str]:
    """Extracted text per file name, through the same extraction as uploads."""
    texts = {}
    for path in files:
        try:
            texts[path.name] = extract_text(path.name, path.read_bytes())
        except InvalidRequest as error:
            print(f"skipped {path.name}: {error.message}", file=sys.stderr)
    if not texts:
        raise EvaluationInputError("no readable .txt, .md, .html or .pdf files in the corpus")
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


def indexed(texts: dict[str, str], embedder: Embedder | None) -> RagServices:
    """Local chat's retrieval services (settings from the environment) over a fresh index of the texts."""
    index = SqliteChunkIndex(":memory:")
    for name, text in texts.items():
        index_document(text, document_id=name, owner=EVAL_OWNER, title=name, embedder=embedder, index=index)
    return RagServices(Settings(), index=index, embedder=embedder)


def evaluate(
    corpus: Sequence[Path], questions_path: Path, embedder: Embedder | None
) -> dict[str, float | int]:
    questions = load_questions(questions_path)
    files = corpus_files(corpus)
    texts = load_corpus(files)
    rag = indexed(texts, embedder)
    retriever = rag.retriever
    if embedder is None:
        print("retrieval: keyword-only (BM25), no dense embedder installed")
    else:
        weighting = (
            ", keyword ranking weighted by coverage" if DEFAULT_CONFIG.keyword_weight_by_coverage else ""
        )
        reranking = f", reranked by {rag.reranker.model_id}" if rag.reranker else ""
        print(
            f"retrieval: hybrid BM25 + {embedder.model_id}, {DEFAULT_CONFIG.fusion} fusion{weighting}{reranking}"
        )

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
    result = scores.as_dict()
    result["avg_passage_chars"] = round(sum(prompt_chars) / len(prompt_chars), 1) if prompt_chars else 0.0
    keyword = Bm25Baseline.from_files(files)
    baselines: dict[str, tuple[str, Callable[[Question], Sequence[str]]]] = {
        "baseline": ("BM25 over fixed 1,000-char windows", lambda q: keyword.rank(q.question, RANK_DEPTH))
    }
    if embedder is not None:
        hybrid = NaiveHybridBaseline(keyword, embedder)
        baselines["naive_hybrid"] = (
            f"naive hybrid (same windows, BM25 + {embedder.model_id}, RRF k=60)",
            lambda q: hybrid.rank(q.question, RANK_DEPTH),
        )
    for name, (label, rank) in baselines.items():
        baseline_scores = score(questions, rank)
        print(f"{label}: {json.dumps(baseline_scores.as_dict())}")
        print(
            f"  misses relative to it: recall@5 {miss_ratio(scores.recall_at_5, baseline_scores.recall_at_5):.2f}, "
            f"mrr@10 {miss_ratio(scores.mrr_at_10, baseline_scores.mrr_at_10):.2f}"
        )
        for metric, value in baseline_scores.as_dict().items():
            if metric != "n":
                result[f"{name}_{metric}"] = value
    return result


def miss_ratio(score: float, baseline_score: float) -> float:
    """(1 - score) / (1 - baseline score): below 1 means fewer misses than the baseline."""
    baseline_misses = 1.0 - baseline_score
    if baseline_misses <= 0:
        return 0.0 if score >= 1.0 else float("inf")
    return (1.0 - score) / baseline_misses


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure retrieval quality (recall@5, MRR@10, nDCG@10).")
    parser.add_argument(
        "--corpus", required=True, type=Path, nargs="+", help="documents to ingest: files and/or directories"
    )
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
