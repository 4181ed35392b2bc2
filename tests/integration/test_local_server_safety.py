"""The local server under hostile pages, bad bytes, odd users and many users at once."""

from __future__ import annotations

import base64
import json
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.sync.client import connect

from tests.support.local_server import LocalServer

pytestmark = pytest.mark.network

USERS = 16
TURNS = 6
FOREIGN_ORIGIN = "http://attacker.example"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    local = LocalServer(env={"LOCAL_SAMPLES": "0", "RATE_LIMIT_REQUESTS_PER_MINUTE": "0"})
    yield local
    local.stop()


def send(
    server: LocalServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(server.base_url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


JSON = {"content-type": "application/json"}
MCP = {**JSON, "accept": "application/json, text/event-stream"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/chat"), ("POST", "/v1/documents"), ("PATCH", "/v1/conversations/abc")],
)
def test_a_json_body_that_is_not_utf8_is_a_400_naming_the_body(
    server: LocalServer, method: str, path: str
) -> None:
    status, body = send(server, method, path, b'{"message":"\xff"}', JSON)

    assert status == 400
    assert body["error"]["code"] == "invalid_encoding"
    assert body["error"]["field"] == "body"


def test_every_accepted_turn_of_many_concurrent_users_is_stored_without_a_server_error(
    server: LocalServer,
) -> None:
    def converse(user: str) -> tuple[list[int], int]:
        statuses, conversation_id = [], None
        for turn in range(TURNS):
            body: dict[str, Any] = {"message": f"question {turn} from {user}"}
            if conversation_id:
                body["conversation_id"] = conversation_id
            status, answer = send(
                server, "POST", "/v1/chat", json.dumps(body).encode(), {**JSON, "X-Local-User": user}
            )
            statuses.append(status)
            conversation_id = answer.get("conversation_id", conversation_id)
        _, detail = send(
            server, "GET", f"/v1/conversations/{conversation_id}", headers={"X-Local-User": user}
        )
        stored = sum(message["role"] == "user" for message in detail["messages"])
        return statuses, stored

    with ThreadPoolExecutor(max_workers=USERS) as pool:
        results = list(pool.map(converse, [f"load-user-{n}" for n in range(USERS)]))

    assert [status for statuses, _ in results for status in statuses if status >= 500] == []
    assert [stored for _, stored in results] == [statuses.count(200) for statuses, _ in results]


def test_concurrent_mcp_clients_get_no_server_error_and_every_answered_question_is_stored(
    server: LocalServer,
) -> None:
    def ask(user: str) -> tuple[list[int], int]:
        statuses, conversation_id = [], None
        for turn in range(TURNS):
            arguments: dict[str, Any] = {"question": f"question {turn} from {user}"}
            if conversation_id:
                arguments["conversation_id"] = conversation_id
            call = {"jsonrpc": "2.0", "id": turn, "method": "tools/call"}
            call["params"] = {"name": "ask", "arguments": arguments}
            status, reply = send(
                server, "POST", "/mcp", json.dumps(call).encode(), {**MCP, "X-Local-User": user}
            )
            answered = status == 200 and not reply["result"].get("isError")
            statuses.append(200 if answered else status)
            if answered:
                conversation_id = reply["result"]["structuredContent"]["conversation_id"]
        _, detail = send(
            server, "GET", f"/v1/conversations/{conversation_id}", headers={"X-Local-User": user}
        )
        return statuses, sum(message["role"] == "user" for message in detail["messages"])

    with ThreadPoolExecutor(max_workers=USERS) as pool:
        results = list(pool.map(ask, [f"mcp-user-{n}" for n in range(USERS)]))

    assert [status for statuses, _ in results for status in statuses if status >= 500] == []
    assert [stored for _, stored in results] == [statuses.count(200) for statuses, _ in results]


def test_a_state_changing_request_from_another_sites_page_is_refused(server: LocalServer) -> None:
    status, body = send(server, "POST", "/v1/chat", b'{"message":"hi"}', {**JSON, "Origin": FOREIGN_ORIGIN})

    assert status == 403
    assert body["error"]["code"] == "forbidden_origin"


def test_the_servers_own_page_may_change_state(server: LocalServer) -> None:
    status, _ = send(server, "POST", "/v1/chat", b'{"message":"hi"}', {**JSON, "Origin": server.base_url})

    assert status == 200


def test_a_request_naming_another_host_is_refused_against_dns_rebinding(server: LocalServer) -> None:
    status, _ = send(server, "GET", "/v1/conversations", headers={"Host": f"rebound.example:{server.port}"})

    assert status == 403


def test_a_websocket_from_another_sites_page_is_refused(server: LocalServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{server.port}/ws", origin=FOREIGN_ORIGIN)  # type: ignore[arg-type]

    assert refused.value.response.status_code == 403


def test_a_binary_websocket_frame_gets_an_error_frame_and_the_socket_stays_open(server: LocalServer) -> None:
    with connect(f"ws://127.0.0.1:{server.port}/ws", origin=server.base_url) as socket_:  # type: ignore[arg-type]
        socket_.send(b'{"action":"chat"}')
        error = json.loads(socket_.recv(timeout=10))
        socket_.send(json.dumps({"action": "chat", "request_id": "r1", "message": "hello"}))
        next_frame = json.loads(socket_.recv(timeout=30))

    assert error["type"] == "error"
    assert error["error"]["code"] == "binary_frame"
    assert next_frame["request_id"] == "r1"


def test_a_text_frame_that_is_not_utf8_closes_the_socket_saying_why(server: LocalServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(
            (
                f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        handshake = raw.recv(4096)
        payload, mask = b'{"message":"\xff"}', os.urandom(4)
        raw.sendall(
            bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        )
        close = raw.recv(4096)

    assert handshake.startswith(b"HTTP/1.1 101")
    assert close[0] == 0x88  # a close frame
    assert int.from_bytes(close[2:4], "big") == 1007
    assert b"not valid UTF-8" in close[4:]


@pytest.mark.parametrize("user", ["alice/../bob", "a" * 3000, "tab\there"], ids=["slash", "long", "control"])
def test_an_unusable_local_user_is_a_400_naming_the_header(server: LocalServer, user: str) -> None:
    upload = json.dumps({"filename": "notes.txt", "content_type": "text/plain", "size_bytes": 10}).encode()

    status, body = send(server, "POST", "/v1/documents", upload, {**JSON, "X-Local-User": user})

    assert status == 400
    assert body["error"]["field"] == "X-Local-User"


def test_the_upload_form_accepts_only_the_declared_size(server: LocalServer) -> None:
    upload = json.dumps({"filename": "small.txt", "content_type": "text/plain", "size_bytes": 10}).encode()
    _, created = send(server, "POST", "/v1/documents", upload, {**JSON, "X-Local-User": "uploader"})
    form = created["upload"]

    posted = requests.post(
        form["url"], data=form["fields"], files={"file": ("small.txt", b"x" * 200_000)}, timeout=30
    )

    assert posted.status_code == 400
    assert "EntityTooLarge" in posted.text


def test_a_websocket_with_an_unusable_local_user_is_refused(server: LocalServer) -> None:
    with pytest.raises((InvalidStatus, ConnectionClosedError)):
        connect(f"ws://127.0.0.1:{server.port}/ws", additional_headers={"X-Local-User": "a/b"})
