"""`make cost ARGS="..."`: parse the scenario, estimate it, print a table or JSON.

Bad input exits with status 2 and one line on stderr naming the option and the problem.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from typing import NoReturn

from lambdas.core.pricing import PriceTable, load_price_table
from tools.cost.estimate import estimate
from tools.cost.prices import AwsPrices, load_aws_prices
from tools.cost.report import render_json, render_table
from tools.cost.scenario import Scenario
from tools.cost.self_hosted import SelfHostedOption

GPU_INSTANCE = "g5.xlarge (1 x NVIDIA A10G 24 GB)"
GPU_OUTPUT_TOKENS_PER_SECOND = 500.0
"""A 7-8B model served with continuous batching on one A10G; measure yours and pass it."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (--help lists the options)\n")


def main(argv: Sequence[str] | None = None) -> int:
    aws = load_aws_prices()
    models = load_price_table()
    parser = _parser(aws)
    args = parser.parse_args(argv)
    _check_models(parser, models, args)
    scenario = Scenario(
        requests_per_day=args.requests_per_day,
        input_tokens=args.input_tokens,
        output_tokens=args.output_tokens,
        cache_hit_rate=args.cache_hit_rate,
        cacheable_share=args.cacheable_share,
        model=args.model,
        retrieval=args.retrieval,
        documents_per_month=args.documents_per_month,
        average_document_kb=args.average_document_kb,
        corpus_documents=args.corpus_documents,
        vector_backend=args.vector_backend,
        standby_replicas=args.standby_replicas,
        embedding_model=args.embedding_model,
        embedding_dimensions=args.embedding_dimensions,
        summary_model=args.summary_model,
        guardrail=args.guardrail,
        denied_topics=args.denied_topics,
        streaming=args.streaming,
        monthly_active_users=args.monthly_active_users,
        lambda_memory_mb=args.lambda_memory_mb,
        lambda_duration_ms=args.lambda_duration_ms,
        lambda_architecture=args.lambda_architecture,
    )
    self_hosted = None
    if args.self_hosted:
        self_hosted = SelfHostedOption(
            args.gpu_instance, args.gpu_hourly_usd, args.gpu_tokens_per_second, args.peak_factor
        )
    result = estimate(scenario, aws=aws, models=models, self_hosted=self_hosted)
    print(render_json(result) if args.json else render_table(result))
    return 0


def _check_models(parser: argparse.ArgumentParser, models: PriceTable, args: argparse.Namespace) -> None:
    for option, model_id in (("--model", args.model), ("--summary-model", args.summary_model)):
        if model_id not in models.models:
            known = ", ".join(sorted(models.models))
            parser.error(f"argument {option}: unknown model {model_id!r}; known models: {known}")
    if args.embedding_model not in models.embedding_input_per_1k:
        known = ", ".join(sorted(models.embedding_input_per_1k))
        parser.error(f"argument --embedding-model: unknown model {args.embedding_model!r}; known: {known}")


