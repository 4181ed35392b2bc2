"""Logger and metrics shared by the handlers. Metrics are CloudWatch EMF lines, one set per turn
(and one more when the turn was blocked)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from lambdas.core.models import ChatResult

logger = Logger()
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ServerlessGenAIChat")


def record_turn(result: ChatResult) -> None:
    """Tokens, cost and latency of one answered turn, by model, flushed at once (EMF on stdout).

    A per-turn EphemeralMetrics keeps the `model` dimension from leaking into other
    requests and avoids an empty-metrics warning on requests that answer nothing."""
    metrics = EphemeralMetrics(namespace=NAMESPACE)
    metrics.add_dimension(name="model", value=result.model)
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
