"""Shared fixtures of the adapter tests: each module provides the `client` its adapter takes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber


def offline_client(service: str, region: str = "us-east-1") -> Any:
    """A client with stand-in credentials and one attempt: retries are botocore's job and would
    only slow the tests down."""
    return boto3.client(
        service,
        region_name=region,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    """Real API shapes on the module's client; every queued response must be used."""
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()
