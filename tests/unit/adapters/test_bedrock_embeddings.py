"""TitanEmbedder against a real bedrock-runtime client stubbed with botocore's Stubber, using
InvokeModel's request and Titan Text Embeddings v2's response shapes."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from lambdas.adapters.bedrock_embeddings import TitanEmbedder
from lambdas.core.errors import ModelThrottled, ModelUnavailable
from tests.unit.adapters.conftest import offline_client

MODEL_ID = "amazon.titan-embed-text-v2:0"


def titan_response(vector: list[float], *, tokens: int = 4) -> dict[str, Any]:
    body = json.dumps(
        {"embedding": vector, "embeddingsByType": {"float": vector}, "inputTextTokenCount": tokens}
    )
    data = body.encode()
    return {"body": StreamingBody(io.BytesIO(data), len(data)), "contentType": "application/json"}


def titan_request(text: str, dimensions: int = 256) -> dict[str, Any]:
    return {
        "modelId": MODEL_ID,
        "body": json.dumps({"inputText": text, "dimensions": dimensions, "normalize": True}),
        "contentType": "application/json",
        "accept": "application/json",
    }


def unit_vector(position: int, dimensions: int = 256) -> list[float]:
    return [1.0 if i == position else 0.0 for i in range(dimensions)]


@pytest.fixture
def client() -> Any:
    return offline_client("bedrock-runtime", "eu-west-1")


def test_a_query_is_one_invoke_model_call_asking_for_normalised_vectors(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_response("invoke_model", titan_response(unit_vector(3)), titan_request("what is lambda?"))

    vector = TitanEmbedder(client, dimensions=256).embed_query("what is lambda?")

    assert vector == unit_vector(3)


def test_a_batch_sends_one_call_per_text_and_keeps_the_input_order(client: Any, stubber: Stubber) -> None:
    texts = ["first chunk", "second chunk", "third chunk"]
    for position, text in enumerate(texts):
        stubber.add_response("invoke_model", titan_response(unit_vector(position)), titan_request(text))

    vectors = TitanEmbedder(client, dimensions=256, concurrency=1).embed_documents(texts)

    assert vectors == [unit_vector(0), unit_vector(1), unit_vector(2)]


def test_concurrent_calls_still_return_each_text_its_own_vector() -> None:
    texts = [f"chunk {n}" for n in range(12)]
    client = _EchoingClient()

    vectors = TitanEmbedder(client, dimensions=256, concurrency=4).embed_documents(texts)

    assert vectors == [unit_vector(n) for n in range(12)]
    assert client.most_in_flight <= 4


def test_an_empty_batch_makes_no_call(client: Any, stubber: Stubber) -> None:
    assert TitanEmbedder(client, dimensions=256).embed_documents([]) == []


@pytest.mark.parametrize("code", ["ThrottlingException", "ServiceUnavailableException"])
def test_throttling_becomes_model_throttled_so_the_workflow_retries(
    client: Any, stubber: Stubber, code: str
) -> None:
    stubber.add_client_error("invoke_model", service_error_code=code, http_status_code=429)

    with pytest.raises(ModelThrottled):
        TitanEmbedder(client, dimensions=256).embed_documents(["a chunk"])


def test_missing_model_access_says_where_to_enable_it(client: Any, stubber: Stubber) -> None:
    stubber.add_client_error("invoke_model", service_error_code="AccessDeniedException", http_status_code=403)

    with pytest.raises(ModelUnavailable, match=r"Model access.*eu-west-1") as raised:
        TitanEmbedder(client, dimensions=256).embed_query("question")

    assert not isinstance(raised.value, ModelThrottled)


def test_a_vector_of_the_wrong_size_is_refused(client: Any, stubber: Stubber) -> None:
    stubber.add_response("invoke_model", titan_response(unit_vector(0, 512)), titan_request("question"))

    with pytest.raises(ModelUnavailable, match="512 dimensions"):
        TitanEmbedder(client, dimensions=256).embed_query("question")


def test_dimensions_titan_v2_cannot_produce_are_refused_up_front(client: Any) -> None:
    with pytest.raises(ValueError, match="256, 512 or 1024"):
        TitanEmbedder(client, dimensions=384)


class _EchoingClient:
    """Answers `chunk <n>` with the n-th unit vector, counting calls in flight at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self.most_in_flight = 0
        self._barrier = threading.Barrier(4, timeout=5)

    def invoke_model(self, **params: Any) -> dict[str, Any]:
        with self._lock:
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
        try:
            self._barrier.wait()  # proves four calls really run at once
            text = json.loads(params["body"])["inputText"]
            return titan_response(unit_vector(int(text.split()[1])))
        finally:
            with self._lock:
                self._in_flight -= 1
