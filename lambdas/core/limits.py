"""Per-user rate limits and daily token budget: the arithmetic, free of any storage.

Two token buckets per user hold one minute of allowance each: one counts requests, one
counts model tokens (input + output). Each is kept as the moment it will be full again
(`*_full_at`, epoch seconds; the "theoretical arrival time" of the generic cell rate
algorithm): a request pushes `requests_full_at` forward by 60/limit seconds, a finished
turn pushes `tokens_full_at` by tokens x 60/limit seconds. A bucket is empty when that
moment is a minute or more away. The token bucket may overdraw after a long answer, which
then delays the next turn. This form needs no refill step, so a store can apply it with
one conditional write (`lambdas.adapters.dynamodb_limits`).

The daily budget is checked before a turn and charged after it, so one turn may end a
little past it. State is kept per UTC day: at 00:00 UTC the budget renews and both
buckets start full. A limit of 0 means "no limit".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lambdas.core.errors import RateLimited
from lambdas.core.models import LimitStatus

BUCKET_SECONDS = 60.0
"""A full bucket holds one minute of allowance."""


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    requests_per_minute: int = 20
    tokens_per_minute: int = 40_000
    daily_tokens: int = 200_000

    @property
    def unlimited(self) -> bool:
        return not (self.requests_per_minute or self.tokens_per_minute or self.daily_tokens)

    @property
    def request_seconds(self) -> float:
        """How far one request moves `requests_full_at`."""
        return BUCKET_SECONDS / self.requests_per_minute

    def token_seconds(self, tokens: int) -> float:
        """How far `tokens` move `tokens_full_at`."""
        return tokens * BUCKET_SECONDS / self.tokens_per_minute


MAX_LIMIT_VALUE = 1_000_000_000
"""The largest limit an administrator may set: refuses a typo of a few more digits."""

NO_LIMITS = LimitPolicy(requests_per_minute=0, tokens_per_minute=0, daily_tokens=0)


@dataclass(frozen=True, slots=True)
class LimitOverride:
    """One user's limits set by an administrator; None keeps the deployment's default, 0 lifts the limit."""

    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    daily_tokens: int | None = None

    def apply(self, default: LimitPolicy) -> LimitPolicy:
        return LimitPolicy(
            requests_per_minute=_either(self.requests_per_minute, default.requests_per_minute),
            tokens_per_minute=_either(self.tokens_per_minute, default.tokens_per_minute),
            daily_tokens=_either(self.daily_tokens, default.daily_tokens),
        )


NO_OVERRIDE = LimitOverride()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change of a user's override, as the audit trail keeps it."""

    at: str
    """ISO 8601, UTC."""
    actor: str
    """The administrator who made the change."""
    user: str
    old: LimitOverride
    new: LimitOverride


def _either(override: int | None, default: int) -> int:
    return default if override is None else override


@dataclass(frozen=True, slots=True)
class DayState:
    """One user's limit state for one UTC day (0.0: the bucket has been full all day)."""

    requests_full_at: float = 0.0
    tokens_full_at: float = 0.0
    tokens_used: int = 0


@dataclass(frozen=True, slots=True)
class AdmissionBounds:
    """A request is admitted only while the day's state is within these; None: no limit."""

    requests_full_at_max: float | None
    """Inclusive: one more request still fits in the request bucket."""
    tokens_full_at_before: float | None
    """Exclusive: the token bucket is not empty."""
    tokens_used_before: int | None
    """Exclusive: some of the daily budget is left."""


def admission_bounds(policy: LimitPolicy, now: float) -> AdmissionBounds:
    return AdmissionBounds(
        requests_full_at_max=(
            now + BUCKET_SECONDS - policy.request_seconds if policy.requests_per_minute else None
        ),
        tokens_full_at_before=now + BUCKET_SECONDS if policy.tokens_per_minute else None,
        tokens_used_before=policy.daily_tokens or None,
    )


def refusal(policy: LimitPolicy, state: DayState, now: float) -> RateLimited | None:
    """Why a request is refused now, with the wait after which the tightest limit admits it;
    None when it is admitted."""
    bounds = admission_bounds(policy, now)
    if bounds.tokens_used_before is not None and state.tokens_used >= bounds.tokens_used_before:
        return RateLimited(
            f"Your daily budget of {policy.daily_tokens} tokens is used up; it renews at 00:00 UTC.",
            retry_after_seconds=_whole_seconds(next_midnight(now).timestamp() - now),
        )
    waits: list[tuple[float, str]] = []
    if bounds.requests_full_at_max is not None and state.requests_full_at > bounds.requests_full_at_max:
        waits.append(
            (
                state.requests_full_at - bounds.requests_full_at_max,
                f"You are sending more than {policy.requests_per_minute} messages a minute",
            )
        )
    if bounds.tokens_full_at_before is not None and state.tokens_full_at >= bounds.tokens_full_at_before:
        waits.append(
            (
                state.tokens_full_at - bounds.tokens_full_at_before,
                f"Recent answers used more than {policy.tokens_per_minute} tokens a minute",
            )
        )
    if not waits:
        return None
    wait, reason = max(waits)
    seconds = _whole_seconds(wait)
    return RateLimited(f"{reason}; try again in {seconds} s.", retry_after_seconds=seconds)


def after_request(policy: LimitPolicy, state: DayState, now: float) -> DayState:
    if not policy.requests_per_minute:
        return state
    full_at = max(state.requests_full_at, now) + policy.request_seconds
    return DayState(full_at, state.tokens_full_at, state.tokens_used)


def after_charge(policy: LimitPolicy, state: DayState, tokens: int, now: float) -> DayState:
    tokens_full_at = state.tokens_full_at
    if policy.tokens_per_minute:
        tokens_full_at = max(tokens_full_at, now) + policy.token_seconds(tokens)
    return DayState(state.requests_full_at, tokens_full_at, state.tokens_used + tokens)


def status(policy: LimitPolicy, tokens_used: int, now: float) -> LimitStatus:
    remaining = max(0, policy.daily_tokens - tokens_used) if policy.daily_tokens else None
    return LimitStatus(
        requests_per_minute=policy.requests_per_minute or None,
        tokens_per_minute=policy.tokens_per_minute or None,
        daily_tokens=policy.daily_tokens or None,
        daily_tokens_used=tokens_used,
        daily_tokens_remaining=remaining,
        resets_at=next_midnight(now).isoformat().replace("+00:00", "Z"),
    )


def day_of(now: float) -> str:
    """The UTC day (YYYY-MM-DD) whose state `now` uses."""
    return datetime.fromtimestamp(now, UTC).date().isoformat()


def next_midnight(now: float) -> datetime:
    today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def _whole_seconds(wait: float) -> int:
    """A Retry-After value: whole seconds, at least one."""
    return max(1, math.ceil(wait))
