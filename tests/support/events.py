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
