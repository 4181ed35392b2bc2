"""Request and response models of the /v1/admin routes (in the OpenAPI document with the others)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BeforeValidator, ConfigDict, Field

from lambdas.core.limits import MAX_LIMIT_VALUE, LimitOverride
from lambdas.handlers.routes.limits import LimitsReport
from lambdas.handlers.schemas import ApiModel, DomainView
from lambdas.handlers.usage_schemas import ModelUsageOut, RangeReport, UsageTotalsOut

if TYPE_CHECKING:
    from lambdas.core.admin import UsageByUser

_HELP = "Null: the deployment's default; 0: no limit."


def _json_number(value: object) -> object:
    """A JSON integer, as the schema says: `"5"` and `true` are not numbers (pydantic would
    read both as one), while `5.0` is an integer in JSON Schema."""
    if isinstance(value, str | bool):
        raise ValueError("must be an integer")
    return value


LimitValue = Annotated[int, Field(ge=0, le=MAX_LIMIT_VALUE), BeforeValidator(_json_number)]


class LimitOverrideIn(ApiModel):
    """The user's limits; every field left out or null keeps the deployment's default."""

    model_config = ConfigDict(extra="forbid")

    requests_per_minute: LimitValue | None = Field(default=None, description=_HELP)
    tokens_per_minute: LimitValue | None = Field(default=None, description=_HELP)
    daily_tokens: LimitValue | None = Field(default=None, description=_HELP)

    def domain(self) -> LimitOverride:
        return LimitOverride(self.requests_per_minute, self.tokens_per_minute, self.daily_tokens)


class LimitOverrideOut(DomainView):
    requests_per_minute: int | None = Field(description=_HELP)
    tokens_per_minute: int | None = Field(description=_HELP)
    daily_tokens: int | None = Field(description=_HELP)


class UserLimitsOut(DomainView):
    user: str
    override: LimitOverrideOut = Field(description="What an administrator set for this user.")
    effective: LimitsReport = Field(description="The limits that apply, and today's budget use.")


class AuditEntryOut(DomainView):
    at: str
    actor: str = Field(description="The administrator who made the change.")
    user: str
    old: LimitOverrideOut
    new: LimitOverrideOut


class AuditLog(ApiModel):
    entries: list[AuditEntryOut] = Field(description="The latest changes, newest first.")


class UserUsageOut(UsageTotalsOut):
    user: str
    models: list[ModelUsageOut]


class UsageByUserReport(RangeReport):
    users: list[UserUsageOut] = Field(description="Every user with usage in the range, most expensive first.")

    @classmethod
    def of(cls, report: UsageByUser) -> UsageByUserReport:
        return cls.model_validate(
            {
                **cls.range_fields(report.range, report.totals),
                "users": [
                    UserUsageOut(
                        user=u.user,
                        models=[ModelUsageOut.of_model(m) for m in u.models],
                        **UsageTotalsOut.of(u.totals).model_dump(),
                    )
                    for u in report.users
                ],
            }
        )
