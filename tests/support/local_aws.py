"""Point the process at the local resources (moto's dummy credentials, region, table and bucket names)."""

from __future__ import annotations

import pytest

from local.aws import DUMMY_CREDENTIALS, REGION, LocalResources


def use_local_resources(monkeypatch: pytest.MonkeyPatch) -> LocalResources:
    """Set, for one test, the variables the application reads to find the local resources."""
    for name, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    resources = LocalResources()
    for name, value in resources.environment().items():
        monkeypatch.setenv(name, value)
    return resources
