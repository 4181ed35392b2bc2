"""Schema-driven fuzzing of the REST API: requests generated from `/v1/openapi.json` go through
`lambdas.handlers.api.handler` in-process, with the real composition root on moto; MCP tool
calls generated from the tools' own input schemas go through `lambdas.handlers.mcp.handler`.

Bodies, path, query and header values are drawn from the operation's own schemas, from
near misses (a field dropped, one added, a value swapped for any JSON) and from arbitrary
JSON or text. Every response must be below 500, and a request refused with a 4xx must leave
every table and the documents bucket exactly as they were.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.handlers.api import handler
from lambdas.handlers.mcp import handler as mcp_handler
from lambdas.settings import Settings
from lambdas.wiring import build_services, use_services
from local.aws import LocalResources
from tests.integration.test_documents_api import GUIDE, ingest, upload
from tests.support.events import FakeLambdaContext, rest_event

MAX_TEXT = 40
"""Generated strings stay short; each schema's length limits are tried exactly at and past them."""
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=MAX_TEXT),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)

FUZZING = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
"""Reproducible runs; the examples are slow (each snapshots the tables) and often filtered."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]


@dataclass(frozen=True)
class Fuzzed:
    method: str
    path: str
    owner: str
    query: dict[str, str]
    headers: dict[str, str]
    raw_body: str | None
    content_type: str | None


def call(request: Fuzzed) -> int:
    event = rest_event(
        request.method,
        request.path,
        raw_body=request.raw_body,
        owner=request.owner,
        content_type=request.content_type,
    )
    event["headers"].update(request.headers)
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    event["queryStringParameters"] = request.query or None
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in request.query.items()} or None
    status: int = handler(event, FakeLambdaContext())["statusCode"]
    return status


def openapi_document() -> dict[str, Any]:
    response = handler(rest_event("GET", "/v1/openapi.json"), FakeLambdaContext())
    document: dict[str, Any] = json.loads(response["body"])
    return document


def operations(document: dict[str, Any]) -> list[Operation]:
    return [
        Operation(method.upper(), path, spec)
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
    ]


def from_schema(schema: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid for the subset of JSON Schema Pydantic writes for this API."""
    if "$ref" in schema:
        return from_schema(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if "anyOf" in schema:
        return st.one_of(*(from_schema(option, components) for option in schema["anyOf"]))
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(_bound(schema.get("minimum")), _bound(schema.get("maximum")))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False)
    if kind == "string":
        return _strings(schema)
    if kind == "object":
        properties = {
            name: from_schema(prop, components) for name, prop in schema.get("properties", {}).items()
        }
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {name: value for name, value in properties.items() if name in required},
            optional={name: value for name, value in properties.items() if name not in required},
        )
    return JSON_VALUES


def _bound(value: float | None) -> int | None:
    return None if value is None else int(value)


