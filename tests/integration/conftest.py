"""Integration tests run the real adapters against moto; the mock starts before any client exists."""

from collections.abc import Iterator

import pytest
from moto import mock_aws

from local.aws import DUMMY_CREDENTIALS, REGION, LocalResources, create_resources


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalResources]:
    for name, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    resources = LocalResources()
    for name, value in resources.environment().items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        create_resources(resources, REGION)
        yield resources
