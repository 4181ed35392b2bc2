"""The scenario of docs/cost.md, line by line: 10,000 requests/day, 500 in / 300 out tokens,
Claude 3.5 Haiku, retrieval on OpenSearch Serverless, 1,000 documents of 50 KB a month, 1,000
active users. Each expected value is the arithmetic written out with the unit prices of the
price files, so a price change shows up here and in the document together."""

import pytest

from tools.cost.estimate import estimate
from tools.cost.scenario import Scenario

REQUESTS = 10_000 * 730 / 24
DOCUMENTS = 1_000
CHUNKS = 76  # ceil(50 KB / 680 new characters per chunk: 800-character chunks, 120 overlap)
BATCHES = 3  # ceil(76 / 32 chunks per embedding batch)
GIB = 1024**3
REST_CALLS = REQUESTS + DOCUMENTS * 2 + 1_000 * 20 * 3

EXPECTED = {
    "Bedrock model: input tokens": REQUESTS * 500 / 1000 * 0.0008,
    "Bedrock model: output tokens": REQUESTS * 300 / 1000 * 0.004,
    "Bedrock embeddings": (REQUESTS * 50 + DOCUMENTS * CHUNKS * 200) / 1000 * 0.00002,
    "Bedrock document summaries": DOCUMENTS * (60 + 32 * 200) / 1000 * 0.00006
    + DOCUMENTS * 300 / 1000 * 0.00024,
    "Bedrock Guardrails": REQUESTS * (2 + 2) / 1000 * (0.15 + 0.10),
    "Lambda": (REQUESTS + DOCUMENTS * (2 + BATCHES) + (REST_CALLS - REQUESTS)) / 1e6 * 0.20
    + (REQUESTS * 3 * 0.5 + DOCUMENTS * (5 * 1 + (BATCHES * 2 + 2) * 0.5)) * 0.0000133334,
    "API Gateway": REST_CALLS / 1e6 * 3.50,
    "DynamoDB (on-demand)": (REQUESTS * 12 + DOCUMENTS * 4) / 1e6 * 0.625
    + (REQUESTS * 3 + DOCUMENTS * 3) / 1e6 * 0.125
    + REQUESTS * (500 + 300 * 4 + 1000) / GIB * 0.25,
    "OpenSearch Serverless": 2 * 730 * 0.24 + 12 * DOCUMENTS * CHUNKS * (4096 + 800 + 200) / GIB * 0.024,
    "S3": 12 * DOCUMENTS * 50 * 1024 / GIB * 0.023
    + DOCUMENTS * (2 + 2 * BATCHES) / 1000 * 0.005
    + DOCUMENTS * (2 + 3 * BATCHES) / 1000 * 0.0004,
    "Step Functions": DOCUMENTS * (7 + BATCHES + 6) / 1000 * 0.025,
    "CloudWatch": (REQUESTS * 2048 + DOCUMENTS * 8192) / GIB * (0.50 + 0.03)
    + 7 * 0.30
    + 3.00
    + 23 * 0.10
    + 0.50
    + REQUESTS / 1e6 * 0.02,
    "WAF": 5.00 + 4 * 1.00 + REST_CALLS / 1e6 * 0.60,
    "CloudFront": 1_000 * 20 * 200 * 1024 / GIB * 0.085 + 1_000 * 20 * 17 / 10_000 * 0.01,
    "Cognito": 1_000 * 0.02,
    "KMS": 6 * 1.00 + 100 * 730 / 10_000 * 0.03,
}


@pytest.fixture(scope="module")
def documented(aws, models):
    return estimate(Scenario(), aws=aws, models=models)


def test_the_documented_scenario_has_one_line_per_service_in_order(documented):
    assert [line.service for line in documented.lines] == list(EXPECTED)


@pytest.mark.parametrize("service", list(EXPECTED))
def test_each_line_of_the_documented_scenario(documented, service):
    [line] = [line for line in documented.lines if line.service == service]
    assert line.monthly_usd == pytest.approx(EXPECTED[service], rel=1e-9)


def test_the_total_is_the_sum_of_the_lines(documented):
    assert documented.total_usd == pytest.approx(sum(EXPECTED.values()))


def test_the_opensearch_minimum_is_the_dominant_cost_billed_when_idle(documented):
    opensearch = next(line for line in documented.lines if line.service == "OpenSearch Serverless")
    assert opensearch.idle_usd == pytest.approx(350.40)
    assert opensearch.idle_usd > documented.idle_usd / 2
    assert max(documented.lines, key=lambda line: line.idle_usd) is opensearch


def test_every_line_lists_its_assumptions(documented):
    assert all(line.assumptions for line in documented.lines)
