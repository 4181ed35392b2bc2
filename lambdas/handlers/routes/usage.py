"""The caller's token use and cost: totals, per day and per model."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from lambdas.handlers.identity import owner_from_request_context
from lambdas.handlers.usage_schemas import FirstDay, LastDay, UsageReport, iso_day
from lambdas.wiring import get_services

router = Router()


def _owner() -> str:
    return owner_from_request_context(router.current_event.raw_event.get("requestContext") or {})


@router.get(
    "/v1/usage",
    summary="Tokens and cost of the caller's model calls over a date range (default: the last 30 days)",
    tags=["usage"],
)
def get_usage(
    first_day: FirstDay = None,
    last_day: LastDay = None,
) -> UsageReport:
    summary = get_services().usage.summary(_owner(), iso_day(first_day), iso_day(last_day))
    return UsageReport.of(summary)
