"""Integration tests run the real adapters against moto; the mock starts before any client exists."""

from collections.abc import Iterator

import pytest
from moto import mock_aws

from local.aws import REGION, LocalResources, create_resources
from tests.support.local_aws import use_local_resources


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalResources]:
    resources = use_local_resources(monkeypatch)
    with mock_aws():
        create_resources(resources, REGION)
        yield resources
