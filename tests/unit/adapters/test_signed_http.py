"""SigV4Transport: what it signs and sends, and when it retries (urllib3 replaced by a fake pool)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pytest
import urllib3
from botocore.credentials import Credentials

from lambdas.adapters.signed_http import SigV4Transport

ENDPOINT = "https://abc123.eu-west-1.aoss.amazonaws.com"


@dataclass
class FakePool:
    answers: list[Any]
    calls: list[dict[str, Any]] = field(default_factory=list)

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        self.calls.append({"method": method, "url": url, **kwargs})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return urllib3.HTTPResponse(body=answer[1], status=answer[0], preload_content=True)


def transport(pool: FakePool, sleeps: list[float]) -> SigV4Transport:
    return SigV4Transport(
        ENDPOINT + "/",
        service="aoss",
        region="eu-west-1",
        credentials=Credentials("AKIDEXAMPLE", "secret", "session-token"),
        http=pool,  # type: ignore[arg-type]
        sleep=sleeps.append,
    )


def test_requests_are_signed_for_the_service_with_the_payload_hash() -> None:
    pool = FakePool([(200, b'{"ok": true}')])
    body = b'{"size": 0}'

    response = transport(pool, []).request("POST", "/chunks/_search", body, content_type="application/json")

    call = pool.calls[0]
    headers = call["headers"]
    assert (call["method"], call["url"], call["body"]) == ("POST", f"{ENDPOINT}/chunks/_search", body)
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/aoss/aws4_request" in headers["Authorization"]
    assert headers["x-amz-content-sha256"] == hashlib.sha256(body).hexdigest()
    assert headers["X-Amz-Security-Token"] == "session-token"
    assert headers["Content-Type"] == "application/json"
    assert (response.status, response.body) == (200, b'{"ok": true}')


def test_throttling_is_retried_after_a_pause() -> None:
    pool = FakePool([(429, b""), (503, b""), (200, b"{}")])
    sleeps: list[float] = []

    response = transport(pool, sleeps).request("HEAD", "/chunks")

    assert response.status == 200
    assert len(pool.calls) == 3
    assert len(sleeps) == 2


def test_the_last_retryable_answer_is_returned_when_attempts_run_out() -> None:
    pool = FakePool([(503, b""), (503, b""), (503, b"busy")])

    response = transport(pool, []).request("HEAD", "/chunks")

    assert (response.status, response.body) == (503, b"busy")


def test_client_errors_are_not_retried() -> None:
    pool = FakePool([(400, b"bad")])

    assert transport(pool, []).request("PUT", "/chunks", b"{}").status == 400
    assert len(pool.calls) == 1


def test_a_broken_connection_is_retried_then_raised() -> None:
    broken = urllib3.exceptions.ProtocolError("connection reset")
    pool = FakePool([broken, broken, broken])

    with pytest.raises(urllib3.exceptions.ProtocolError):
        transport(pool, []).request("HEAD", "/chunks")

    assert len(pool.calls) == 3
