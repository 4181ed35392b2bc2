"""GET /v1/usage on moto: chat turns through the REST handler show up in the caller's usage, and only there."""

import json
from datetime import UTC, datetime

import boto3
import pytest

from lambdas.core.models import Usage
from lambdas.core.pricing import load_price_table
from lambdas.handlers.api import handler
from lambdas.settings import Settings
from lambdas.wiring import build_services, use_services
from tests.support.events import FakeLambdaContext, rest_event
from tests.support.fakes import ScriptedModel

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
TURN_USAGE = Usage(input_tokens=1200, output_tokens=340)


@pytest.fixture
def api(aws):
    # A priced Bedrock model, answered by a scripted stand-in: the usage and cost path is the real one.
    settings = Settings(llm_provider="bedrock", bedrock_model_id=MODEL, query_rewriting=False)
    use_services(build_services(settings, model=ScriptedModel(answer="An answer.", usage=TURN_USAGE)))
    yield aws
    use_services(None)


def call(event):
    response = handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def get_usage(owner="user-a", **query):
    event = rest_event("GET", "/v1/usage", owner=owner)
    event["queryStringParameters"] = query or None
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    return call(event)


def two_turns(owner="user-a"):
    _, first = call(rest_event("POST", "/v1/chat", body={"message": "hello"}, owner=owner))
    call(
        rest_event(
            "POST",
            "/v1/chat",
            body={"message": "and then?", "conversation_id": first["conversation_id"]},
            owner=owner,
        )
    )
    return first["conversation_id"]


def today():
    return datetime.now(UTC).date().isoformat()


def test_usage_shows_the_tokens_and_cost_of_two_turns_per_day_and_per_model(api):
    two_turns()
    price = load_price_table().model(MODEL)
    turn_cost = 1200 / 1000 * price.input_per_1k_usd + 340 / 1000 * price.output_per_1k_usd

    status, report = get_usage()

    assert status == 200
    assert report["totals"]["input_tokens"] == 2400
    assert report["totals"]["output_tokens"] == 680
    assert report["totals"]["requests"] == 2
    assert report["totals"]["cost_usd"] == pytest.approx(2 * turn_cost)
    [day] = report["days"]
    assert day["day"] == today()
    assert [(m["model"], m["kind"], m["requests"]) for m in day["models"]] == [(MODEL, "chat", 2)]
    [model] = report["models"]
    assert model["cost_usd"] == pytest.approx(2 * turn_cost)


def test_every_stored_turn_costs_its_usage_times_the_price(api):
    conversation_id = two_turns()
    price = load_price_table().model(MODEL)

    _, detail = call(rest_event("GET", f"/v1/conversations/{conversation_id}"))

    answers = [m for m in detail["messages"] if m["role"] == "assistant"]
    assert len(answers) == 2
    for answer in answers:
        expected = (
            answer["usage"]["input_tokens"] / 1000 * price.input_per_1k_usd
            + answer["usage"]["output_tokens"] / 1000 * price.output_per_1k_usd
        )
        assert answer["cost_usd"] == pytest.approx(expected, abs=1e-8)


def test_another_user_sees_none_of_it(api):
    two_turns(owner="user-a")

    status, report = get_usage(owner="user-b")

    assert status == 200
    assert report["totals"] == {
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "cost_usd": 0.0,
        "requests": 0,
    }
    assert report["days"] == []
    assert report["models"] == []


def test_default_range_is_the_last_30_days(api):
    status, report = get_usage()
    assert status == 200
    assert report["to"] == today()
    span = datetime.fromisoformat(report["to"]) - datetime.fromisoformat(report["from"])
    assert span.days == 29


def test_range_before_the_turns_shows_nothing(api):
    two_turns()
    status, report = get_usage(**{"from": "2020-01-01", "to": "2020-01-31"})
    assert status == 200
    assert report["from"] == "2020-01-01"
    assert report["totals"]["requests"] == 0


def test_embedding_usage_written_for_ingestion_is_reported_with_its_kind(api):
    from lambdas.adapters.dynamodb_usage import DynamoDBUsageStore

    table = boto3.resource("dynamodb", region_name="us-east-1").Table(api.usage_table)
    DynamoDBUsageStore(lambda: table).add_embedding_usage(
        "user-a", day=today(), model="amazon.titan-embed-text-v2:0", input_tokens=5000, cost_usd=0.0001
    )

    _, report = get_usage()

    assert [(m["model"], m["kind"], m["input_tokens"]) for m in report["models"]] == [
        ("amazon.titan-embed-text-v2:0", "embedding", 5000)
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-02-30"}, "from"),
        ({"to": "tomorrow"}, "to"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "from"),
        ({"from": "2024-01-01", "to": "2025-06-01"}, "from"),
    ],
)
def test_bad_range_is_a_422_naming_the_field(api, query, field):
    status, body = get_usage(**query)
    assert status == 422
    assert body["error"]["field"] == field


def test_cached_tokens_are_stored_with_the_turn_and_shown_in_usage_at_their_own_rates(aws):
    cached = Usage(input_tokens=250, output_tokens=400, cache_read_tokens=3_000, cache_write_tokens=1_200)
    settings = Settings(llm_provider="bedrock", bedrock_model_id=MODEL)
    use_services(build_services(settings, model=ScriptedModel(answer="Cached.", usage=cached)))
    try:
        _, turn = call(rest_event("POST", "/v1/chat", body={"message": "hello"}, owner="user-a"))
        status, report = get_usage()
        _, conversation = call(
            rest_event("GET", f"/v1/conversations/{turn['conversation_id']}", owner="user-a")
        )
    finally:
        use_services(None)

    # Claude 3.5 Haiku: 250 x $0.0008 + 3,000 x $0.00008 + 1,200 x $0.001 + 400 x $0.004, per 1K.
    expected = 0.0002 + 0.00024 + 0.0012 + 0.0016
    assert turn["usage"] | {"cost_usd": turn["cost_usd"]} == {
        "input_tokens": 250,
        "output_tokens": 400,
        "cache_read_tokens": 3_000,
        "cache_write_tokens": 1_200,
        "estimated": False,
        "cost_usd": pytest.approx(expected),
    }
    assert status == 200
    totals = report["totals"]
    assert (totals["cache_read_tokens"], totals["cache_write_tokens"]) == (3_000, 1_200)
    assert totals["cost_usd"] == pytest.approx(expected)
    stored = conversation["messages"][-1]
    assert (stored["usage"]["cache_read_tokens"], stored["cost_usd"]) == (3_000, pytest.approx(expected))