def _strings(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    shortest, longest = schema.get("minLength", 0), schema.get("maxLength")
    strings = st.text(min_size=shortest, max_size=max(shortest, MAX_TEXT))
    if longest is not None:
        strings = strings.filter(lambda text: len(text) <= longest) | st.sampled_from(
            ["x" * longest, "x" * (longest + 1)]
        )
    return strings


def near_misses(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A valid body with one field dropped, added or replaced by any JSON value."""

    def mutate(body: Any, data: st.DataObject) -> Any:
        if not isinstance(body, dict) or not body:
            return data.draw(JSON_VALUES)
        key = data.draw(st.sampled_from(sorted(body)))
        change = data.draw(st.sampled_from(["drop", "add", "replace"]))
        if change == "drop":
            return {k: v for k, v in body.items() if k != key}
        if change == "add":
            return {**body, data.draw(st.text(min_size=1, max_size=10)): data.draw(JSON_VALUES)}
        return {**body, key: data.draw(JSON_VALUES)}

    return st.tuples(valid, st.data()).map(lambda pair: mutate(*pair))


def requests(document: dict[str, Any], known_ids: list[str]) -> st.SearchStrategy[Fuzzed]:
    components = document["components"]["schemas"]

    def for_operation(operation: Operation) -> st.SearchStrategy[Fuzzed]:
        parameters = operation.spec.get("parameters", [])
        path_values = {
            p["name"]: st.sampled_from(known_ids)
            | from_schema(p["schema"], components)
            | st.text(max_size=MAX_TEXT)
            for p in parameters
            if p["in"] == "path"
        }
        query = st.fixed_dictionaries(
            {},
            optional={
                p["name"]: _text_of(from_schema(p["schema"], components))
                for p in parameters
                if p["in"] == "query"
            },
        )
        headers = st.fixed_dictionaries(
            {},
            optional={
                p["name"]: st.text(min_size=1, max_size=MAX_TEXT) for p in parameters if p["in"] == "header"
            },
        )
        body_schema = (
            operation.spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        )
        bodies: st.SearchStrategy[str | None] = st.none()
        if body_schema is not None:
            valid = from_schema(body_schema, components)
            bodies = st.one_of(valid, near_misses(valid), JSON_VALUES).map(json.dumps) | st.text(
                max_size=MAX_TEXT
            )
        return st.builds(
            Fuzzed,
            method=st.just(operation.method),
            path=st.fixed_dictionaries(path_values).map(lambda values: operation.path.format(**values)),
            owner=st.sampled_from(["user-a", "user-b"]),
            query=query,
            headers=headers,
            raw_body=bodies,
            content_type=st.sampled_from(
                ["application/json", "application/json; charset=utf-8", None, "text/plain"]
            ),
        )

    return st.one_of(*(for_operation(operation) for operation in operations(document)))


def _text_of(values: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """Query strings are text: None becomes an empty value."""
    return values.map(lambda value: "" if value is None else str(value)) | st.text(max_size=MAX_TEXT)


def stored_state(resources: LocalResources) -> Callable[[], dict[str, Any]]:
    dynamodb = boto3.client("dynamodb")
    s3 = boto3.client("s3")

    def snapshot() -> dict[str, Any]:
        tables = {name: _sorted(dynamodb.scan(TableName=name)["Items"]) for name in resources.tables}
        listed = s3.list_objects_v2(Bucket=resources.documents_bucket).get("Contents", [])
        return {"tables": tables, "objects": sorted((o["Key"], o["ETag"]) for o in listed)}

    return snapshot


def _sorted(items: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(item, sort_keys=True) for item in items)


@pytest.fixture
def seeded(aws: LocalResources) -> Any:
    """User A's conversation and ingested document, so some fuzzed ids name real records."""
    # No rate limits: the fuzzer would spend its examples on 429s instead of the routes.
    unlimited = Settings(
        rate_limit_requests_per_minute=0, rate_limit_tokens_per_minute=0, daily_token_budget=0
    )
    use_services(build_services(unlimited))
    document = ingest(upload("espresso.md", GUIDE, "text/markdown"))
    chat = handler(
        rest_event("POST", "/v1/chat", body={"message": "How long is a shot?"}), FakeLambdaContext()
    )
    conversation_id = json.loads(chat["body"])["conversation_id"]
    yield aws, [document["id"], conversation_id]
    use_services(None)


def test_no_generated_request_gets_a_5xx_or_changes_data_when_refused(seeded: Any) -> None:
    resources, known_ids = seeded
    snapshot = stored_state(resources)

    @settings(FUZZING, max_examples=150)
    @given(request=requests(openapi_document(), known_ids))
    def check(request: Fuzzed) -> None:
        before = snapshot()
        status = call(request)
        assert status < 500, request
        if 400 <= status < 500:
            assert snapshot() == before, (status, request)

    check()


def mcp_call(body: str | None, owner: str) -> tuple[int, Any]:
    """POST one JSON-RPC body to the MCP handler as API Gateway would, for `owner`."""
    event = rest_event("POST", "/mcp", raw_body=body, owner=owner)
    event["headers"].update(
        {
            "accept": "application/json, text/event-stream",
            "host": "127.0.0.1:8000",
            "mcp-protocol-version": "2025-11-25",
        }
    )
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    response = mcp_handler(event, FakeLambdaContext())
    text = response["body"] or ""
    return response["statusCode"], json.loads(text) if text.startswith("{") else text


def tool_calls(known_ids: list[str]) -> st.SearchStrategy[str]:
    """`tools/call` bodies whose arguments come from each tool's input schema, near misses of
    them, or any JSON; and JSON-RPC envelopes that are wrong in themselves."""
    _, listed = mcp_call(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}), "user-a")
    calls = []
    for tool in listed["result"]["tools"]:
        valid = from_schema(tool["inputSchema"], {})
        ids = st.fixed_dictionaries({"id": st.sampled_from(known_ids)})
        arguments = st.one_of(valid, near_misses(valid), ids, JSON_VALUES)
        calls.append(
            arguments.map(
                lambda args, name=tool["name"]: {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "tools/call",
                    "params": {"name": name, "arguments": args},
                }
            )
        )
    envelopes = st.fixed_dictionaries(
        {"jsonrpc": st.sampled_from(["2.0", "1.0"]) | JSON_VALUES},
        optional={
            "id": st.integers() | st.text(max_size=5) | JSON_VALUES,
            "method": st.sampled_from(["tools/call", "tools/list", "resources/read", "nope"]) | st.text(),
            "params": JSON_VALUES,
        },
    )
    return st.one_of(*calls, envelopes).map(json.dumps) | st.text(max_size=MAX_TEXT)


def _refused(status: int, reply: Any) -> bool:
    if status >= 400 or not isinstance(reply, dict):
        return True
    return "error" in reply or bool(reply.get("result", {}).get("isError"))


def test_no_generated_mcp_message_gets_a_5xx_or_changes_data_when_refused(seeded: Any) -> None:
    resources, known_ids = seeded
    snapshot = stored_state(resources)

    @settings(FUZZING, max_examples=30)
    @given(body=tool_calls(known_ids), owner=st.sampled_from(["user-a", "user-b"]))
    def check(body: str, owner: str) -> None:
        before = snapshot()
        status, reply = mcp_call(body, owner)
        assert status < 500, body
        if _refused(status, reply):
            assert snapshot() == before, (status, body)

    check()
