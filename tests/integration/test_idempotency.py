"""POST /v1/chat with an Idempotency-Key on moto: one model call and one stored turn per key."""

import json
import subprocess
import sys

import boto3
import pytest
from boto3.dynamodb.conditions import Key

from lambdas.core.errors import ModelUnavailable
from lambdas.handlers.api import handler
from lambdas.settings import Settings
from lambdas.wiring import build_services, get_services, use_services
from tests.support.events import FakeLambdaContext, rest_event
from tests.support.fakes import ScriptedModel


class FailingOnce(ScriptedModel):
    """Fails the first call as a throttled provider would, then answers."""

    def complete(self, request):
        if not self.requests:
            self.requests.append(request)
            raise ModelUnavailable("the model is busy")
        return super().complete(request)


@pytest.fixture
def model():
    return ScriptedModel(answer="Thirty days.")


@pytest.fixture
def api(aws, model):
    use_services(build_services(Settings(), model=model))
    yield aws
    use_services(None)


def post(body, key=None, owner="user-a"):
    event = rest_event("POST", "/v1/chat", body=body, owner=owner)
    if key is not None:
        event["headers"]["Idempotency-Key"] = key
        event["multiValueHeaders"]["Idempotency-Key"] = [key]
    response = handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"])


def stored_turns(owner="user-a"):
    conversations = get_services().conversations
    return [
        message
        for conversation in conversations.list_for(owner)
        for message in conversations.get(owner, conversation.id)[1]
    ]


def test_a_repeated_key_returns_the_first_answer_without_asking_the_model_again(api, model):
    first_status, first = post({"message": "What is the refund period?"}, key="k-1")

    status, again = post({"message": "What is the refund period?"}, key="k-1")

    assert (first_status, status) == (200, 200)
    assert again == first
    assert len(model.requests) == 1


def test_a_repeated_key_stores_the_turn_once(api):
    post({"message": "What is the refund period?"}, key="k-1")
    post({"message": "What is the refund period?"}, key="k-1")

    assert len(stored_turns()) == 2  # one question and its answer


def test_the_same_key_with_another_body_is_refused_with_a_clear_error(api, model):
    post({"message": "What is the refund period?"}, key="k-1")

    status, body = post({"message": "And the shipping cost?"}, key="k-1")

    assert status == 422
    assert body["error"]["code"] == "invalid_request"
    assert body["error"]["field"] == "Idempotency-Key"
    assert "different request" in body["error"]["message"]
    assert len(model.requests) == 1


def test_requests_without_a_key_are_answered_each_time(api, model):
    post({"message": "What is the refund period?"})
    post({"message": "What is the refund period?"})

    assert len(model.requests) == 2


def test_two_users_with_the_same_key_each_get_their_own_answer(api, model):
    _, mine = post({"message": "What is the refund period?"}, key="k-1", owner="user-a")
    status, theirs = post({"message": "What is the refund period?"}, key="k-1", owner="user-b")

    assert status == 200
    assert theirs["conversation_id"] != mine["conversation_id"]
    assert len(model.requests) == 2


def test_a_failed_call_is_not_remembered_so_the_retry_runs(aws):
    model = FailingOnce(answer="Thirty days.")
    use_services(build_services(Settings(), model=model))
    try:
        failed_status, _ = post({"message": "What is the refund period?"}, key="k-1")
        status, body = post({"message": "What is the refund period?"}, key="k-1")
    finally:
        use_services(None)

    assert (failed_status, status) == (503, 200)
    assert body["answer"] == "Thirty days."


def test_the_record_lives_in_the_owners_partition_and_expires(api):
    post({"message": "What is the refund period?"}, key="k-1")

    table = boto3.resource("dynamodb", region_name="us-east-1").Table(api.usage_table)
    items = table.query(
        KeyConditionExpression=Key("pk").eq("USER#user-a") & Key("sk").begins_with("IDEMPOTENCY#")
    )["Items"]

    [record] = items
    assert record["sk"].startswith("IDEMPOTENCY#CHAT#")
    assert record["status"] == "COMPLETED"
    assert record["expires_at"] > 0


def test_an_empty_key_is_refused(api, model):
    status, body = post({"message": "What is the refund period?"}, key="")

    assert status == 422
    assert body["error"]["field"].lower().endswith("idempotency-key")
    assert model.requests == []


def test_the_api_handler_loads_without_the_idempotency_utility():
    # Cold starts are measured on the handler import; requests without a key never need it.
    probe = "import sys, lambdas.handlers.api; print(any('idempotency' in name for name in sys.modules))"

    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert loaded.stdout.strip() == "False"
