import json

import boto3
import pytest
from botocore.stub import Stubber

from lambdas.adapters.websocket import ApiGatewayConnectionPublisher, ConnectionGone, LocalConnectionPublisher

CALLBACK_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"


def management_client():
    return boto3.client(
        "apigatewaymanagementapi",
        region_name="us-east-1",
        endpoint_url=CALLBACK_URL,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_api_gateway_publisher_posts_compact_json_to_the_connection():
    client = management_client()
    stubber = Stubber(client)
    expected = json.dumps({"type": "delta", "text": "héllo"}, separators=(",", ":"), ensure_ascii=False)
    stubber.add_response(
        "post_to_connection", {}, {"ConnectionId": "conn-1", "Data": expected.encode("utf-8")}
    )

    with stubber:
        ApiGatewayConnectionPublisher(lambda: client).post("conn-1", {"type": "delta", "text": "héllo"})

    stubber.assert_no_pending_responses()


def test_api_gateway_publisher_reports_a_departed_client_as_gone():
    client = management_client()
    stubber = Stubber(client)
    stubber.add_client_error("post_to_connection", service_error_code="GoneException", http_status_code=410)

    with stubber, pytest.raises(ConnectionGone):
        ApiGatewayConnectionPublisher(lambda: client).post("conn-1", {"type": "delta", "text": "x"})


def test_api_gateway_publisher_builds_its_client_only_when_first_used():
    built = []

    ApiGatewayConnectionPublisher(lambda: built.append("client"))

    assert built == []


def test_api_gateway_publisher_reuses_one_client():
    client = management_client()
    stubber = Stubber(client)
    stubber.add_response("post_to_connection", {})
    stubber.add_response("post_to_connection", {})
    factory_calls = []

    def factory():
        factory_calls.append(1)
        return client

    publisher = ApiGatewayConnectionPublisher(factory)
    with stubber:
        publisher.post("conn-1", {"n": 1})
        publisher.post("conn-1", {"n": 2})

    assert len(factory_calls) == 1


def test_local_publisher_pushes_json_text_into_the_registered_socket():
    publisher = LocalConnectionPublisher()
    received: list[str] = []
    publisher.register("conn-1", received.append)

    publisher.post("conn-1", {"type": "done", "answer": "ok"})

    assert [json.loads(text) for text in received] == [{"type": "done", "answer": "ok"}]


def test_local_publisher_reports_an_unregistered_socket_as_gone():
    publisher = LocalConnectionPublisher()
    publisher.register("conn-1", lambda _: None)
    publisher.unregister("conn-1")

    with pytest.raises(ConnectionGone):
        publisher.post("conn-1", {"type": "delta", "text": "x"})
