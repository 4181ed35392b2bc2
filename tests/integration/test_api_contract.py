"""The REST API keeps the promises of its OpenAPI document: schemathesis, with every check,
against the local server over HTTP (examples bounded to keep it near half a minute)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.support.local_server import REPO_ROOT, LocalServer

pytestmark = pytest.mark.network

MAX_EXAMPLES = 10
SEED = 5
"""Fixed, so a failure is reproduced by the same command; the CLI prints it."""


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    local = LocalServer(env={"LOCAL_SAMPLES": "0"})
    yield local
    local.stop()


def test_every_check_of_schemathesis_passes_on_every_operation(server: LocalServer) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{server.base_url}/v1/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--no-color",
        ],
        cwd=REPO_ROOT,  # where schemathesis.toml is
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "No issues found" in run.stdout
