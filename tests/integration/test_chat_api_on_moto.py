"""The REST handler with the real composition root: DynamoDB from moto, the offline answerer."""

import json

import pytest

from lambdas.handlers.api import handler
from lambdas.settings import Settings
from lambdas.wiring import build_services, use_services
from tests.support.events import FakeLambdaContext, rest_event


@pytest.fixture
def api(aws):
    use_services(build_services(Settings()))
    yield
    use_services(None)


def call(event):
    response = handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def test_two_turns_are_stored_in_dynamodb_and_read_back(api):
    status, first = call(rest_event("POST", "/v1/chat", body={"message": "hello"}))
    assert status == 200
    assert first["model"] == "local-extractive"
    assert "offline" in first["answer"].lower()
    call(
        rest_event("POST", "/v1/chat", body={"message": "again", "conversation_id": first["conversation_id"]})
    )
    status, detail = call(rest_event("GET", f"/v1/conversations/{first['conversation_id']}"))
    assert status == 200
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant", "user", "assistant"]
    assert detail["conversation"]["message_count"] == 4


def test_delete_removes_the_conversation_and_its_messages(api):
    _, first = call(rest_event("POST", "/v1/chat", body={"message": "hello"}))
    assert call(rest_event("DELETE", f"/v1/conversations/{first['conversation_id']}"))[0] == 204
    assert call(rest_event("GET", f"/v1/conversations/{first['conversation_id']}"))[0] == 404
    assert call(rest_event("GET", "/v1/conversations"))[1] == {"conversations": []}
