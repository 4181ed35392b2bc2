import base64
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from lambdas.adapters.memory import InMemoryConversationStore
from lambdas.adapters.websocket import ConnectionGone
from lambdas.handlers.stream import handler, use_publisher
from lambdas.settings import Settings
from lambdas.wiring import build_services, use_services
from tests.support.events import FakeLambdaContext
from tests.support.fakes import ScriptedModel, StaticRetriever

OWNER = "user-a"
CONNECTION = "conn-1"


@dataclass
class RecordingPublisher:
    """Collects what the handler posts; `gone_after` simulates a client that leaves."""

    gone_after: int | None = None
    posted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def post(self, connection_id: str, message: Mapping[str, Any]) -> None:
        if self.gone_after is not None and len(self.posted) >= self.gone_after:
            raise ConnectionGone(connection_id)
        self.posted.append((connection_id, dict(message)))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [message for _, message in self.posted]


@pytest.fixture
def store() -> InMemoryConversationStore:
    return InMemoryConversationStore()


@pytest.fixture
def publisher() -> Iterator[RecordingPublisher]:
    recording = RecordingPublisher()
    use_publisher(recording)
    yield recording
    use_publisher(None)


def serve(store: InMemoryConversationStore, model: ScriptedModel) -> None:
    use_services(build_services(Settings(), store=store, model=model, retriever=StaticRetriever()))


@pytest.fixture(autouse=True)
def _restore_services(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Adapters these tests do not replace are still constructed (never called): dummy
    # credentials keep botocore from probing the instance metadata service for real ones.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    yield
    use_services(None)


def ws_event(route: str, body: Any = None, owner: str | None = OWNER) -> dict[str, Any]:
    authorizer = {"sub": owner, "principalId": owner} if owner else {}
    return {
        "requestContext": {
            "routeKey": route,
            "eventType": {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE"),
            "connectionId": CONNECTION,
            "requestId": "req-1",
            "stage": "prod",
            "authorizer": authorizer,
        },
        "body": body if isinstance(body, str) or body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def send(body: Any) -> dict[str, Any]:
    return handler(ws_event("$default", body), FakeLambdaContext())


def chat_frame(message: str = "hello there friend", **fields: Any) -> dict[str, Any]:
    return {"action": "chat", "request_id": "r1", "message": message, **fields}


def test_connect_of_an_authorized_caller_is_accepted(store, publisher):
    serve(store, ScriptedModel())

    assert handler(ws_event("$connect"), FakeLambdaContext())["statusCode"] == 200


def test_message_without_verified_identity_posts_nothing(store, publisher):
    serve(store, ScriptedModel())

    response = handler(ws_event("$default", chat_frame(), owner=None), FakeLambdaContext())

    assert response["statusCode"] == 401
    assert publisher.posted == []


def test_deltas_arrive_in_order_before_the_final_message(store, publisher):
    serve(store, ScriptedModel(answer="one two three"))

    send(chat_frame())

    kinds = [m["type"] for m in publisher.messages]
    assert kinds == ["delta", "delta", "delta", "done"]
    assert [m["text"] for m in publisher.messages[:3]] == ["one", " two", " three"]
    assert all(connection == CONNECTION for connection, _ in publisher.posted)
    assert all(m["request_id"] == "r1" for m in publisher.messages)


def test_final_message_carries_the_chat_response_with_usage_and_cost(store, publisher):
    serve(store, ScriptedModel(answer="one two three"))

    send(chat_frame())

    done = publisher.messages[-1]
    assert done["answer"] == "one two three"
    assert done["usage"]["input_tokens"] == 11
    assert done["usage"]["output_tokens"] == 7
    assert done["cost_usd"] >= 0
    assert {"conversation_id", "message_id", "citations", "model", "latency_ms"} <= set(done)


def test_streamed_answer_is_stored_complete(store, publisher):
    serve(store, ScriptedModel(answer="one two three"))

    send(chat_frame())

    done = publisher.messages[-1]
    stored = store.list_messages(OWNER, done["conversation_id"])
    assert [(m.role, m.content, m.complete) for m in stored] == [
        ("user", "hello there friend", True),
        ("assistant", "one two three", True),
    ]


def test_model_error_mid_stream_sends_an_error_event(store, publisher):
    serve(store, ScriptedModel(answer="one two three", fail_after_deltas=2))

    send(chat_frame())

    assert [m["type"] for m in publisher.messages] == ["delta", "delta", "error"]
    assert publisher.messages[-1]["error"]["code"] == "model_unavailable"
    assert publisher.messages[-1]["request_id"] == "r1"


def test_model_error_mid_stream_stores_the_partial_answer_as_incomplete(store, publisher):
    serve(store, ScriptedModel(answer="one two three", fail_after_deltas=2))

    send(chat_frame())

    (conversation,) = store.list_conversations(OWNER)
    answer = store.list_messages(OWNER, conversation.id)[-1]
    assert (answer.content, answer.complete) == ("one two", False)


def test_client_leaving_mid_stream_stores_the_partial_answer_as_incomplete(store, publisher):
    serve(store, ScriptedModel(answer="one two three four"))
    publisher.gone_after = 2

    send(chat_frame())

    (conversation,) = store.list_conversations(OWNER)
    answer = store.list_messages(OWNER, conversation.id)[-1]
    assert answer.complete is False
    assert answer.content.startswith("one two")


def test_blank_message_is_refused_with_an_error_naming_the_field(store, publisher):
    model = ScriptedModel()
    serve(store, model)

    send(chat_frame(message="   "))

    (error,) = publisher.messages
    assert error["type"] == "error"
    assert error["error"]["code"] == "validation_error"
    assert error["error"]["field"] == "message"
    assert model.requests == []


def test_unknown_field_is_refused_like_the_rest_api_does(store, publisher):
    serve(store, ScriptedModel())

    send(chat_frame(colour="blue"))

    assert publisher.messages[0]["error"]["field"] == "colour"


def test_missing_request_id_is_refused(store, publisher):
    serve(store, ScriptedModel())

    send({"action": "chat", "message": "hi"})

    (error,) = publisher.messages
    assert error["error"]["field"] == "request_id"
    assert error["request_id"] is None


def test_malformed_json_is_refused(store, publisher):
    serve(store, ScriptedModel())

    send("{not json")

    assert publisher.messages[0]["error"]["code"] == "malformed_json"


def test_unknown_conversation_is_reported_as_not_found(store, publisher):
    serve(store, ScriptedModel())

    send(chat_frame(conversation_id="missing"))

    error = publisher.messages[0]["error"]
    assert (error["code"], error["field"]) == ("not_found", "conversation_id")


def test_conversation_of_another_user_is_not_found(store, publisher):
    serve(store, ScriptedModel())
    handler(ws_event("$default", chat_frame(), owner="user-b"), FakeLambdaContext())
    other_conversation = publisher.messages[-1]["conversation_id"]

    send(chat_frame(conversation_id=other_conversation))

    assert publisher.messages[-1]["error"]["code"] == "not_found"


def test_a_binary_frame_gets_an_error_frame_saying_to_send_text(store, publisher):
    serve(store, ScriptedModel())
    event = ws_event("$default", base64.b64encode(b"\x00\x01").decode())
    event["isBase64Encoded"] = True

    handler(event, FakeLambdaContext())

    ((_, frame),) = publisher.posted
    assert frame["type"] == "error"
    assert frame["error"]["code"] == "binary_frame"
