"""The local server as a user starts it (`python -m local`): the Foundation acceptance, end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.support.local_server import LocalServer

pytestmark = pytest.mark.network

CHAT_FIELDS = {
    "conversation_id",
    "message_id",
    "answer",
    "citations",
    "model",
    "usage",
    "cost_usd",
    "latency_ms",
}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    local = LocalServer()
    yield local
    local.stop()


def test_chat_answers_hello_with_every_field(server: LocalServer) -> None:
    status, body = server.request("POST", "/v1/chat", {"message": "hello"})

    assert status == 200
    assert set(body) >= CHAT_FIELDS
    assert set(body["usage"]) >= {"input_tokens", "output_tokens"}


def test_second_turn_with_the_returned_id_shows_both_turns(server: LocalServer) -> None:
    _, first = server.request("POST", "/v1/chat", {"message": "hello"})
    server.request("POST", "/v1/chat", {"message": "and again", "conversation_id": first["conversation_id"]})

    status, detail = server.request("GET", f"/v1/conversations/{first['conversation_id']}")

    assert status == 200
    assert [m["content"] for m in detail["messages"] if m["role"] == "user"] == ["hello", "and again"]
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant", "user", "assistant"]


def test_web_chat_page_is_served_at_the_root(server: LocalServer) -> None:
    status, page = server.request("GET", "/")

    assert status == 200
    assert "<html" in page.lower()


def test_runtime_config_points_the_page_at_the_local_api_and_websocket(server: LocalServer) -> None:
    status, config = server.request("GET", "/config.json")

    assert status == 200
    assert config["apiUrl"] == f"http://127.0.0.1:{server.port}/v1"
    assert config["webSocketUrl"] == f"ws://127.0.0.1:{server.port}/ws"


def test_runtime_config_has_the_deployed_keys_and_names_the_local_user(server: LocalServer) -> None:
    _, config = server.request("GET", "/config.json")

    assert {"apiUrl", "webSocketUrl", "region", "userPoolId", "userPoolClientId"} <= config.keys()
    assert config["mode"] == "local"
    assert config["localUser"] == "local-dev-user"


def test_another_local_user_does_not_see_the_dev_users_conversation(server: LocalServer) -> None:
    _, answer = server.request("POST", "/v1/chat", {"message": "mine"})

    status, _ = server.request(
        "GET", f"/v1/conversations/{answer['conversation_id']}", headers={"X-Local-User": "someone-else"}
    )

    assert status == 404


def test_websocket_streams_deltas_then_the_stored_answer(server: LocalServer) -> None:
    with connect(f"ws://127.0.0.1:{server.port}/ws", open_timeout=10) as websocket:
        websocket.send(json.dumps({"action": "chat", "request_id": "r1", "message": "hello"}))
        frames = []
        while not frames or frames[-1]["type"] == "delta":
            frames.append(json.loads(websocket.recv(timeout=30)))

    deltas, done = frames[:-1], frames[-1]
    assert done["type"] == "done"
    assert deltas
    assert all(frame["request_id"] == "r1" for frame in frames)
    assert "".join(frame["text"] for frame in deltas) == done["answer"]


def test_persisted_conversation_survives_a_restart(tmp_path: Path) -> None:
    state = {"LOCAL_STATE_DIR": str(tmp_path)}
    first_run = LocalServer(extra_args=("--persist",), env=state)
    try:
        _, answer = first_run.request("POST", "/v1/chat", {"message": "remember me"})
    finally:
        first_run.stop()

    second_run = LocalServer(extra_args=("--persist",), env=state)
    try:
        status, detail = second_run.request("GET", f"/v1/conversations/{answer['conversation_id']}")
    finally:
        second_run.stop()

    assert status == 200
    assert detail["messages"][0]["content"] == "remember me"


def test_without_persistence_a_restart_starts_fresh(tmp_path: Path) -> None:
    first_run = LocalServer(env={"LOCAL_STATE_DIR": str(tmp_path)})
    try:
        _, answer = first_run.request("POST", "/v1/chat", {"message": "forget me"})
    finally:
        first_run.stop()

    second_run = LocalServer(env={"LOCAL_STATE_DIR": str(tmp_path)})
    try:
        status, _ = second_run.request("GET", f"/v1/conversations/{answer['conversation_id']}")
    finally:
        second_run.stop()

    assert status == 404


def test_server_announces_the_web_chat_url_and_stops_cleanly_on_ctrl_c() -> None:
    local = LocalServer()

    output = local.stop()

    assert f"Web chat: http://127.0.0.1:{local.port}/" in output
    assert local.process.returncode == 0
