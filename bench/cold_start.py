"""Cold start: what a new Lambda sandbox pays before answering its first `POST /v1/chat`.

Each probe runs in a fresh interpreter (a new sandbox). The handler probe times importing the
REST handler plus its first chat invocation: settings read, every client created, the calls
made (embed the question, query the vectors, converse, store the turn), against a stub of
the AWS endpoints served from this process so no network time is counted. The baseline probe,
alternated with it in the same run, times `import boto3` plus creating the same clients. The
medians of several runs are compared.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RUNS = 7
EMBEDDING_DIMENSIONS = 1024

_HANDLER_PROBE = """
import time; t = time.perf_counter()
from lambdas.handlers.api import handler
from tests.support.events import FakeLambdaContext, rest_event
response = handler(rest_event("POST", "/v1/chat", body={"message": "What is a cold start?"}), FakeLambdaContext())
elapsed = time.perf_counter() - t
assert response["statusCode"] == 200, response
print(elapsed)
"""
_BASELINE_PROBE = """
import time; t = time.perf_counter()
import boto3
boto3.resource("dynamodb")
boto3.client("bedrock-runtime")
boto3.client("s3vectors")
print(time.perf_counter() - t)
"""


class _StubAws(BaseHTTPRequestHandler):
    """Answers each call of a chat turn with the smallest valid response of its API."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        target = self.headers.get("x-amz-target", "")
        if target.startswith("DynamoDB"):
            body: dict[str, Any] = {"Items": [], "Count": 0} if target.endswith(".Query") else {}
        elif self.path.endswith("/converse"):
            body = {
                "output": {"message": {"role": "assistant", "content": [{"text": "A first answer."}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 40, "outputTokens": 4, "totalTokens": 44},
                "metrics": {"latencyMs": 1},
            }
        elif self.path.endswith("/invoke"):
            body = {"embedding": [0.1] * EMBEDDING_DIMENSIONS, "inputTextTokenCount": 6}
        else:  # S3 Vectors QueryVectors
            body = {"vectors": [], "distanceMetric": "cosine"}
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: one line per stubbed call would drown the figures."""


def _environment(endpoint: str) -> dict[str, str]:
    """A deployed API function's settings (as the CDK app sets them), every endpoint the stub."""
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "LLM_PROVIDER": "bedrock",
        "VECTOR_BACKEND": "s3vectors",
        "S3VECTORS_BUCKET": "vectors",
        "CONVERSATIONS_TABLE": "conversations",
        "DOCUMENTS_TABLE": "documents",
        "USAGE_TABLE": "usage",
        "DOCUMENTS_BUCKET": "documents",
        "RATE_LIMIT_REQUESTS_PER_MINUTE": "0",
        "RATE_LIMIT_TOKENS_PER_MINUTE": "0",
        "DAILY_TOKEN_BUDGET": "0",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }


def _probe_seconds(code: str, environment: dict[str, str]) -> float:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    )
    return float(result.stdout.strip().splitlines()[-1])


def run() -> dict[str, float]:
    stub = ThreadingHTTPServer(("127.0.0.1", 0), _StubAws)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    environment = _environment(f"http://127.0.0.1:{stub.server_address[1]}")
    handler_times, baseline_times = [], []
    try:
        for _ in range(RUNS):
            handler_times.append(_probe_seconds(_HANDLER_PROBE, environment))
            baseline_times.append(_probe_seconds(_BASELINE_PROBE, environment))
    finally:
        stub.shutdown()
    handler_ms = statistics.median(handler_times) * 1000
    baseline_ms = statistics.median(baseline_times) * 1000
    ratio = handler_ms / baseline_ms
    print(
        f"cold start: import + first POST /v1/chat {handler_ms:.0f} ms, baseline import boto3 + the same "
        f"clients {baseline_ms:.0f} ms, ratio {ratio:.2f} (target <= 1.5)"
    )
    return {"cold_start_ratio_vs_boto3_clients": round(ratio, 3)}


if __name__ == "__main__":
    run()
