"""Unit tests never touch the network: every socket is blocked for this folder."""

import pytest
from pytest_socket import disable_socket


@pytest.fixture(autouse=True)
def _no_network() -> None:
    disable_socket(allow_unix_socket=False)
