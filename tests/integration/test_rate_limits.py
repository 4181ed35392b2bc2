"""Rate limits and the daily budget in the usage table on moto: the same behaviour as the
in-memory limiter, shared by every Lambda, and visible through the REST API."""

import json
from datetime import UTC, datetime

import boto3
import pytest

from lambdas.adapters.dynamodb_limits import DynamoDBRateLimiter
from lambdas.adapters.memory import InMemoryRateLimiter
from lambdas.core.errors import RateLimited
from lambdas.core.limits import LimitPolicy
from lambdas.handlers.api import handler
from lambdas.settings import Settings
from lambdas.wiring import build_services, use_services
from tests.support.events import FakeLambdaContext, rest_event
from tests.support.fakes import ScriptedModel

NOON = datetime(2025, 3, 14, 12, 0, tzinfo=UTC).timestamp()
POLICY = LimitPolicy(requests_per_minute=3, tokens_per_minute=1000, daily_tokens=5000)


class ManualClock:
    def __init__(self) -> None:
        self.now = NOON

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def usage_table(aws):
    return boto3.resource("dynamodb", region_name="us-east-1").Table(aws.usage_table)


def dynamodb_limiter(table, clock, policy=POLICY) -> DynamoDBRateLimiter:
    return DynamoDBRateLimiter(lambda: table, policy, now=clock)


@pytest.fixture(params=["memory", "dynamodb"])
def limiter(request, clock):
    if request.param == "memory":
        return InMemoryRateLimiter(POLICY, now=clock)
    return dynamodb_limiter(request.getfixturevalue("usage_table"), clock)


def retry_after(limiter) -> int:
    with pytest.raises(RateLimited) as refused:
        limiter.admit("user-a")
    return refused.value.retry_after_seconds


def test_the_request_after_a_burst_waits_for_one_refill(limiter, clock):
    for _ in range(3):
        limiter.admit("user-a")

    assert retry_after(limiter) == 20
    clock.now += 20
    limiter.admit("user-a")


def test_a_refused_request_takes_nothing_from_the_bucket(limiter, clock):
    for _ in range(3):
        limiter.admit("user-a")
    for _ in range(5):
        retry_after(limiter)

    clock.now += 20

    limiter.admit("user-a")


def test_idle_time_refills_at_most_one_minute_of_requests(limiter, clock):
    limiter.admit("user-a")
    clock.now += 3600

    for _ in range(3):
        limiter.admit("user-a")
    assert retry_after(limiter) == 20


def test_a_long_answer_delays_the_next_turn(limiter, clock):
    limiter.admit("user-a")
    limiter.charge("user-a", 2500)  # 150 s of tokens owed

    assert retry_after(limiter) == 90
    clock.now += 90
    retry_after(limiter)  # exactly a minute owed is still a full bucket's worth
    clock.now += 1
    limiter.admit("user-a")


def test_a_used_up_day_waits_until_midnight_and_then_renews(limiter, clock):
    limiter.charge("user-a", 5000)

    assert retry_after(limiter) == 12 * 3600
    clock.now += 12 * 3600
    limiter.admit("user-a")
    assert limiter.status("user-a").daily_tokens_used == 0


def test_status_counts_every_charge_of_the_day(limiter):
    limiter.charge("user-a", 1200)
    limiter.charge("user-a", 300)

    status = limiter.status("user-a")

    assert (status.daily_tokens_used, status.daily_tokens_remaining) == (1500, 3500)


def test_two_lambdas_share_one_users_allowance(usage_table, clock):
    first, second = dynamodb_limiter(usage_table, clock), dynamodb_limiter(usage_table, clock)

    first.admit("user-a")
    second.admit("user-a")
    first.admit("user-a")

    assert retry_after(second) == 20


def test_the_day_item_sits_under_a_limit_key_and_expires_a_day_after_its_day(usage_table, clock):
    dynamodb_limiter(usage_table, clock).admit("user-a")

    item = usage_table.get_item(Key={"pk": "USER#user-a", "sk": "LIMIT#2025-03-14"})["Item"]

    assert item["expires_at"] == datetime(2025, 3, 16, tzinfo=UTC).timestamp()


def test_limits_that_are_off_write_no_bucket(usage_table, clock):
    limiter = dynamodb_limiter(usage_table, clock, LimitPolicy(requests_per_minute=0, tokens_per_minute=0))

    for _ in range(10):
        limiter.admit("user-a")
        limiter.charge("user-a", 10_000)

    item = usage_table.get_item(Key={"pk": "USER#user-a", "sk": "LIMIT#2025-03-14"})["Item"]
    assert "requests_full_at" not in item
    assert "tokens_full_at" not in item
    assert item["tokens_used"] == 100_000


@pytest.fixture
def api(aws, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_REQUESTS_PER_MINUTE", "2")
    monkeypatch.setenv("DAILY_TOKEN_BUDGET", "1000")
    use_services(build_services(Settings(), model=ScriptedModel(answer="An answer.")))
    yield aws
    use_services(None)


def call(event):
    response = handler(event, FakeLambdaContext())
    headers = {name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items()}
    return response["statusCode"], json.loads(response["body"]), headers


def test_the_api_answers_429_with_retry_after_once_the_configured_rate_is_used(api):
    for message in ("one", "two"):
        assert call(rest_event("POST", "/v1/chat", body={"message": message}))[0] == 200

    status, body, headers = call(rest_event("POST", "/v1/chat", body={"message": "three"}))

    assert (status, body["error"]["code"]) == (429, "rate_limited")
    assert 1 <= int(headers["Retry-After"]) <= 30


def test_the_limits_route_shows_what_the_callers_turns_used_today(api):
    call(rest_event("POST", "/v1/chat", body={"message": "one"}))

    status, body, _ = call(rest_event("GET", "/v1/limits"))
    _, other, _ = call(rest_event("GET", "/v1/limits", owner="user-b"))

    assert status == 200
    assert body["requests_per_minute"] == 2
    assert body["daily_tokens"] == 1000
    assert body["daily_tokens_used"] == 18  # ScriptedModel's 11 input + 7 output tokens
    assert body["daily_tokens_remaining"] == 982
    assert other["daily_tokens_used"] == 0
