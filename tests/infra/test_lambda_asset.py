"""The Lambda code asset: only the wheels' and `lambdas/`'s content, identical on every build host.

Bytecode compiled by the build host's Python, or pip's per-install records, would make CDK's
asset hash differ between machines and replace every function on each developer's deploy.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest

from stacks.constructs.functions import PYTHON_VERSION
from tools.build_lambda_asset import INSTALL_RECORDS, build_asset

ARCHITECTURE = "arm64"


@pytest.fixture(scope="module")
def cached_asset() -> Path:
    """The asset as synthesis builds it, from the shared dependency cache."""
    return build_asset(architecture=ARCHITECTURE, python_version=PYTHON_VERSION)


@pytest.fixture(scope="module")
def fresh_asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same asset built elsewhere, with its dependencies installed anew."""
    return build_asset(
        architecture=ARCHITECTURE, python_version=PYTHON_VERSION, build_dir=tmp_path_factory.mktemp("build")
    )


def test_asset_holds_no_bytecode(fresh_asset: Path) -> None:
    compiled = [*fresh_asset.rglob("*.pyc"), *fresh_asset.rglob("__pycache__")]
    assert compiled == []


def test_asset_holds_no_record_of_the_installation(fresh_asset: Path) -> None:
    records = [path.name for path in fresh_asset.rglob("*.dist-info/*") if path.name in INSTALL_RECORDS]
    assert records == []


def test_asset_still_carries_the_vendored_libraries_and_handlers(fresh_asset: Path) -> None:
    assert (fresh_asset / "jwt" / "__init__.py").is_file()
    assert (fresh_asset / "lambdas" / "handlers" / "api.py").is_file()


def test_two_builds_in_different_directories_hash_the_same(cached_asset: Path, fresh_asset: Path) -> None:
    assert cdk.FileSystem.fingerprint(str(fresh_asset)) == cdk.FileSystem.fingerprint(str(cached_asset))


def test_asset_carries_the_html_parser_compiled_for_the_function_platform(fresh_asset: Path) -> None:
    version = PYTHON_VERSION.removeprefix("python").replace(".", "")
    assert list((fresh_asset / "selectolax").glob(f"lexbor.cpython-{version}-aarch64-linux-gnu.so"))
