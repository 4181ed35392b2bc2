"""Models of GET /v1/usage and the admin usage report (in the OpenAPI document with the others)."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BeforeValidator, Field

from lambdas.handlers.schemas import ApiModel, DomainView

if TYPE_CHECKING:
    from lambdas.core.usage import DayRange, DayUsage, ModelUsage, UsageSummary, UsageTotals


class UsageTotalsOut(DomainView):
    input_tokens: int = Field(description="Input tokens neither read from nor written to the prompt cache.")
    output_tokens: int
    cache_read_tokens: int = Field(default=0, description="Input tokens read from the prompt cache.")
    cache_write_tokens: int = Field(default=0, description="Input tokens written to the prompt cache.")
    cost_usd: float
    requests: int = Field(description="Model calls: chat turns, embedding batches, rerank queries.")


class ModelUsageOut(UsageTotalsOut):
    model: str
    kind: str = Field(description="chat, embedding, rerank or rewrite")

    @classmethod
    def of_model(cls, usage: ModelUsage) -> ModelUsageOut:
        return cls(model=usage.model, kind=usage.kind, **UsageTotalsOut.of(usage.totals).model_dump())


class DayUsageOut(UsageTotalsOut):
    day: str
    models: list[ModelUsageOut]

    @classmethod
    def of_day(cls, usage: DayUsage) -> DayUsageOut:
        return cls(
            day=usage.day,
            models=[ModelUsageOut.of_model(m) for m in usage.models],
            **UsageTotalsOut.of(usage.totals).model_dump(),
        )


class RangeReport(ApiModel):
    """A usage report over a range of days, with its totals (the user's own, or the admins')."""

    from_: str = Field(alias="from", serialization_alias="from", description="First day, YYYY-MM-DD.")
    to: str = Field(description="Last day, YYYY-MM-DD (included).")
    totals: UsageTotalsOut

    @staticmethod
    def range_fields(day_range: DayRange, totals: UsageTotals) -> dict[str, object]:
        return {
            "from": day_range.first.isoformat(),
            "to": day_range.last.isoformat(),
            "totals": UsageTotalsOut.of(totals),
        }


class UsageReport(RangeReport):
    days: list[DayUsageOut] = Field(description="Oldest first; days without usage are left out.")
    models: list[ModelUsageOut] = Field(description="Per model over the whole range, most expensive first.")

    @classmethod
    def of(cls, summary: UsageSummary) -> UsageReport:
        return cls.model_validate(
            {
                **cls.range_fields(summary.range, summary.totals),
                "days": [DayUsageOut.of_day(d) for d in summary.days],
                "models": [ModelUsageOut.of_model(m) for m in summary.models],
            }
        )


def _iso_date_text(value: object) -> object:
    """Only `YYYY-MM-DD` text is a day here (pydantic would also read `0` as 1970-01-01)."""
    if not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_date_text)]
"""A query parameter naming a UTC day, `YYYY-MM-DD`."""
FirstDay = Annotated[
    Day | None, Query(alias="from", description="First day (UTC); at most 366 days before `to`.")
]
LastDay = Annotated[Day | None, Query(alias="to", description="Last day, included; not before `from`.")]
"""The `from` and `to` query parameters of a usage report."""


def iso_day(day: date | None) -> str | None:
    return day.isoformat() if day else None
