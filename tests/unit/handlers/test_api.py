import base64
import json
from collections.abc import Iterator

import pytest

from lambdas.adapters.memory import InMemoryConversationStore
from lambdas.handlers.api import handler
from lambdas.settings import Settings
from lambdas.wiring import build_services, use_services
from tests.support.events import FakeLambdaContext, rest_event
from tests.support.fakes import ScriptedModel


@pytest.fixture
def store() -> Iterator[InMemoryConversationStore]:
    store = InMemoryConversationStore()
    use_services(build_services(Settings(), store=store, model=ScriptedModel(answer="Hello!")))
    yield store
    use_services(None)


def call(event: dict) -> tuple[int, dict]:
    response = handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"]) if response["body"] else {}


def chat(message: str = "hello", **fields) -> tuple[int, dict]:
    return call(rest_event("POST", "/v1/chat", body={"message": message, **fields}))


def snapshot(store: InMemoryConversationStore, owner: str = "user-a") -> list:
    return [(c, store.list_messages(owner, c.id)) for c in store.list_conversations(owner)]


def test_chat_returns_every_documented_field(store):
    status, body = chat()
    assert status == 200
    assert set(body) == {
        "conversation_id",
        "message_id",
        "answer",
        "citations",
        "model",
        "usage",
        "cost_usd",
        "latency_ms",
        "blocked",
        "reason",
    }
    assert body["answer"] == "Hello!"
    assert (body["blocked"], body["reason"]) == (False, None)
    assert set(body["usage"]) >= {"input_tokens", "output_tokens"}


def test_second_turn_shows_both_turns_in_the_conversation(store):
    _, first = chat("first question")
    chat("second question", conversation_id=first["conversation_id"])
    status, body = call(rest_event("GET", f"/v1/conversations/{first['conversation_id']}"))
    assert status == 200
    assert [m["content"] for m in body["messages"]] == [
        "first question",
        "Hello!",
        "second question",
        "Hello!",
    ]
    assert body["messages"][1]["usage"]["output_tokens"] == 7
    assert "cost_usd" in body["messages"][1]


BAD_INPUTS = [
    pytest.param(rest_event("POST", "/v1/chat", body={"message": ""}), 422, "message", id="empty message"),
    pytest.param(rest_event("POST", "/v1/chat", body={"message": "   "}), 422, "message", id="blank message"),
    pytest.param(
        rest_event("POST", "/v1/chat", body={"message": "x" * 8001}), 422, "message", id="oversized"
    ),
    pytest.param(
        rest_event("POST", "/v1/chat", body={"message": "hi", "model": "nope"}), 422, "model", id="model"
    ),
    pytest.param(
        rest_event("POST", "/v1/chat", body={"message": "hi", "temperature": 1.5}),
        422,
        "temperature",
        id="temp",
    ),
    pytest.param(
        rest_event("POST", "/v1/chat", body={"message": "hi", "temperature": -1}),
        422,
        "temperature",
        id="temp<0",
    ),
    pytest.param(
        rest_event("POST", "/v1/chat", body={"message": "hi", "max_tokens": 0}),
        422,
        "max_tokens",
        id="max_tokens",
    ),
    pytest.param(rest_event("POST", "/v1/chat", raw_body='{"message": '), 400, "body", id="malformed json"),
    pytest.param(rest_event("POST", "/v1/chat", body=["message"]), 422, "body", id="not an object"),
    pytest.param(rest_event("POST", "/v1/chat", raw_body=None), 422, "body", id="no body"),
    pytest.param(
        rest_event(
            "POST", "/v1/chat", raw_body="message=hi", content_type="application/x-www-form-urlencoded"
        ),
        415,
        "content-type",
        id="form content type",
    ),
    pytest.param(
        rest_event("POST", "/v1/chat", body={"message": "hi"}, content_type=None),
        415,
        "content-type",
        id="no type",
    ),
    pytest.param(
        rest_event("POST", "/v1/chat", body={"message": "hi", "role": "system"}), 422, "role", id="extra"
    ),
    pytest.param(
        rest_event("POST", "/v1/chat", body={"message": "hi", "conversation_id": "../../etc"}),
        422,
        "conversation_id",
        id="bad id",
    ),
]


@pytest.mark.parametrize(("event", "status", "field"), BAD_INPUTS)
def test_bad_input_gets_a_4xx_naming_the_field_and_changes_nothing(store, event, status, field):
    chat("an existing conversation")
    before = snapshot(store)
    got_status, body = call(event)
    assert got_status == status
    assert body["error"]["field"] == field
    assert body["error"]["message"]
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/conversations/does-not-exist"),
        ("DELETE", "/v1/conversations/does-not-exist"),
    ],
)
def test_unknown_conversation_is_404(store, method, path):
    status, body = call(rest_event(method, path))
    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_chat_into_unknown_conversation_is_404_and_stores_nothing(store):
    status, _ = chat(conversation_id="does-not-exist")
    assert status == 404
    assert snapshot(store) == []


