"""The MCP Lambda handler with the events API Gateway sends to the `/mcp` route.

The route has no API Gateway authorizer: the function is the OAuth protected resource and
verifies Cognito access tokens itself, so the events carry the bearer token in a header.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_socket import disable_socket

from lambdas.adapters.memory import InMemoryConversationStore, InMemoryRateLimiter
from lambdas.core.limits import LimitPolicy
from lambdas.core.models import Document
from lambdas.handlers import mcp
from lambdas.settings import Settings
from lambdas.wiring import RagServices, build_services, use_services
from tests.support.events import FakeLambdaContext, rest_event
from tests.support.events import mcp_event as api_gateway_mcp_event
from tests.support.fakes import ScriptedModel
from tests.support.ingestion_fakes import (
    HashEmbedder,
    InMemoryChunkIndex,
    InMemoryDocumentStore,
    InMemoryObjectStore,
)

REGION = "us-east-1"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_pool"
CLIENT_ID = "app-client-id"
DOMAIN = "abc123.execute-api.us-east-1.amazonaws.com"
POOL_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
METADATA_URL = f"https://{DOMAIN}/prod/.well-known/oauth-protected-resource/mcp"


@pytest.fixture(autouse=True)
def _no_network() -> None:
    """Still no network; the handler's event loop needs its Unix self-pipe."""
    disable_socket(allow_unix_socket=True)


@dataclass(frozen=True)
class _SigningKey:
    key: Any


class PoolKeys:
    """The pool's JWKS, as PyJWKClient serves it: the key a token's `kid` names."""

    def get_signing_key_from_jwt(self, token: str) -> _SigningKey:
        return _SigningKey(POOL_KEY.public_key())


def access_token(key: Any = POOL_KEY, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": "user-a",
        "iss": ISSUER,
        "client_id": CLIENT_ID,
        "token_use": "access",
        "scope": "openid email",
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "key-1"})


def mcp_event(method: str, path: str, *, token: str | None = None, body: Any = None) -> dict[str, Any]:
    return api_gateway_mcp_event(method, path, domain=DOMAIN, token=token, body=body)


def rpc(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}


def invoke(event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    response = mcp.handler(event, FakeLambdaContext())
    headers = {name.lower(): value for name, value in (response.get("headers") or {}).items()}
    body = response["body"]
    return response["statusCode"], headers, json.loads(body) if body else None


def document(owner: str, document_id: str, filename: str) -> Document:
    return Document(
        id=document_id,
        owner=owner,
        filename=filename,
        content_type="text/markdown",
        size_bytes=100,
        status="READY",
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
        chunk_count=1,
    )


@pytest.fixture
def conversations(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemoryConversationStore]:
    verifier = mcp.CognitoAccessTokens(ISSUER, frozenset({CLIENT_ID}), PoolKeys())  # type: ignore[arg-type]
    monkeypatch.setattr(mcp, "_authorization", lambda: mcp.Authorization(ISSUER, verifier))
    settings = Settings()
    documents = InMemoryDocumentStore()
    documents.put(document("user-a", "doc-a", "mine.md"))
    documents.put(document("user-b", "doc-b", "theirs.md"))
    rag = RagServices(
        settings,
        store=documents,
        objects=InMemoryObjectStore(),
        index=InMemoryChunkIndex(),
        embedder=HashEmbedder(),
    )
    store = InMemoryConversationStore()
    use_services(build_services(settings, store=store, model=ScriptedModel(answer="Hello!"), rag=rag))
    yield store
    use_services(None)


def test_a_request_without_a_token_is_told_where_to_find_the_authorization_server(
    conversations: InMemoryConversationStore,
) -> None:
    status, headers, body = invoke(mcp_event("POST", "/mcp", body=rpc("tools/list")))

    assert status == 401
    assert headers["www-authenticate"].startswith("Bearer ")
    assert f'resource_metadata="{METADATA_URL}"' in headers["www-authenticate"]
    assert body["error"] == "invalid_token"


def test_the_protected_resource_metadata_names_the_user_pool_as_authorization_server(
    conversations: InMemoryConversationStore,
) -> None:
    status, _, metadata = invoke(mcp_event("GET", "/.well-known/oauth-protected-resource/mcp"))

    assert status == 200
    assert metadata["resource"] == f"https://{DOMAIN}/prod/mcp"
    assert metadata["authorization_servers"] == [ISSUER]
    assert metadata["bearer_methods_supported"] == ["header"]


def test_a_valid_access_token_lists_the_callers_documents_only(
    conversations: InMemoryConversationStore,
) -> None:
    event = mcp_event(
        "POST", "/mcp", token=access_token(), body=rpc("tools/call", {"name": "list_documents"})
    )

    status, headers, body = invoke(event)

    assert status == 200
    assert headers["content-type"].startswith("application/json")
    documents = body["result"]["structuredContent"]["documents"]
    assert [d["id"] for d in documents] == ["doc-a"]


def test_ask_runs_the_chat_turn_as_the_tokens_subject(conversations: InMemoryConversationStore) -> None:
    call = rpc("tools/call", {"name": "ask", "arguments": {"question": "hi"}})

    status, _, body = invoke(mcp_event("POST", "/mcp", token=access_token(sub="user-b"), body=call))

    assert status == 200
    answer = body["result"]["structuredContent"]
    assert answer["answer"] == "Hello!"
    assert [c.id for c in conversations.list_conversations("user-b")] == [answer["conversation_id"]]
    assert conversations.list_conversations("user-a") == []


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(access_token(token_use="id"), id="an ID token"),
        pytest.param(access_token(client_id="another-client"), id="another app client"),
        pytest.param(access_token(exp=int(time.time()) - 60), id="expired"),
        pytest.param(
            access_token(iss="https://cognito-idp.us-east-1.amazonaws.com/other"), id="another pool"
        ),
        pytest.param(access_token(key=OTHER_KEY), id="signed by another key"),
        pytest.param("not-a-jwt", id="not a JWT"),
    ],
)
def test_tokens_this_application_did_not_issue_are_refused(
    conversations: InMemoryConversationStore, token: str
) -> None:
    status, headers, _ = invoke(mcp_event("POST", "/mcp", token=token, body=rpc("tools/list")))

    assert status == 401
    assert "resource_metadata=" in headers["www-authenticate"]


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_stream_and_session_requests_get_405_since_the_server_keeps_no_sessions(
    conversations: InMemoryConversationStore, method: str
) -> None:
    status, headers, body = invoke(mcp_event(method, "/mcp", token=access_token()))

    assert status == 405
    assert headers["allow"] == "POST"
    assert "POST" in body["error"]["message"]


