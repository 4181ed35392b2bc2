"""API Gateway REST proxy events as the Cognito-authorized API delivers them."""

from __future__ import annotations

import json
from typing import Any


def rest_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    owner: str = "user-a",
    content_type: str | None = "application/json",
) -> dict[str, Any]:
    headers = {"content-type": content_type} if content_type else {}
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "req-1",
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"claims": {"sub": owner, "email": f"{owner}@example.com"}},
        },
        "body": raw_body,
        "isBase64Encoded": False,
    }


class FakeLambdaContext:
    function_name = "api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:api"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


MCP_PROTOCOL_VERSION = "2025-11-25"


def mcp_event(
    method: str,
    path: str,
    *,
    domain: str,
    body: Any = None,
    token: str | None = None,
    stage: str | None = None,
) -> dict[str, Any]:
    """A REST proxy event for the MCP function's resources as API Gateway sends it: no
    authorizer claims, the bearer token (if any) in a header."""
    event = rest_event(method, path, body=body)
    del event["requestContext"]["authorizer"]
    headers = {
        "Host": domain,
        "X-Forwarded-Proto": "https",
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MCP_PROTOCOL_VERSION,
    }
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    event.update(
        resource=path,
        headers=headers,
        multiValueHeaders={name: [value] for name, value in headers.items()},
        pathParameters=None,
    )
    event["requestContext"].update(resourcePath=path, domainName=domain, apiId=domain.partition(".")[0])
    if stage is not None:
        event["requestContext"].update(path=f"/{stage}{path}", stage=stage)
    return event
