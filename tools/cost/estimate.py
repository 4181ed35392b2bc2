"""The whole estimate: every line for a scenario, and the optional self-hosted comparison."""

from __future__ import annotations

from dataclasses import dataclass, replace

from lambdas.core.pricing import PriceTable
from tools.cost.items import LineItem
from tools.cost.prices import AwsPrices, ServicePrices
from tools.cost.scenario import Scenario, Volumes
from tools.cost.self_hosted import SelfHostedComparison, SelfHostedOption, compare
from tools.cost.services import bedrock, compute, platform, storage

PLAIN_TOKEN_PRICES = frozenset({"input_per_1k", "output_per_1k"})


@dataclass(frozen=True, slots=True)
class Estimate:
    scenario: Scenario
    model_name: str
    aws_prices_version: str
    model_prices_version: str
    region: str
    lines: tuple[LineItem, ...]
    sources: dict[str, str]
    """Pricing page and reading date of each AWS service priced."""
    self_hosted: SelfHostedComparison | None = None

    @property
    def total_usd(self) -> float:
        return sum(line.monthly_usd for line in self.lines)

    @property
    def idle_usd(self) -> float:
        return sum(line.idle_usd for line in self.lines)


def estimate(
    scenario: Scenario,
    *,
    aws: AwsPrices,
    models: PriceTable,
    self_hosted: SelfHostedOption | None = None,
) -> Estimate:
    volumes = Volumes.of(scenario, aws.hours_per_month)

    def unverified(model_id: str) -> tuple[str, ...]:
        """The model's unverified input and output prices: these lines use no cache price."""
        return tuple(name for name in models.unverified.get(model_id, ()) if name in PLAIN_TOKEN_PRICES)

    model_lines = bedrock.model_lines(scenario, volumes, models)
    vector_service = "opensearch_serverless" if scenario.vector_backend == "opensearch" else "s3_vectors"
    lines = (
        *model_lines,
        _marked(bedrock.embeddings(scenario, volumes, models), unverified(scenario.embedding_model)),
        _marked(bedrock.summaries(scenario, volumes, models), unverified(scenario.summary_model)),
        _priced(bedrock.guardrail(scenario, volumes, aws["bedrock_guardrails"]), aws["bedrock_guardrails"]),
        _priced(compute.lambda_functions(scenario, volumes, aws["lambda"]), aws["lambda"]),
        _priced(compute.api_gateway(scenario, volumes, aws["api_gateway"]), aws["api_gateway"]),
        _priced(storage.dynamodb(volumes, aws["dynamodb"]), aws["dynamodb"]),
        _priced(storage.vector_store(scenario, volumes, aws), aws[vector_service]),
        _priced(storage.s3(scenario, volumes, aws["s3"]), aws["s3"]),
        _priced(compute.step_functions(volumes, aws["step_functions"]), aws["step_functions"]),
        _priced(platform.cloudwatch(volumes, aws["cloudwatch"]), aws["cloudwatch"]),
        _priced(platform.waf(scenario, volumes, aws["waf"]), aws["waf"]),
        _priced(platform.cloudfront(scenario, aws["cloudfront"]), aws["cloudfront"]),
        _priced(platform.cognito(scenario, aws["cognito"]), aws["cognito"]),
        _priced(platform.kms(aws.hours_per_month, aws["kms"]), aws["kms"]),
    )
    comparison = None
    if self_hosted is not None:
        model_usd = sum(line.monthly_usd for line in model_lines)
        comparison = compare(scenario, self_hosted, aws.hours_per_month, model_usd)
    return Estimate(
        scenario=scenario,
        model_name=models.model(scenario.model).display_name,
        aws_prices_version=aws.version,
        model_prices_version=models.version,
        region=aws.region,
        lines=lines,
        sources={name: _provenance(prices) for name, prices in aws.services.items()},
        self_hosted=comparison,
    )


def _marked(line: LineItem, unverified: tuple[str, ...]) -> LineItem:
    """The line, marked with the prices behind it that no reachable page confirmed (a free line needs no mark)."""
    return replace(line, unverified=unverified) if unverified and line.monthly_usd else line


def _priced(line: LineItem, prices: ServicePrices) -> LineItem:
    return _marked(line, prices.unverified)


def _provenance(prices: ServicePrices) -> str:
    checked = ", ".join(prices.verified_against) or "no reachable page"
    text = f"{prices.source}; checked {prices.verified_on} against {checked}"
    return f"{text}; UNVERIFIED: {', '.join(prices.unverified)}" if prices.unverified else text
