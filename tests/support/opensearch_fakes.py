"""A scripted OpenSearch endpoint: records each request and answers with the next response.

Response bodies follow what OpenSearch Serverless returns (search hits, bulk items, index
errors), so the adapters parse the real shapes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lambdas.adapters.signed_http import HttpResponse


@dataclass(frozen=True, slots=True)
class SentRequest:
    method: str
    path: str
    body: bytes | None
    content_type: str

    def json(self) -> Any:
        assert self.body is not None
        return json.loads(self.body)

    def ndjson(self) -> list[Any]:
        assert self.body is not None
        text = self.body.decode()
        assert text.endswith("\n"), "a bulk body must end with a newline"
        return [json.loads(line) for line in text.splitlines()]


@dataclass
class ScriptedOpenSearch:
    responses: list[HttpResponse] = field(default_factory=list)
    requests: list[SentRequest] = field(default_factory=list)

    def answer(self, status: int, body: Any = None) -> ScriptedOpenSearch:
        payload = b"" if body is None else json.dumps(body).encode()
        self.responses.append(HttpResponse(status=status, body=payload))
        return self

    def request(
        self, method: str, path: str, body: bytes | None = None, *, content_type: str = ""
    ) -> HttpResponse:
        self.requests.append(SentRequest(method, path, body, content_type))
        assert self.responses, f"unexpected request {method} {path}"
        return self.responses.pop(0)


def search_response(hits: list[dict[str, Any]], *, max_score: float | None = None) -> dict[str, Any]:
    return {
        "took": 12,
        "timed_out": False,
        "_shards": {"total": 0, "successful": 0, "skipped": 0, "failed": 0},
        "hits": {
            "total": {"value": len(hits), "relation": "eq"},
            "max_score": max_score if hits else None,
            "hits": hits,
        },
    }


def hit(
    source: dict[str, Any], *, score: float | None = 1.0, doc_id: str = "1%3A0%3AxYz", **extra: Any
) -> dict[str, Any]:
    return {"_index": "chunks", "_id": doc_id, "_score": score, "_source": source, **extra}


def bulk_response(action: str, statuses: list[int], *, errors: bool = False) -> dict[str, Any]:
    items = []
    for number, status in enumerate(statuses):
        outcome: dict[str, Any] = {"_index": "chunks", "_id": f"1%3A0%3Aid{number}", "status": status}
        if status < 300:
            outcome |= {"_version": 1, "result": "created" if action == "index" else "deleted"}
        elif status == 404:
            outcome |= {"result": "not_found"}
        else:
            outcome["error"] = {
                "type": "mapper_parsing_exception",
                "reason": "failed to parse field [embedding] of type [knn_vector]",
            }
        items.append({action: outcome})
    return {"took": 30, "errors": errors, "items": items}


def error_response(error_type: str, reason: str, status: int) -> dict[str, Any]:
    return {
        "error": {
            "root_cause": [{"type": error_type, "reason": reason}],
            "type": error_type,
            "reason": reason,
        },
        "status": status,
    }
