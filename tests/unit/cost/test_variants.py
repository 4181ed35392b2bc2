"""How the options change the estimate: vector backend, standby replicas, retrieval, streaming, guardrail."""

from dataclasses import replace

import pytest

from tools.cost.estimate import estimate
from tools.cost.scenario import Scenario

GIB = 1024**3
TIB = 1024**4


def line(result, service):
    return next(item for item in result.lines if item.service == service)


def test_dev_collections_without_standby_replicas_idle_at_half_the_production_floor(aws, models):
    production = estimate(Scenario(), aws=aws, models=models)
    dev = estimate(Scenario(standby_replicas=False), aws=aws, models=models)

    assert line(dev, "OpenSearch Serverless").idle_usd == pytest.approx(1 * 730 * 0.24)
    assert line(production, "OpenSearch Serverless").idle_usd == pytest.approx(2 * 730 * 0.24)


def test_s3_vectors_costs_storage_puts_and_queries_and_nothing_when_idle(aws, models):
    scenario = Scenario(vector_backend="s3vectors", requests_per_day=1_000, documents_per_month=100)
    requests = 1_000 * 730 / 24
    vectors = 12 * 100 * 76

    s3_vectors = line(estimate(scenario, aws=aws, models=models), "S3 Vectors")

    expected = (
        vectors * (4096 + 800 + 200) / GIB * 0.06
        + 100 * 76 * (4096 + 800 + 200) / GIB * 0.20
        + requests / 1e6 * 2.50
        + requests * vectors * (4096 + 100) / TIB * 0.004
    )
    assert s3_vectors.monthly_usd == pytest.approx(expected)
    assert s3_vectors.idle_usd == 0


def test_without_retrieval_there_is_no_vector_store_and_no_query_embeddings(aws, models):
    result = estimate(Scenario(retrieval=False), aws=aws, models=models)

    assert line(result, "Vector store").monthly_usd == 0
    assert line(result, "Bedrock embeddings").monthly_usd == pytest.approx(1_000 * 76 * 200 / 1000 * 0.00002)


def test_streamed_answers_pay_websocket_messages_and_minutes_instead_of_rest_calls(aws, models):
    requests = 10_000 * 730 / 24
    other_rest_calls = 1_000 * 2 + 1_000 * 20 * 3

    api = line(estimate(Scenario(streaming=True), aws=aws, models=models), "API Gateway")

    frames = 2 + 300 // 5
    expected = other_rest_calls / 1e6 * 3.50 + requests * frames / 1e6 * 1.00 + requests / 1e6 * 0.25
    assert api.monthly_usd == pytest.approx(expected)


def test_denied_topics_add_their_policy_price_to_every_text_unit(aws, models):
    base = line(estimate(Scenario(), aws=aws, models=models), "Bedrock Guardrails")
    topics = line(estimate(Scenario(denied_topics=True), aws=aws, models=models), "Bedrock Guardrails")

    assert topics.monthly_usd == pytest.approx(base.monthly_usd * (0.15 + 0.10 + 0.15) / (0.15 + 0.10))


def test_without_the_guardrail_its_line_is_zero(aws, models):
    assert (
        line(estimate(Scenario(guardrail=False), aws=aws, models=models), "Bedrock Guardrails").monthly_usd
        == 0
    )


def test_model_lines_follow_the_chosen_models_price(aws, models):
    sonnet = replace(Scenario(), model="us.anthropic.claude-sonnet-4-20250514-v1:0")

    result = estimate(sonnet, aws=aws, models=models)

    requests = 10_000 * 730 / 24
    assert line(result, "Bedrock model: input tokens").monthly_usd == pytest.approx(
        requests * 500 / 1000 * 0.003
    )
    assert line(result, "Bedrock model: output tokens").monthly_usd == pytest.approx(
        requests * 300 / 1000 * 0.015
    )
