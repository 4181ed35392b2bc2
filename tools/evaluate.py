"""Measure retrieval quality on a corpus and a question set.

    python -m tools.evaluate --corpus PATH [PATH ...] --questions FILE.jsonl [--deployed-function NAME]

Ingests the files given (a directory: every file in it) into a fresh in-memory index, or with
`--deployed-function` into that deployed chat function's index (its retrieval and query-rewriting
settings read from its Lambda configuration, cloud adapters, the operator's credentials), under
an owner of its own (`evaluation-<random hex>`) whose documents are deleted at the end whatever
happens, and retrieves for each question with the retriever chat builds from the same settings:
the local sentence-group reranker included unless LOCAL_RERANKING=false, and, with a generative
model configured and QUERY_REWRITING on, each question rewritten by that model first.

It prints one line per question, then the figures of two baselines from the same run with the
ratio of misses (ours / the baseline's): plain BM25 over fixed 1,000-character windows, and the
naive hybrid over the same windows (BM25 + the same dense embedder, reciprocal rank fusion). The
last line is one JSON object: recall@5, mrr@10, ndcg@10, n, avg_passage_chars, each baseline's
recall@5, mrr@10 and ndcg@10, and with rewriting the rewrites' count, tokens and cost.
Question lines: {"id", "question", "relevant": [key phrases], ...}.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdas.adapters.local.index import SqliteChunkIndex
from lambdas.core.errors import InvalidRequest
from lambdas.core.ports import Embedder, LanguageModel
from lambdas.core.pricing import UnknownModel
from lambdas.core.rag.chunking import chunk_text
from lambdas.core.rag.extraction import extract_text
from lambdas.core.rag.metrics import first_relevant_rank, ndcg_at, recall_at, reciprocal_rank_at
from lambdas.core.rag.retrieval import RetrievalConfig, index_document
from lambdas.settings import Settings
from lambdas.wiring import RagServices, build_language_model, local_dense_embedder, local_reranking_embedder
from tools.bm25_baseline import Bm25Baseline, NaiveHybridBaseline
from tools.deployed_backend import DeployedBackendError, access_failure, deployed_settings, describe
from tools.index_settle import IndexNotSettled, Settle
from tools.metered_rewriting import MeteredRewriting

EVAL_OWNER_PREFIX = "evaluation-"
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


def evaluation_owner() -> str:
    """A fresh owner per run: the run's chunks are apart from any user's, and from other runs'."""
    return f"{EVAL_OWNER_PREFIX}{secrets.token_hex(8)}"


def evaluate(
    corpus: Sequence[Path],
    questions_path: Path,
    rag: RagServices,
    *,
    owner: str,
    baseline_embedder: Embedder | None,
    settle: Settle | None = None,
    rewriting: MeteredRewriting | None = None,
) -> dict[str, float | int]:
    """Index the corpus under `owner` through `rag`, score its retriever (behind `rewriting`,
    when given) and the baselines, and delete every document indexed, whatever happens
    meanwhile (errors, Ctrl-C)."""
    questions = load_questions(questions_path)
    files = corpus_files(corpus)
    texts = load_corpus(files)
    settle = settle or Settle()
    config = rag.retrieval_config
    chunk_ids = _chunk_ids(texts, owner, config)
    started: list[str] = []
    try:
        for name, text in texts.items():
            started.append(name)
            index_document(
                text,
                document_id=name,
                owner=owner,
                title=name,
                embedder=rag.embedder,
                index=rag.index,
                config=config,
            )
        settle.until_searchable(rag.index, owner, chunk_ids)
        result = _scored(questions, files, rag, owner, baseline_embedder, rewriting=rewriting)
    finally:
        left = settle.delete(rag.index, owner, {name: chunk_ids[name] for name in started})
    if left:
        raise IndexNotSettled(f"{left} chunks of owner {owner} are still in the index after deleting them")
    return result


def _chunk_ids(texts: dict[str, str], owner: str, config: RetrievalConfig) -> dict[str, list[str]]:
    """Each document's chunk ids, as indexing them made (chunking is deterministic)."""
    return {
        name: [
            chunk.chunk_id
            for chunk in chunk_text(text, document_id=name, owner=owner, title=name, config=config.chunking)
        ]
        for name, text in texts.items()
    }


