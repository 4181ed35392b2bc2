"""The whole estimate: every line for a scenario, and the optional self-hosted comparison."""

from __future__ import annotations

from dataclasses import dataclass

from lambdas.core.pricing import PriceTable
from tools.cost.items import LineItem
from tools.cost.prices import AwsPrices
from tools.cost.scenario import Scenario, Volumes
from tools.cost.self_hosted import SelfHostedComparison, SelfHostedOption, compare
from tools.cost.services import bedrock, compute, platform, storage


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
    model_lines = bedrock.model_lines(scenario, volumes, models)
    lines = (
        *model_lines,
        bedrock.embeddings(scenario, volumes, models),
        bedrock.summaries(scenario, volumes, models),
        bedrock.guardrail(scenario, volumes, aws["bedrock_guardrails"]),
        compute.lambda_functions(scenario, volumes, aws["lambda"]),
        compute.api_gateway(scenario, volumes, aws["api_gateway"]),
        storage.dynamodb(volumes, aws["dynamodb"]),
        storage.vector_store(scenario, volumes, aws),
        storage.s3(scenario, volumes, aws["s3"]),
        compute.step_functions(volumes, aws["step_functions"]),
        platform.cloudwatch(volumes, aws["cloudwatch"]),
        platform.waf(scenario, volumes, aws["waf"]),
        platform.cloudfront(scenario, aws["cloudfront"]),
        platform.cognito(scenario, aws["cognito"]),
        platform.kms(aws.hours_per_month, aws["kms"]),
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
        sources={name: f"{prices.source} (read {prices.read_on})" for name, prices in aws.services.items()},
        self_hosted=comparison,
    )
