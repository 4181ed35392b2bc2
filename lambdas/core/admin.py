"""What administrators do: see usage and cost per user and per model over a period, and set a
user's limits (daily token budget, requests and tokens per minute), every change audited."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from lambdas.core.errors import InvalidRequest
from lambdas.core.limits import MAX_LIMIT_VALUE, AuditEntry, LimitOverride, LimitPolicy, status
from lambdas.core.models import LimitStatus
from lambdas.core.ports import Clock, DailyUsage, RateLimiter, UsageStore
from lambdas.core.usage import DayRange, ModelUsage, UsageTotals, parse_day_range, summarize

AUDIT_PAGE = 100


@dataclass(frozen=True, slots=True)
class UserUsage:
    user: str
    totals: UsageTotals
    models: tuple[ModelUsage, ...]


@dataclass(frozen=True, slots=True)
class UsageByUser:
    range: DayRange
    totals: UsageTotals
    users: tuple[UserUsage, ...]
    """Most expensive first."""


@dataclass(frozen=True, slots=True)
class UserLimits:
    user: str
    override: LimitOverride
    effective: LimitStatus


class LimitOverrides(Protocol):
    """Per-user limit overrides and the audit trail of their changes."""

    def get(self, user: str) -> LimitOverride:
        """The user's override; NO_OVERRIDE when none was set."""
        ...

    def replace(self, user: str, new: LimitOverride, *, actor: str, at: str) -> AuditEntry:
        """Store `new` and its audit entry together; raises Conflict when another change
        landed since the old value was read."""
        ...

    def audit(self, limit: int) -> list[AuditEntry]:
        """The latest changes, newest first."""
        ...


class AdminService:
    def __init__(
        self,
        *,
        usage: UsageStore,
        overrides: LimitOverrides,
        limiter: RateLimiter | None,
        default_policy: LimitPolicy,
        clock: Clock,
    ) -> None:
        """Without a `limiter` (no limit state is kept), a user's figures are the policy alone."""
        self._usage = usage
        self._overrides = overrides
        self._limiter = limiter
        self._default_policy = default_policy
        self._clock = clock

    def usage_by_user(self, first: str | None = None, last: str | None = None) -> UsageByUser:
        day_range = parse_day_range(first, last, today=date.fromisoformat(self._clock.now_iso()[:10]))
        by_user: dict[str, list[DailyUsage]] = defaultdict(list)
        for user, record in self._usage.every_user_daily_usage(
            day_range.first.isoformat(), day_range.last.isoformat()
        ):
            by_user[user].append(record)
        summaries = {user: summarize(records, day_range) for user, records in by_user.items()}
        users = sorted(
            (UserUsage(user, s.totals, s.models) for user, s in summaries.items()),
            key=lambda u: (-u.totals.cost_usd, u.user),
        )
        everything = [record for records in by_user.values() for record in records]
        return UsageByUser(day_range, summarize(everything, day_range).totals, tuple(users))

    def limits(self, user: str) -> UserLimits:
        override = self._overrides.get(user)
        if self._limiter is not None:
            return UserLimits(user, override, self._limiter.status(user))
        now = datetime.fromisoformat(self._clock.now_iso().replace("Z", "+00:00")).timestamp()
        return UserLimits(user, override, status(override.apply(self._default_policy), 0, now))

    def set_limits(self, actor: str, user: str, new: LimitOverride) -> AuditEntry:
        _check(user, new)
        return self._overrides.replace(user, new, actor=actor, at=self._clock.now_iso())

    def audit(self) -> Sequence[AuditEntry]:
        return self._overrides.audit(AUDIT_PAGE)


def _check(user: str, override: LimitOverride) -> None:
    if not user.strip() or len(user) > 128:
        raise InvalidRequest("the user id must be 1 to 128 characters", field="user")
    for field in ("requests_per_minute", "tokens_per_minute", "daily_tokens"):
        value = getattr(override, field)
        if value is not None and not 0 <= value <= MAX_LIMIT_VALUE:
            raise InvalidRequest(f"{field} must be from 0 (no limit) to {MAX_LIMIT_VALUE}", field=field)
