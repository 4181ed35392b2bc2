"""The MCP endpoint of the local server, driven by the MCP SDK's own Streamable HTTP client.

The local server's app (`local.server.build_app`, the same routes `python -m local` serves)
runs on a loopback port over moto. The local user owns one ingested document; every tool is
called over HTTP as that user, and as another user who must see none of it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
import pytest
import uvicorn
from mcp import ClientSession, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult
from moto import mock_aws

from lambdas.adapters.websocket import LOCAL_CONNECTIONS
from lambdas.handlers import api as api_handler
from lambdas.handlers import stream
from lambdas.settings import Settings
from lambdas.wiring import build_services, get_services, use_services
from local.aws import REGION, create_resources
from local.events import DEV_USER_SUB, LOCAL_USER_HEADER
from local.ingestion import run_workflow
from local.lambda_bridge import Bridge
from local.origins import LocalOrigins
from local.server import build_app
from tests.integration.test_documents_api import GUIDE, upload
from tests.support.local_aws import use_local_resources
from tests.support.local_server import free_port

pytestmark = pytest.mark.network

TOOLS = {"search_documents", "ask", "list_documents", "get_document_status"}
QUESTION = "How long should the espresso shot be pulled?"
OTHER_USER = "someone-else"


@dataclass(frozen=True)
class Server:
    base_url: str
    document_id: str
    """The local user's READY document."""

    def request(self, method: str, path: str) -> tuple[int, Any]:
        response = httpx2.request(method, self.base_url + path, timeout=30)
        return response.status_code, response.json()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One server, moto and document for the module: each test only reads or adds its own turns."""
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        create_resources(use_local_resources(monkeypatch), REGION)
        use_services(build_services(Settings()))
        try:
            yield from _serve_local_app()
        finally:
            use_services(None)


def _serve_local_app() -> Iterator[Server]:
    ticket = upload("espresso.md", GUIDE, "text/markdown", owner=DEV_USER_SUB)
    run_workflow(get_services().settings.documents_bucket, ticket["upload"]["fields"]["key"])
    document = get_services().rag.documents.get(DEV_USER_SUB, ticket["document"]["id"])
    assert document.status == "READY"
    bridge = Bridge(
        rest_handler=api_handler.handler,
        stream_handler=stream.handler,
        connections=LOCAL_CONNECTIONS,
        after_change=lambda: None,
    )
    port = free_port()
    app = build_app(bridge, LocalOrigins.serving("127.0.0.1", port))
    http = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=http.run, daemon=True)
    thread.start()
    while not http.started:
        time.sleep(0.02)
    yield Server(f"http://127.0.0.1:{port}", document.id)
    http.should_exit = True
    thread.join(timeout=10)


@asynccontextmanager
async def session(server: Server, user: str | None = None) -> AsyncIterator[ClientSession]:
    headers = {LOCAL_USER_HEADER: user} if user else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(f"{server.base_url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as client,
    ):
        await client.initialize()
        yield client


def call(server: Server, tool: str, arguments: dict[str, Any], user: str | None = None) -> CallToolResult:
    async def run() -> CallToolResult:
        async with session(server, user) as client:
            return await client.call_tool(tool, arguments)

    return anyio.run(run)


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def error_text(result: CallToolResult) -> str:
    assert result.is_error
    return " ".join(getattr(block, "text", "") for block in result.content)


def test_initialize_and_list_tools_show_the_four_tools_with_documented_schemas(server: Server) -> None:
    async def run() -> tuple[Any, Any, Any]:
        async with (
            httpx2.AsyncClient() as http,
            streamable_http_client(f"{server.base_url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as client,
        ):
            initialized = await client.initialize()
            return initialized, await client.list_tools(), await client.list_resource_templates()

    initialized, listed, templates = anyio.run(run)

    assert initialized.server_info.name == "serverless-genai-chat"
    assert initialized.instructions
    tools = {tool.name: tool for tool in listed.tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description, tool.name
        assert tool.output_schema is not None, tool.name
        for name, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), f"{tool.name}.{name}"
    assert tools["search_documents"].input_schema["properties"]["top_k"]["maximum"] == 20
    assert tools["search_documents"].input_schema["required"] == ["query"]
    assert [t.uri_template for t in templates.resource_templates] == ["document://{document_id}"]


def test_list_documents_and_status_show_the_local_users_document(server: Server) -> None:
    listed = structured(call(server, "list_documents", {}))["documents"]
    status = structured(call(server, "get_document_status", {"id": server.document_id}))

    assert [d["id"] for d in listed] == [server.document_id]
    assert status["filename"] == "espresso.md"
    assert status["status"] == "READY"
    assert status["chunk_count"] > 0


def test_search_returns_passages_of_the_callers_document_with_heading_and_score(server: Server) -> None:
    passages = structured(call(server, "search_documents", {"query": QUESTION, "top_k": 2}))["passages"]

    assert 1 <= len(passages) <= 2
    assert {p["document_id"] for p in passages} == {server.document_id}
    assert "twenty-eight seconds" in passages[0]["snippet"]
    assert passages[0]["heading"]
    assert [p["score"] for p in passages] == sorted((p["score"] for p in passages), reverse=True)


def test_ask_answers_with_citations_usage_and_cost_and_keeps_the_turn(server: Server) -> None:
    answer = structured(call(server, "ask", {"question": QUESTION}))
    follow_up = structured(
        call(server, "ask", {"question": "And the grind?", "conversation_id": answer["conversation_id"]})
    )

    assert "twenty-eight seconds" in answer["answer"]
    assert [c["document_id"] for c in answer["citations"]][:1] == [server.document_id]
    assert answer["usage"]["input_tokens"] > 0
    assert answer["cost_usd"] >= 0
    assert follow_up["conversation_id"] == answer["conversation_id"]
    status, detail = server.request("GET", f"/v1/conversations/{answer['conversation_id']}")
    assert status == 200
    assert [m["content"] for m in detail["messages"] if m["role"] == "user"] == [QUESTION, "And the grind?"]


def test_another_user_never_sees_the_local_users_document(server: Server) -> None:
    document_id = server.document_id

    listed = structured(call(server, "list_documents", {}, user=OTHER_USER))
    found = structured(call(server, "search_documents", {"query": QUESTION, "top_k": 20}, user=OTHER_USER))
    status = call(server, "get_document_status", {"id": document_id}, user=OTHER_USER)
    answer = structured(call(server, "ask", {"question": QUESTION}, user=OTHER_USER))

    assert listed == {"documents": []}
    assert found == {"passages": []}
    assert error_text(status).endswith(f"document {document_id} not found")
    assert answer["citations"] == []
    assert "twenty-eight" not in answer["answer"]


def test_the_document_resource_reads_only_the_callers_own_document(server: Server) -> None:
    uri = f"document://{server.document_id}"

    async def read(user: str | None) -> Any:
        async with session(server, user) as client:
            try:
                return await client.read_resource(uri)
            except MCPError as error:
                return error

    own = anyio.run(read, None)
    refused = anyio.run(read, OTHER_USER)

    assert json.loads(own.contents[0].text)["status"] == "READY"
    assert isinstance(refused, MCPError)
    assert f"document {server.document_id} not found" in str(refused)


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("search_documents", {"query": ""}, "query"),
        ("search_documents", {"query": "   "}, "query must not be blank"),
        ("search_documents", {"query": "espresso", "top_k": 0}, "top_k"),
        ("search_documents", {"query": "espresso", "top_k": 21}, "top_k"),
        ("search_documents", {"top_k": 3}, "query"),
        ("ask", {"question": "hello", "conversation_id": "../other"}, "conversation_id"),
        ("ask", {"question": "hello", "conversation_id": "no-such-conversation"}, "not found"),
        ("get_document_status", {"id": 42}, "id"),
        ("get_document_status", {}, "id"),
        ("no_such_tool", {}, "no_such_tool"),
    ],
)
def test_bad_arguments_get_a_tool_error_naming_the_problem(
    server: Server, tool: str, arguments: dict[str, Any], message: str
) -> None:
    assert message in error_text(call(server, tool, arguments))
