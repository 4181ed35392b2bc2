"""Builds the Lambda code asset without Docker: the `lambdas/` package plus vendored wheels.

boto3 comes with the Lambda runtime and Powertools (with pydantic and the X-Ray SDK) with the
AWS-managed Powertools layer, so only the few pure-Python libraries the functions import on top
of those are vendored, with pip resolving wheels for the Lambda platform. The vendored set is
cached under `.build/deps/<hash of requirements and platform>/`, so repeated synths never call pip.

The asset holds only what the wheels and `lambdas/` contain: no bytecode (compiled by the build
host's Python, useless to the function's runtime) and none of pip's per-install records, so its
content, and with it CDK's asset hash, is the same on every machine.

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
    "mdurl",  # markdown-it-py's
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
# Written by pip for this one installation (file hashes and paths, installer name, request flag,
# source URL), not part of the wheel's content.
INSTALL_RECORDS = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
_HOST_ARTIFACTS = ("__pycache__", "*.pyc", ".mypy_cache")
# Part of the dependency cache key: a change to how dependencies are installed rebuilds them.
_INSTALL_LAYOUT = "no-bytecode-no-records"


def vendored_requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """Pinned requirements to vendor: runtime dependencies minus what the platform provides."""
    declared = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    pinned = [str(req) for req in map(Requirement, declared) if req.name not in PROVIDED_BY_PLATFORM]
    transitive = [f"{name}=={metadata.version(name)}" for name in VENDORED_TRANSITIVE]
    return sorted(pinned + transitive)


def build_asset(
    *,
    architecture: str = "arm64",
    python_version: str = "3.13",
    build_dir: Path = BUILD_DIR,
    deps_dir: Path | None = None,
) -> Path:
    """Assemble `<build_dir>/lambda-asset-.../` (vendored wheels + `lambdas/`) and return its path.

    The vendored dependencies are cached in `deps_dir` (default `<build_dir>/deps`).
    """
    deps = vendored_dependencies(
        vendored_requirements(), architecture, python_version, deps_dir or build_dir / "deps"
    )
    asset = build_dir / f"lambda-asset-{architecture}-py{python_version}"
    staging = Path(tempfile.mkdtemp(dir=build_dir, prefix=".asset-"))
    ignore = shutil.ignore_patterns(*_HOST_ARTIFACTS)
    shutil.copytree(deps, staging, dirs_exist_ok=True, ignore=ignore)
    shutil.copytree(REPO_ROOT / "lambdas", staging / "lambdas", ignore=ignore)
    # Swap in atomically so a concurrent synth never sees a half-written asset.
    shutil.rmtree(asset, ignore_errors=True)
    staging.rename(asset)
    return asset


def vendored_dependencies(
    requirements: Sequence[str], architecture: str, python_version: str, deps_dir: Path
) -> Path:
    fields = [_INSTALL_LAYOUT, architecture, python_version, *requirements]
    key = hashlib.sha256("\n".join(fields).encode()).hexdigest()[:16]
    target = deps_dir / key
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
        "--no-compile",
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
    # pip's scripts are useless in a function and only enlarge the cold start.
    shutil.rmtree(staging / "bin", ignore_errors=True)
    remove_install_records(staging)
    staging.rename(target)
    return target


def remove_install_records(site: Path) -> None:
    """Delete what pip wrote about this installation (see INSTALL_RECORDS) and any bytecode."""
    for dist_info in site.glob("*.dist-info"):
        for name in INSTALL_RECORDS:
            (dist_info / name).unlink(missing_ok=True)
    for cache in site.rglob("__pycache__"):
        shutil.rmtree(cache)
    for compiled in site.rglob("*.pyc"):
        compiled.unlink()


if __name__ == "__main__":
    print(build_asset())