def test_a_body_that_is_not_json_is_a_client_error(conversations: InMemoryConversationStore) -> None:
    event = mcp_event("POST", "/mcp", token=access_token())
    event["body"] = "{not json"

    status, _, body = invoke(event)

    assert status == 400
    assert body["error"]["code"] == -32700


def test_bad_tool_arguments_are_a_tool_error_naming_the_argument(
    conversations: InMemoryConversationStore,
) -> None:
    call = rpc("tools/call", {"name": "search_documents", "arguments": {"query": "x", "top_k": 500}})

    status, _, body = invoke(mcp_event("POST", "/mcp", token=access_token(), body=call))

    assert status == 200
    assert body["result"]["isError"] is True
    assert "top_k" in body["result"]["content"][0]["text"]


def test_local_mode_serves_the_caller_named_by_the_authorizer_claims(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mcp, "_authorization", lambda: None)
    event = rest_event("POST", "/mcp", body=rpc("tools/list"), owner="user-a")
    event["headers"].update({"accept": "application/json, text/event-stream", "host": "127.0.0.1:8000"})

    status, _, body = invoke(event)

    assert status == 200
    assert {tool["name"] for tool in body["result"]["tools"]} == {
        "search_documents",
        "ask",
        "list_documents",
        "get_document_status",
    }


def test_a_caller_past_the_rate_limit_is_told_how_long_to_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mcp, "_authorization", lambda: None)
    limiter = InMemoryRateLimiter(LimitPolicy(requests_per_minute=1, tokens_per_minute=0, daily_tokens=0))
    settings = Settings()
    rag = RagServices(
        settings,
        store=InMemoryDocumentStore(),
        objects=InMemoryObjectStore(),
        index=InMemoryChunkIndex(),
        embedder=HashEmbedder(),
    )
    store = InMemoryConversationStore()
    use_services(build_services(settings, store=store, model=ScriptedModel(), rag=rag, rate_limiter=limiter))
    call = rpc("tools/call", {"name": "search_documents", "arguments": {"query": "espresso"}})
    event = rest_event("POST", "/mcp", body=call, owner="user-a")
    event["headers"].update({"accept": "application/json, text/event-stream", "host": "127.0.0.1:8000"})
    try:
        first = invoke(event)[2]["result"]
        second = invoke(event)[2]["result"]
    finally:
        use_services(None)

    assert first["isError"] is False
    assert second["isError"] is True
    assert re.search(r"Retry after \d+ seconds\.$", second["content"][0]["text"])