def _number(kind: type[int] | type[float], *, allow_zero: bool) -> Callable[[str], float]:
    """An argparse type: a finite number of `kind`, positive (or not negative with `allow_zero`)."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"must be {noun}, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if value < 0 or (value == 0 and not allow_zero):
            bound = "must not be negative" if allow_zero else "must be greater than 0"
            raise argparse.ArgumentTypeError(f"{bound}, got {text}")
        return value

    return parse


def _share(text: str) -> float:
    """An argparse type: a fraction from 0 to 1."""
    value = COUNT_FLOAT(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be at most 1, got {text}")
    return value


POSITIVE_INT = _number(int, allow_zero=False)
POSITIVE = _number(float, allow_zero=False)
COUNT = _number(int, allow_zero=True)
COUNT_FLOAT = _number(float, allow_zero=True)
SHARE = _share


def _parser(aws: AwsPrices) -> argparse.ArgumentParser:
    defaults = Scenario()
    parser = _Parser(
        prog="cost",
        description="Monthly cost of a deployment, itemised by service, with the assumptions behind each line.",
    )
    traffic = parser.add_argument_group("traffic")
    traffic.add_argument("--requests-per-day", type=POSITIVE, default=defaults.requests_per_day)
    traffic.add_argument(
        "--input-tokens",
        type=POSITIVE_INT,
        default=defaults.input_tokens,
        help="average input tokens per request (prompt, passages, history)",
    )
    traffic.add_argument("--output-tokens", type=POSITIVE_INT, default=defaults.output_tokens)
    traffic.add_argument("--model", default=defaults.model, help="a model id from lambdas/core/prices.json")
    traffic.add_argument(
        "--cache-hit-rate",
        type=SHARE,
        default=defaults.cache_hit_rate,
        help="share of requests whose stable prompt prefix is read from the prompt cache (0..1)",
    )
    traffic.add_argument(
        "--cacheable-share",
        type=SHARE,
        default=defaults.cacheable_share,
        help="share of input tokens in the stable prefix: system prompt and earlier turns (0..1)",
    )
    traffic.add_argument("--monthly-active-users", type=COUNT, default=defaults.monthly_active_users)
    traffic.add_argument(
        "--streaming",
        action=argparse.BooleanOptionalAction,
        default=defaults.streaming,
        help="answers streamed over the WebSocket API instead of REST",
    )
    traffic.add_argument("--guardrail", action=argparse.BooleanOptionalAction, default=defaults.guardrail)
    traffic.add_argument(
        "--denied-topics", action="store_true", help="the guardrail has denied topics configured"
    )
    traffic.add_argument("--lambda-memory-mb", type=POSITIVE_INT, default=defaults.lambda_memory_mb)
    traffic.add_argument("--lambda-duration-ms", type=POSITIVE, default=defaults.lambda_duration_ms)
    traffic.add_argument(
        "--lambda-architecture", choices=("arm64", "x86_64"), default=defaults.lambda_architecture
    )

    rag = parser.add_argument_group("retrieval and ingestion")
    rag.add_argument("--retrieval", action=argparse.BooleanOptionalAction, default=defaults.retrieval)
    rag.add_argument("--documents-per-month", type=COUNT, default=defaults.documents_per_month)
    rag.add_argument("--average-document-kb", type=POSITIVE, default=defaults.average_document_kb)
    rag.add_argument(
        "--corpus-documents",
        type=COUNT,
        default=None,
        help="documents kept in the index (default: twelve months of ingestion)",
    )
    rag.add_argument("--vector-backend", choices=("opensearch", "s3vectors"), default=defaults.vector_backend)
    rag.add_argument(
        "--standby-replicas",
        action=argparse.BooleanOptionalAction,
        default=defaults.standby_replicas,
        help="OpenSearch Serverless standby replicas (prod); --no-standby-replicas as in dev",
    )
    rag.add_argument("--embedding-model", default=defaults.embedding_model)
    rag.add_argument("--embedding-dimensions", type=int, choices=(256, 512, 1024), default=1024)
    rag.add_argument("--summary-model", default=defaults.summary_model)

    hosted = parser.add_argument_group("self-hosted comparison")
    hosted.add_argument(
        "--self-hosted",
        action="store_true",
        help="compare the Bedrock model lines with GPU instances running all month",
    )
    hosted.add_argument("--gpu-instance", default=GPU_INSTANCE)
    hosted.add_argument("--gpu-hourly-usd", type=POSITIVE, default=aws["ec2"]["g5_xlarge_hour"])
    hosted.add_argument(
        "--gpu-tokens-per-second",
        type=POSITIVE,
        default=GPU_OUTPUT_TOKENS_PER_SECOND,
        help="output tokens per second one instance sustains",
    )
    hosted.add_argument("--peak-factor", type=POSITIVE, default=3.0, help="peak load over the daily average")

    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser
