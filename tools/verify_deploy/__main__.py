"""`make verify-deploy`: deploy the synthesized app into the emulator and run the user journeys.

    python -m tools.verify_deploy --emulator-python P --runtime-python P --cdklocal P [--port N]

The last line printed is one JSON object:
{"deployed_stacks", "journeys_passed", "journeys_failed", "skipped_resource_types"}; the exit
status is non-zero unless every journey passed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

from tools.build_lambda_asset import PROVIDED_BY_PLATFORM, REPO_ROOT
from tools.verify_deploy import deploy, journeys

WORK_DIR = REPO_ROOT / ".build" / "verify-deploy"
# The deployed variant: S3 Vectors (the emulator has no OpenSearch Serverless), and the build
# host's architecture because the emulator runs functions on the host.
CONTEXT = {"vectorBackend": "s3vectors", "lambdaArchitecture": "x86_64"}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--emulator-python", type=Path, required=True)
    parser.add_argument("--runtime-python", type=Path, required=True)
    parser.add_argument("--cdklocal", type=Path, required=True)
    parser.add_argument(
        "--port", type=int, default=0, help="loopback port for the emulator (default: a free one)"
    )
    args = parser.parse_args()
    started = time.monotonic()
    summary: dict[str, list[str]] = {
        "deployed_stacks": [],
        "journeys_passed": [],
        "journeys_failed": [],
        "skipped_resource_types": [],
    }
    try:
        results = deploy_and_run(args, summary, started)
    except Exception as error:
        _progress(f"FAIL deploy: {type(error).__name__}: {error}")
        summary["journeys_failed"].append("deploy")
    else:
        for result in results:
            _progress(
                f"{'PASS' if result.passed else 'FAIL'} {result.name}"
                + ("" if result.passed else f": {result.detail}")
            )
            summary["journeys_passed" if result.passed else "journeys_failed"].append(result.name)
    _progress(f"done in {time.monotonic() - started:.0f} s")
    print(json.dumps(summary))
    return 0 if summary["journeys_passed"] and not summary["journeys_failed"] else 1


def deploy_and_run(
    args: argparse.Namespace, summary: dict[str, list[str]], started: float
) -> list[journeys.JourneyResult]:
    """Synthesize, deploy into a fresh emulator, run the journeys; the emulator is stopped however this ends."""
    synthesized = synthesize(WORK_DIR / "cdk.out")
    layer = powertools_layer(args.runtime_python, WORK_DIR / "powertools-layer.zip")
    _progress(f"synthesized and built the layer in {time.monotonic() - started:.0f} s")
    with deploy.running_emulator(
        emulator_python=args.emulator_python,
        runtime_python=args.runtime_python,
        port=args.port or _free_loopback_port(),
        log=WORK_DIR / "emulator.log",
        repo=REPO_ROOT,
    ) as emulator:
        supplied = deploy.seed(emulator, powertools_layer=layer, powertools_parameter=powertools_parameter())
        stacks, skipped = deploy.deploy(
            emulator,
            cdklocal=args.cdklocal,
            synthesized=synthesized,
            target=WORK_DIR / "deployed.out",
            supplied=supplied,
            runtime=(python_version(args.runtime_python), CONTEXT["lambdaArchitecture"]),
        )
        summary.update(deployed_stacks=stacks, skipped_resource_types=skipped)
        _progress(f"deployed {', '.join(stacks)} at {time.monotonic() - started:.0f} s")
        emulator.enforce_iam()
        return journeys.run_all(journeys.Deployment.discover(emulator))


def synthesize(output: Path) -> Path:
    context = [arg for key, value in CONTEXT.items() for arg in ("-c", f"{key}={value}")]
    command = ["npx", "cdk", "synth", "--quiet", "--no-notices", "-o", str(output), *context]
    subprocess.run(command, cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return output


def python_version(interpreter: Path) -> str:
    """`3.11` for a Python 3.11 interpreter."""
    command = [str(interpreter), "-c", "import sys; print(*sys.version_info[:2], sep='.')"]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()  # noqa: S603


def powertools_parameter() -> str:
    from stacks.config import DeploymentConfig
    from stacks.constructs.functions import PYTHON_VERSION

    version = DeploymentConfig().powertools_version
    return f"/aws/service/powertools/python/{CONTEXT['lambdaArchitecture']}/python{PYTHON_VERSION}/{version}"


def powertools_layer(runtime_python: Path, target: Path) -> Path:
    """The Powertools layer at the pinned versions, for the interpreter the emulator runs functions on."""
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer_contents = PROVIDED_BY_PLATFORM - {"boto3"}  # boto3 comes with the runtime itself
    requirements = sorted(str(req) for req in map(Requirement, declared) if req.name in layer_contents)
    stamp = target.with_suffix(".requirements")
    if target.is_file() and stamp.is_file() and stamp.read_text() == "\n".join(requirements):
        return target
    staging = target.with_suffix(".d")
    shutil.rmtree(staging, ignore_errors=True)
    subprocess.run(  # noqa: S603 - fixed argv, pinned requirements
        [
            *(str(runtime_python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *("--no-compile", "--target", str(staging / "python"), *requirements),
        ],
        check=True,
    )
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(staging.rglob("*")):
            archive.write(path, path.relative_to(staging))
    shutil.rmtree(staging)
    stamp.write_text("\n".join(requirements))
    return target


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _progress(message: str) -> None:
    print(f"verify-deploy: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
