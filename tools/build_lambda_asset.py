"""Builds the Lambda code asset without Docker: the `lambdas/` package plus vendored wheels.

boto3 comes with the Lambda runtime and Powertools (with pydantic and the X-Ray SDK) with the
AWS-managed Powertools layer, so only the few pure-Python libraries the functions import on top
of those are vendored, with pip resolving wheels for the Lambda platform. The vendored set is
cached under `.build/deps/<hash of requirements and platform>/`, so repeated synths never call pip.

    python -m tools.build_lambda_asset          # prints the asset directory
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = REPO_ROOT / ".build"

# Provided at run time by the Lambda runtime (boto3) or the Powertools layer (the rest).
PROVIDED_BY_PLATFORM = frozenset({"boto3", "aws-lambda-powertools", "pydantic"})
# Dependencies of the vendored libraries that the platform lacks; pinned to the versions tested.
VENDORED_TRANSITIVE = (
    "python-dotenv",
    # The MCP SDK's (the MCP function's Streamable HTTP transport).
    "anyio",
    "attrs",
    "click",
    "h11",
    "httpcore2",
    "httpx2",
    "idna",
    "jsonschema",
    "jsonschema-specifications",
    "mcp-types",
    "opentelemetry-api",
    "python-multipart",
    "referencing",
    "rpds-py",
    "sse-starlette",
    "starlette",
    "truststore",
    "uvicorn",
)
_PIP_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


def vendored_requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """Pinned requirements to vendor: runtime dependencies minus what the platform provides."""
    declared = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    pinned = [str(req) for req in map(Requirement, declared) if req.name not in PROVIDED_BY_PLATFORM]
    transitive = [f"{name}=={metadata.version(name)}" for name in VENDORED_TRANSITIVE]
    return sorted(pinned + transitive)


def build_asset(
    *, architecture: str = "arm64", python_version: str = "3.13", build_dir: Path = BUILD_DIR
) -> Path:
    """Assemble `<build_dir>/lambda-asset/` (vendored wheels + `lambdas/`) and return its path."""
    deps = vendored_dependencies(vendored_requirements(), architecture, python_version, build_dir)
    asset = build_dir / f"lambda-asset-{architecture}-py{python_version}"
    staging = Path(tempfile.mkdtemp(dir=build_dir, prefix=".asset-"))
    shutil.copytree(deps, staging, dirs_exist_ok=True)
    shutil.copytree(
        REPO_ROOT / "lambdas",
        staging / "lambdas",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache"),
    )
    # Swap in atomically so a concurrent synth never sees a half-written asset.
    shutil.rmtree(asset, ignore_errors=True)
    staging.rename(asset)
    return asset


def vendored_dependencies(
    requirements: Sequence[str], architecture: str, python_version: str, build_dir: Path
) -> Path:
    key = hashlib.sha256("\n".join([architecture, python_version, *requirements]).encode()).hexdigest()[:16]
    target = build_dir / "deps" / key
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".pip-"))
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--only-binary=:all:",
        "--platform",
        _PIP_PLATFORMS[architecture],
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--target",
        str(staging),
        *requirements,
    ]
    subprocess.run(command, check=True)  # noqa: S603 - fixed argv, pinned requirements
    # pip's metadata and scripts are useless in a function and only enlarge the cold start.
    shutil.rmtree(staging / "bin", ignore_errors=True)
    staging.rename(target)
    return target


if __name__ == "__main__":
    print(build_asset())
