"""The seed notes' comparison: GPU instances sized for the peak load, running all month.

instances = ceil(peak tokens/s / tokens/s one instance sustains)
monthly   = instances x hours x hourly price
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tools.cost.items import usd
from tools.cost.scenario import Scenario

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, slots=True)
class SelfHostedOption:
    instance: str
    hourly_usd: float
    output_tokens_per_second: float
    """What one instance sustains, as measured with the chosen model and serving stack."""
    peak_factor: float = 3.0
    """Peak load over the daily average."""


@dataclass(frozen=True, slots=True)
class SelfHostedComparison:
    option: SelfHostedOption
    peak_output_tokens_per_second: float
    instances: int
    monthly_usd: float
    replaces_usd: float
    """The Bedrock model lines the instances would replace."""
    assumptions: tuple[str, ...]

    def total_with(self, total_usd: float) -> float:
        """A monthly total with the instances in place of the Bedrock model lines."""
        return total_usd - self.replaces_usd + self.monthly_usd


def compare(
    scenario: Scenario, option: SelfHostedOption, hours_per_month: float, bedrock_model_usd: float
) -> SelfHostedComparison:
    average = scenario.requests_per_day * scenario.output_tokens / SECONDS_PER_DAY
    peak = average * option.peak_factor
    instances = max(1, math.ceil(peak / option.output_tokens_per_second))
    return SelfHostedComparison(
        option=option,
        peak_output_tokens_per_second=peak,
        instances=instances,
        monthly_usd=instances * option.hourly_usd * hours_per_month,
        replaces_usd=bedrock_model_usd,
        assumptions=(
            f"average load {average:,.1f} output tokens/s, peak x{option.peak_factor:g} = {peak:,.1f} tokens/s",
            f"one instance sustains {option.output_tokens_per_second:,.0f} output tokens/s "
            "(continuous batching; prompt processing is cheap beside generation)",
            f"{instances} instance(s) running all month: {instances} x {usd(option.hourly_usd)}/h x "
            f"{hours_per_month:g} h",
            "not included: a second instance for availability, model storage, load balancer, operations time",
        ),
    )
