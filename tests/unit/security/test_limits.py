"""Per-user limits: requests and tokens per minute, the daily token budget, and what the user sees."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from lambdas.adapters.memory import InMemoryRateLimiter
from lambdas.core.errors import RateLimited
from lambdas.core.limits import NO_LIMITS, LimitPolicy

NOON = datetime(2025, 3, 14, 12, 0, tzinfo=UTC).timestamp()


class ManualClock:
    def __init__(self, start: float = NOON) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def limiter(clock: ManualClock, **policy: int) -> InMemoryRateLimiter:
    """A limiter with only the given limits."""
    return InMemoryRateLimiter(replace(NO_LIMITS, **policy), now=clock)


def refused(limits: InMemoryRateLimiter, owner: str = "user-a") -> RateLimited:
    with pytest.raises(RateLimited) as caught:
        limits.admit(owner)
    return caught.value


def test_a_full_minute_of_requests_is_admitted_at_once():
    limits = limiter(ManualClock(), requests_per_minute=5)

    for _ in range(5):
        limits.admit("user-a")


def test_the_request_after_a_burst_is_refused_with_the_seconds_until_one_more_fits():
    limits = limiter(ManualClock(), requests_per_minute=5)
    for _ in range(5):
        limits.admit("user-a")

    error = refused(limits)

    assert error.retry_after_seconds == 12  # one request refills every 60/5 s
    assert "5 messages a minute" in error.message


def test_requests_are_admitted_again_after_the_refill_time():
    clock = ManualClock()
    limits = limiter(clock, requests_per_minute=5)
    for _ in range(5):
        limits.admit("user-a")

    clock.advance(12)

    limits.admit("user-a")


def test_idle_time_refills_the_bucket_only_up_to_one_minute_of_requests():
    clock = ManualClock()
    limits = limiter(clock, requests_per_minute=3)
    clock.advance(3600)

    for _ in range(3):
        limits.admit("user-a")
    refused(limits)


def test_each_user_has_their_own_buckets():
    limits = limiter(ManualClock(), requests_per_minute=1)
    limits.admit("user-a")

    limits.admit("user-b")

    refused(limits, "user-a")


def test_a_long_answer_overdraws_the_token_bucket_and_delays_the_next_turn():
    clock = ManualClock()
    limits = limiter(clock, tokens_per_minute=1000)
    limits.admit("user-a")
    limits.charge("user-a", 1500)  # the bucket is full again 90 s from now

    error = refused(limits)

    assert error.retry_after_seconds == 30  # until less than a minute's worth is owed
    assert "1000 tokens a minute" in error.message
    clock.advance(31)
    limits.admit("user-a")


def test_a_turn_is_admitted_while_some_tokens_are_left_in_the_minute():
    limits = limiter(ManualClock(), tokens_per_minute=1000)
    limits.charge("user-a", 999)

    limits.admit("user-a")


def test_the_longest_wait_is_reported_when_two_limits_refuse():
    limits = limiter(ManualClock(), requests_per_minute=1, tokens_per_minute=100)
    limits.admit("user-a")
    limits.charge("user-a", 1000)  # tokens owed for 10 minutes; the request bucket refills in 60 s

    assert refused(limits).retry_after_seconds == 540


def test_a_used_up_daily_budget_refuses_until_midnight_utc():
    limits = limiter(ManualClock(), daily_tokens=5000)
    limits.charge("user-a", 5000)

    error = refused(limits)

    assert error.retry_after_seconds == 12 * 3600
    assert "daily budget of 5000 tokens" in error.message


def test_a_turn_started_within_the_budget_may_end_past_it():
    limits = limiter(ManualClock(), daily_tokens=5000)
    limits.charge("user-a", 4999)

    limits.admit("user-a")
    limits.charge("user-a", 800)

    assert limits.status("user-a").daily_tokens_remaining == 0


def test_the_daily_budget_renews_at_midnight_utc():
    clock = ManualClock()
    limits = limiter(clock, daily_tokens=5000)
    limits.charge("user-a", 5000)

    clock.advance(12 * 3600)

    limits.admit("user-a")
    assert limits.status("user-a").daily_tokens_used == 0


def test_status_shows_the_limits_and_what_is_left_of_the_day():
    limits = limiter(ManualClock(), requests_per_minute=20, tokens_per_minute=40_000, daily_tokens=200_000)
    limits.charge("user-a", 1234)

    status = limits.status("user-a")

    assert (status.requests_per_minute, status.tokens_per_minute, status.daily_tokens) == (
        20,
        40_000,
        200_000,
    )
    assert (status.daily_tokens_used, status.daily_tokens_remaining) == (1234, 198_766)
    assert status.resets_at == "2025-03-15T00:00:00Z"


def test_zero_means_no_limit_and_shows_as_none():
    limits = InMemoryRateLimiter(NO_LIMITS, now=ManualClock())
    for _ in range(1000):
        limits.admit("user-a")
        limits.charge("user-a", 100_000)

    status = limits.status("user-a")

    assert (status.requests_per_minute, status.tokens_per_minute, status.daily_tokens) == (None, None, None)
    assert status.daily_tokens_remaining is None
    assert status.daily_tokens_used == 100_000_000


def test_the_defaults_are_generous_but_bounded():
    policy = LimitPolicy()

    assert (policy.requests_per_minute, policy.tokens_per_minute, policy.daily_tokens) == (
        20,
        40_000,
        200_000,
    )
