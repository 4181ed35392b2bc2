"""Logger and metrics shared by the handlers. Metrics are CloudWatch EMF lines, one set per turn
(and one more when the turn was blocked)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from lambdas.core.models import ChatResult

logger = Logger()
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ServerlessGenAIChat")
TURN_OWNER_FIELD = "turn_owner"
TURN_COST_FIELD = "turn_cost_usd"
"""Fields of each turn's EMF line that `stacks.constructs.monitoring`'s Contributor Insights rule reads."""


def record_turn(result: ChatResult, owner: str) -> None:
    """Tokens, cost and latency of one answered turn, by model, flushed at once (EMF on stdout).

    A per-turn EphemeralMetrics keeps the `model` dimension from leaking into other
    requests and avoids an empty-metrics warning on requests that answer nothing. The user id
    and the cost go into the same log line as plain fields, not dimensions (one metric per user
    would be unbounded): the per-user cost rule of `stacks.constructs.monitoring` reads them."""
    metrics = EphemeralMetrics(namespace=NAMESPACE)
    metrics.add_dimension(name="model", value=result.model)
    metrics.add_metadata(key=TURN_OWNER_FIELD, value=owner)
    metrics.add_metadata(key=TURN_COST_FIELD, value=result.cost_usd)
    metrics.add_metric(name="InputTokens", unit=MetricUnit.Count, value=result.usage.input_tokens)
    metrics.add_metric(name="OutputTokens", unit=MetricUnit.Count, value=result.usage.output_tokens)
    metrics.add_metric(name="CacheReadTokens", unit=MetricUnit.Count, value=result.usage.cache_read_tokens)
    metrics.add_metric(name="CacheWriteTokens", unit=MetricUnit.Count, value=result.usage.cache_write_tokens)
    metrics.add_metric(name="CostUSD", unit=MetricUnit.NoUnit, value=result.cost_usd)
    metrics.add_metric(name="ModelLatency", unit=MetricUnit.Milliseconds, value=result.latency_ms)
    metrics.add_metric(name="Citations", unit=MetricUnit.Count, value=len(result.citations))
    metrics.flush_metrics()
    if result.blocked:
        record_blocked(result.reason)


def record_blocked(reason: str) -> None:
    """One request refused by the input guard, the output check or the guardrail, by reason
    (`prompt_injection:<family>`, `system_prompt_leak`, `guardrail`: a small, fixed set)."""
    metrics = EphemeralMetrics(namespace=NAMESPACE)
    metrics.add_dimension(name="reason", value=reason)
    metrics.add_metric(name="BlockedRequests", unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()
