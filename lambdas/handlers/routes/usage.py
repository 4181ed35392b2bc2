"""The caller's token use and cost: totals, per day and per model."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BeforeValidator

from lambdas.handlers.identity import owner_from_request_context
from lambdas.handlers.usage_schemas import UsageReport
from lambdas.wiring import get_services

router = Router()


def _owner() -> str:
    return owner_from_request_context(router.current_event.raw_event.get("requestContext") or {})


def _iso_date_text(value: object) -> object:
    """Only `YYYY-MM-DD` text is a day here (pydantic would also read `0` as 1970-01-01)."""
    if not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_date_text)]


@router.get(
    "/v1/usage",
    summary="Tokens and cost of the caller's model calls over a date range (default: the last 30 days)",
    tags=["usage"],
)
def get_usage(
    first_day: Annotated[
        Day | None, Query(alias="from", description="First day (UTC); at most 366 days before `to`.")
    ] = None,
    last_day: Annotated[
        Day | None, Query(alias="to", description="Last day, included; not before `from`.")
    ] = None,
) -> UsageReport:
    summary = get_services().usage.summary(_owner(), _iso(first_day), _iso(last_day))
    return UsageReport.of(summary)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
