"""The estimate as an aligned table for people or as JSON for scripts."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from tools.cost.estimate import Estimate
from tools.cost.items import LineItem
from tools.cost.self_hosted import SelfHostedComparison

LABEL_WIDTH = 44
UNVERIFIED_MARK = "[UNVERIFIED PRICE]"
"""Beside a line using a price no reachable page confirmed (tools/aws_prices.json, prices.json)."""
AMOUNT_WIDTH = 14


def render_json(result: Estimate) -> str:
    comparison = result.self_hosted
    document = {
        "scenario": {**asdict(result.scenario), "stored_documents": result.scenario.stored_documents},
        "region": result.region,
        "prices": {"aws": result.aws_prices_version, "models": result.model_prices_version},
        "lines": [
            {
                "service": line.service,
                "monthly_usd": _cents(line.monthly_usd),
                "idle_usd": _cents(line.idle_usd),
                "assumptions": list(line.assumptions),
                "unverified_prices": list(line.unverified),
            }
            for line in result.lines
        ],
        "total_usd": _cents(result.total_usd),
        "idle_usd": _cents(result.idle_usd),
        "self_hosted": None if comparison is None else _self_hosted(comparison, result.total_usd),
        "sources": result.sources,
    }
    return json.dumps(document, indent=2)


def _self_hosted(comparison: SelfHostedComparison, total_usd: float) -> dict[str, Any]:
    return {
        **asdict(comparison.option),
        "peak_output_tokens_per_second": round(comparison.peak_output_tokens_per_second, 2),
        "instances": comparison.instances,
        "monthly_usd": _cents(comparison.monthly_usd),
        "replaces_usd": _cents(comparison.replaces_usd),
        "total_usd": _cents(comparison.total_with(total_usd)),
        "assumptions": list(comparison.assumptions),
    }


def _cents(amount: float) -> float:
    return round(amount, 2)


def render_table(result: Estimate) -> str:
    scenario = result.scenario
    retrieval = f"retrieval on ({scenario.vector_backend})" if scenario.retrieval else "retrieval off"
    rows = [
        f"Monthly estimate: {scenario.requests_per_day:,.0f} requests/day, {scenario.input_tokens:,} input + "
        f"{scenario.output_tokens:,} output tokens, {result.model_name}, {retrieval}, "
        f"{scenario.documents_per_month:,} documents/month, {scenario.monthly_active_users:,} active users",
        f"Prices: AWS {result.region} {result.aws_prices_version}, models {result.model_prices_version}; "
        "free tiers not applied",
        "",
        f"{'Service':<{LABEL_WIDTH}}{'USD/month':>{AMOUNT_WIDTH}}",
    ]
    for line in result.lines:
        rows.append(_amount(line.service, line.monthly_usd) + _mark(line))
        rows += [_note(assumption) for assumption in line.assumptions]
    rows += [
        "",
        _amount("Total", result.total_usd),
        _amount("  of which billed when idle", result.idle_usd),
    ]
    comparison = result.self_hosted
    if comparison is not None:
        rows += ["", f"Self-hosted model instead of the Bedrock model lines: {comparison.option.instance}"]
        rows.append(_amount("GPU instances", comparison.monthly_usd))
        rows += [_note(assumption) for assumption in comparison.assumptions]
        rows.append(_amount("Bedrock model lines replaced", comparison.replaces_usd))
        rows.append(_amount("Total with the self-hosted model", comparison.total_with(result.total_usd)))
    rows += ["", "Price sources:"]
    rows += [_note(f"{service}: {source}") for service, source in result.sources.items()]
    return "\n".join(rows)


def _amount(label: str, usd: float) -> str:
    return f"{label:<{LABEL_WIDTH}}{usd:>{AMOUNT_WIDTH},.2f}"


def _mark(line: LineItem) -> str:
    return f"  {UNVERIFIED_MARK} ({', '.join(line.unverified)})" if line.unverified else ""


def _note(text: str) -> str:
    return f"    - {text}"