def _scored(
    questions: Sequence[Question],
    files: list[Path],
    rag: RagServices,
    owner: str,
    baseline_embedder: Embedder | None,
    *,
    rewriting: MeteredRewriting | None,
) -> dict[str, float | int]:
    retriever = rewriting.around(rag.retriever) if rewriting else rag.retriever
    config = rag.retrieval_config
    embedder = rag.embedder
    if embedder is None:
        print("retrieval: keyword-only (BM25), no dense embedder installed")
    else:
        weighting = ", keyword ranking weighted by coverage" if config.keyword_weight_by_coverage else ""
        reranking = f", reranked by {rag.reranker.model_id}" if rag.reranker else ""
        print(f"retrieval: hybrid BM25 + {embedder.model_id}, {config.fusion} fusion{weighting}{reranking}")
    if rewriting:
        print(f"queries rewritten first by {rewriting.model.id} (QUERY_REWRITING)")

    prompt_chars: list[int] = []

    def rank_with_retriever(question: Question) -> list[str]:
        passages = retriever.retrieve(owner, question.question, max(RANK_DEPTH, config.top_k))
        # The chat flow places the first top_k passages in the prompt.
        prompt_chars.extend(len(p.text) for p in passages[: config.top_k])
        texts_ranked = [p.text for p in passages]
        found = first_relevant_rank(texts_ranked, question.relevant, depth=RANK_DEPTH)
        top = passages[0] if passages else None
        where = f"{top.title} > {top.heading}" if top else "-"
        print(f"{question.id}\trank={found}\ttop1={where[:90]}")
        return texts_ranked

    scores = score(questions, rank_with_retriever)
    result = scores.as_dict()
    result["avg_passage_chars"] = round(sum(prompt_chars) / len(prompt_chars), 1) if prompt_chars else 0.0
    if rewriting:
        result.update(rewriting.report())
        print(
            f"query rewriting: {rewriting.calls} of {len(questions)} questions rewritten, "
            f"{rewriting.input_tokens} input + {rewriting.output_tokens} output tokens, ${rewriting.cost_usd:.4f}"
        )
    keyword = Bm25Baseline.from_files(files)
    baselines: dict[str, tuple[str, Callable[[Question], Sequence[str]]]] = {
        "baseline": ("BM25 over fixed 1,000-char windows", lambda q: keyword.rank(q.question, RANK_DEPTH))
    }
    if baseline_embedder is not None:
        hybrid = NaiveHybridBaseline(keyword, baseline_embedder)
        baselines["naive_hybrid"] = (
            f"naive hybrid (same windows, BM25 + {baseline_embedder.model_id}, RRF k=60)",
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


def main(
    argv: Sequence[str] | None = None,
    *,
    lambda_client: Callable[[], Any] = lambda: _boto3_client("lambda"),
    deployed_rag: Callable[[Settings], RagServices] = lambda settings: RagServices(
        settings, meter_reranking=False
    ),
    language_model: Callable[[Settings], LanguageModel] = build_language_model,
) -> int:
    """`lambda_client` and `deployed_rag` build the AWS side of `--deployed-function`, and
    `language_model` the query rewriter's model in either mode (all injected in tests)."""
    parser = argparse.ArgumentParser(description="Measure retrieval quality (recall@5, MRR@10, nDCG@10).")
    parser.add_argument(
        "--corpus", required=True, type=Path, nargs="+", help="documents to ingest: files and/or directories"
    )
    parser.add_argument("--questions", required=True, type=Path, help="JSON Lines question file")
    parser.add_argument(
        "--deployed-function",
        default="",
        metavar="NAME",
        help="a deployed chat function's name or ARN: index into and retrieve from its backend "
        "(OpenSearch Serverless or S3 Vectors, Titan, Bedrock Rerank, query rewriting by its chat model) "
        "with the operator's credentials",
    )
    args = parser.parse_args(argv)
    if not str(args.questions) or args.questions == Path():
        print("error: --questions is required (QUESTIONS=<file.jsonl>)", file=sys.stderr)
        return 2
    local_embedder = local_dense_embedder()
    try:
        if args.deployed_function:
            settings = deployed_settings(lambda_client(), args.deployed_function)
            print(f"deployed: {args.deployed_function} ({describe(settings)})")
            rag = deployed_rag(settings)
        else:
            settings = Settings()
            rag = RagServices(
                settings,
                index=SqliteChunkIndex(":memory:"),
                embedder=local_embedder,
                reranking_embedder=local_reranking_embedder(),
            )
        rewriting = MeteredRewriting.from_settings(settings, language_model)
        result = evaluate(
            args.corpus,
            args.questions,
            rag,
            owner=evaluation_owner(),
            baseline_embedder=local_embedder,
            rewriting=rewriting,
        )
    except (EvaluationInputError, DeployedBackendError, UnknownModel) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        explanation = access_failure(error) if args.deployed_function else None
        if explanation is None and not isinstance(error, IndexNotSettled):
            raise
        print(f"error: {explanation or error}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


def _boto3_client(service: str) -> Any:
    """A client of a fresh session: the operator's credentials and Region as they are now."""
    import boto3
    from botocore.exceptions import NoRegionError

    try:
        return boto3.session.Session().client(service)
    except NoRegionError as error:
        raise DeployedBackendError("no AWS Region: set AWS_REGION to the deployment's Region") from error


if __name__ == "__main__":
    sys.exit(main())
