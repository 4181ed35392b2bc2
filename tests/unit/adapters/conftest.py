"""Shared fixtures of the adapter tests: each module provides the `client` its adapter takes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    """Real API shapes on the module's client; every queued response must be used."""
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()
