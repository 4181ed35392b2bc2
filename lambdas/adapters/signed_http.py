"""HTTPS requests signed with AWS Signature Version 4, for AWS APIs boto3 has no client for
(the OpenSearch Serverless data plane).

botocore already signs and urllib3 already pools connections; both ship with boto3, so the
functions need no OpenSearch client library for a handful of REST calls.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

logger = logging.getLogger(__name__)

_RETRYABLE_STATUS = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes


class HttpTransport(Protocol):
    """Sends one request to a fixed endpoint; `path` starts with `/` and may carry a query."""

    def request(
        self, method: str, path: str, body: bytes | None = None, *, content_type: str = ""
    ) -> HttpResponse: ...


class CredentialsSource(Protocol):
    """botocore credentials (refreshed by botocore when they are temporary)."""

    def get_frozen_credentials(self) -> Any: ...


class SigV4Transport:
    """`HttpTransport` that signs each request for `service` in `region`, with a timeout on every
    call and a few jittered retries on throttling, 5xx gateway answers and broken connections."""

    def __init__(
        self,
        endpoint: str,
        *,
        service: str,
        region: str,
        credentials: CredentialsSource,
        http: urllib3.PoolManager | None = None,
        attempts: int = 3,
        timeout_seconds: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._service = service
        self._region = region
        self._credentials = credentials
        self._http = http or urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5.0, read=timeout_seconds), retries=False
        )
        self._attempts = attempts
        self._sleep = sleep

    def request(
        self, method: str, path: str, body: bytes | None = None, *, content_type: str = ""
    ) -> HttpResponse:
        attempt = 1
        while True:
            try:
                response = self._send(method, path, body, content_type)
            except urllib3.exceptions.HTTPError as error:
                if attempt >= self._attempts:
                    raise
                logger.warning("%s %s failed (%s); retrying", method, _route(path), type(error).__name__)
            else:
                if response.status not in _RETRYABLE_STATUS or attempt >= self._attempts:
                    return response
                logger.warning("%s %s answered %d; retrying", method, _route(path), response.status)
            # Full jitter: clients throttled together do not retry together.
            self._sleep(random.uniform(0, 0.2 * 2**attempt))  # noqa: S311 - jitter, not security
            attempt += 1

    def _send(self, method: str, path: str, body: bytes | None, content_type: str) -> HttpResponse:
        payload = body or b""
        headers = {
            # OpenSearch Serverless refuses signed requests without the payload hash header.
            "x-amz-content-sha256": hashlib.sha256(payload).hexdigest(),
        }
        if content_type:
            headers["Content-Type"] = content_type
        request = AWSRequest(method=method, url=self._endpoint + path, data=payload, headers=headers)
        SigV4Auth(self._credentials.get_frozen_credentials(), self._service, self._region).add_auth(request)
        response = self._http.request(
            method, request.url, body=payload or None, headers=dict(request.headers.items()), redirect=False
        )
        return HttpResponse(status=response.status, body=response.data)


def _route(path: str) -> str:
    """The path without its query, for logs."""
    return path.split("?", 1)[0]