def test_other_users_conversation_is_404_on_every_route(store):
    _, mine = chat("private")
    conversation_id = mine["conversation_id"]
    for method, path, body in [
        ("GET", f"/v1/conversations/{conversation_id}", None),
        ("DELETE", f"/v1/conversations/{conversation_id}", None),
        ("PATCH", f"/v1/conversations/{conversation_id}", {"title": "stolen"}),
        ("POST", "/v1/chat", {"message": "hi", "conversation_id": conversation_id}),
    ]:
        status, _ = call(rest_event(method, path, body=body, owner="user-b"))
        assert status == 404, (method, path)
    status, listing = call(rest_event("GET", "/v1/conversations", owner="user-b"))
    assert listing == {"conversations": []}
    assert store.get_conversation("user-a", conversation_id).title == "private"


def test_a_request_without_verified_identity_is_401(store):
    event = rest_event("GET", "/v1/conversations")
    event["requestContext"]["authorizer"] = None
    status, body = call(event)
    assert (status, body["error"]["code"]) == (401, "unauthenticated")


def test_list_rename_and_delete_a_conversation(store):
    _, first = chat("first")
    conversation_id = first["conversation_id"]
    status, renamed = call(
        rest_event("PATCH", f"/v1/conversations/{conversation_id}", body={"title": "Renamed"})
    )
    assert (status, renamed["title"]) == (200, "Renamed")
    _, listing = call(rest_event("GET", "/v1/conversations"))
    assert [c["title"] for c in listing["conversations"]] == ["Renamed"]
    status, _ = call(rest_event("DELETE", f"/v1/conversations/{conversation_id}"))
    assert status == 204
    assert call(rest_event("GET", f"/v1/conversations/{conversation_id}"))[0] == 404


def test_models_lists_id_provider_window_and_prices(store):
    status, body = call(rest_event("GET", "/v1/models"))
    assert status == 200
    (model,) = body["models"]
    assert model["id"] == body["default_model"] == "local-extractive"
    assert {"provider", "context_window", "input_per_1k_usd", "output_per_1k_usd"} <= set(model)


def test_health(store):
    assert call(rest_event("GET", "/v1/health")) == (
        200,
        {"status": "ok", "provider": "extractive", "version": "1.0.0"},
    )


def test_openapi_document_describes_the_chat_models(store):
    status, document = call(rest_event("GET", "/v1/openapi.json"))
    assert status == 200
    assert "/v1/chat" in document["paths"]
    schemas = document["components"]["schemas"]
    assert {"ChatRequest", "ChatResponse", "ConversationDetail", "ModelList"} <= set(schemas)
    assert schemas["ChatRequest"]["properties"]["temperature"]["maximum"] == 1.0


def test_unknown_route_is_404_json(store):
    status, body = call(rest_event("GET", "/v1/nothing-here"))
    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_each_turn_emits_token_cost_and_latency_metrics_by_model(store, capsys):
    chat()
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (record,) = emf
    names = {m["Name"] for m in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"InputTokens", "OutputTokens", "CostUSD", "ModelLatency"} <= names
    assert record["model"] == "local-extractive"
    assert record["InputTokens"] == [11.0]


def test_a_body_that_is_not_utf8_is_a_400_not_a_server_error(store):
    event = rest_event("POST", "/v1/chat", raw_body=base64.b64encode(b'{"message":"\xff"}').decode())
    event["isBase64Encoded"] = True

    status, body = call(event)

    assert status == 400
    assert body["error"] == {
        "code": "invalid_encoding",
        "message": "the request body is not valid UTF-8 (byte 12)",
        "field": "body",
    }


def test_an_undeclared_method_is_a_405_naming_the_allowed_ones(store):
    response = handler(
        rest_event("PUT", "/v1/health", raw_body="{}", content_type="text/plain"), FakeLambdaContext()
    )

    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "GET"


def test_every_operation_declares_its_refusals_with_the_error_body(store):
    _, document = call(rest_event("GET", "/v1/openapi.json"))

    for path, item in document["paths"].items():
        for method, operation in item.items():
            errors = {code: r for code, r in operation["responses"].items() if code.startswith(("4", "5"))}
            assert {"400", "401", "422"} <= set(errors), (method, path)
            for response in errors.values():
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorBody"
                }
