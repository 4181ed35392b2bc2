"""BedrockReranker against a real bedrock-agent-runtime client stubbed with botocore's Stubber,
using the Rerank API's request and response shapes."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from lambdas.adapters.bedrock_rerank import BedrockReranker
from lambdas.core.errors import ModelThrottled, ModelUnavailable
from lambdas.core.ports import Reranked
from tests.unit.adapters.conftest import offline_client

MODEL_ID = "cohere.rerank-v3-5:0"
MODEL_ARN = f"arn:aws:bedrock:us-west-2::foundation-model/{MODEL_ID}"


@pytest.fixture
def client() -> Any:
    return offline_client("bedrock-agent-runtime", "us-west-2")


def rerank_request(query: str, texts: list[str], results: int) -> dict[str, Any]:
    return {
        "queries": [{"type": "TEXT", "textQuery": {"text": query}}],
        "sources": [
            {"type": "INLINE", "inlineDocumentSource": {"type": "TEXT", "textDocument": {"text": text}}}
            for text in texts
        ],
        "rerankingConfiguration": {
            "type": "BEDROCK_RERANKING_MODEL",
            "bedrockRerankingConfiguration": {
                "numberOfResults": results,
                "modelConfiguration": {"modelArn": MODEL_ARN},
            },
        },
    }


def test_the_query_and_texts_are_sent_inline_and_results_come_back_best_first(
    client: Any, stubber: Stubber
) -> None:
    texts = ["Kettles boil water.", "Descale the kettle with citric acid.", "Toasters brown bread."]
    stubber.add_response(
        "rerank",
        {"results": [{"index": 1, "relevanceScore": 0.91}, {"index": 0, "relevanceScore": 0.12}]},
        rerank_request("how to remove limescale", texts, 2),
    )

    ranked = BedrockReranker(client, model_id=MODEL_ID, region="us-west-2").rerank(
        "how to remove limescale", texts, 2
    )

    assert ranked == [Reranked(1, 0.91), Reranked(0, 0.12)]


def test_no_texts_make_no_call(client: Any, stubber: Stubber) -> None:
    assert BedrockReranker(client, model_id=MODEL_ID, region="us-west-2").rerank("anything", [], 5) == []


def test_throttling_becomes_model_throttled(client: Any, stubber: Stubber) -> None:
    stubber.add_client_error("rerank", "ThrottlingException", "Too many requests", 429)

    with pytest.raises(ModelThrottled):
        BedrockReranker(client, model_id=MODEL_ID, region="us-west-2").rerank("q", ["a"], 1)


@pytest.mark.parametrize(
    ("code", "status"),
    [("AccessDeniedException", 403), ("ResourceNotFoundException", 404), ("ValidationException", 400)],
)
def test_no_access_or_no_model_in_the_region_becomes_model_unavailable(
    client: Any, stubber: Stubber, code: str, status: int
) -> None:
    stubber.add_client_error("rerank", code, "not here", status)

    with pytest.raises(ModelUnavailable) as raised:
        BedrockReranker(client, model_id=MODEL_ID, region="us-west-2").rerank("q", ["a"], 1)
    assert not isinstance(raised.value, ModelThrottled)
