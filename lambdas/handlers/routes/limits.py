"""GET /v1/limits: the caller's rate limits and what is left of today's token budget."""

from __future__ import annotations

import time

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from lambdas.core.limits import NO_LIMITS, status
from lambdas.handlers.identity import owner_from_request_context
from lambdas.handlers.schemas import DomainView
from lambdas.wiring import get_services

router = Router()


class LimitsReport(DomainView):
    """Null means no limit."""

    requests_per_minute: int | None
    tokens_per_minute: int | None
    daily_tokens: int | None
    daily_tokens_used: int
    daily_tokens_remaining: int | None
    resets_at: str = Field(description="When the daily budget renews: the next 00:00 UTC (ISO 8601).")


@router.get("/v1/limits", summary="The caller's rate limits and remaining daily token budget", tags=["usage"])
def get_limits() -> LimitsReport:
    owner = owner_from_request_context(router.current_event.raw_event.get("requestContext") or {})
    limits = get_services().chat.limits(owner) or status(NO_LIMITS, 0, time.time())
    return LimitsReport.of(limits)
