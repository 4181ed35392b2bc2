"""Start the emulator, seed what AWS provides out of band, deploy the stripped assembly, stop it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from tools.verify_deploy import assembly
from tools.verify_deploy.emulator import IAM_SWITCH_PATH, PUBLIC_PARAMETER_PATH

ACCOUNT = "000000000000"
REGION = "us-east-1"
DEPLOY_TIMEOUT_SECONDS = 240
# The emulator's root credentials (key and secret alike): they open nothing outside it.
EMULATOR_KEY = "test"


@dataclass(frozen=True, slots=True)
class Emulator:
    endpoint: str

    def client(self, service: str) -> Any:
        """A client with the emulator's root credentials (the journeys' operator side)."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=EMULATOR_KEY,
            aws_secret_access_key=EMULATOR_KEY,
        )

    def cli_environment(self) -> dict[str, str]:
        """What `cdklocal` needs to address the emulator, with the emulator's root credentials."""
        return {
            **os.environ,
            "AWS_ACCESS_KEY_ID": EMULATOR_KEY,
            "AWS_SECRET_ACCESS_KEY": EMULATOR_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_S3_FORCE_PATH_STYLE": "1",
            "CDK_DISABLE_VERSION_CHECK": "1",
        }

    def enforce_iam(self) -> None:
        if self._admin(IAM_SWITCH_PATH, {}) != {"iamEnforcement": True}:
            raise RuntimeError("the emulator did not switch IAM enforcement on")

    def publish_public_parameter(self, name: str, value: str) -> None:
        self._admin(PUBLIC_PARAMETER_PATH, {"name": name, "value": value})

    def _admin(self, path: str, payload: dict[str, str]) -> Any:
        request = urllib.request.Request(  # noqa: S310 - the loopback endpoint this module started
            self.endpoint + path, method="POST", data=json.dumps(payload).encode()
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback endpoint
            return json.load(response)


@contextlib.contextmanager
def running_emulator(
    *, emulator_python: Path, runtime_python: Path, port: int, log: Path, repo: Path
) -> Iterator[Emulator]:
    """The emulator on 127.0.0.1:`port`, stopped (with its Lambda workers) however the block ends.

    Its scratch space (each function's unpacked code) is a fresh folder beside `log`, removed at the end.
    """
    scratch = log.parent / "emulator-tmp"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(log.parent)),
        "GATEWAY_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "MINISTACK_REGION": REGION,
        "MINISTACK_ACCOUNT_ID": ACCOUNT,
        "LOG_LEVEL": "WARNING",
        "TMPDIR": str(scratch),
        "PYTHONPATH": str(repo),
        # Node functions (CDK's custom resources) find the AWS SDK the Lambda Node runtime provides here.
        "NODE_PATH": str(repo / "node_modules"),
    }
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            [
                str(emulator_python),
                "-m",
                "tools.verify_deploy.emulator",
                str(port),
                str(runtime_python.absolute()),
            ],
            cwd=repo,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    emulator = Emulator(f"http://127.0.0.1:{port}")
    try:
        _wait_until_healthy(emulator, process, log)
        yield emulator
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        shutil.rmtree(scratch, ignore_errors=True)


def _wait_until_healthy(emulator: Emulator, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited at start-up:\n{log.read_text()[-2000:]}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(  # noqa: S310 - loopback endpoint
                emulator.endpoint + "/_ministack/health", timeout=1
            ),
        ):
            return
        time.sleep(0.2)
    raise RuntimeError("the emulator did not answer within 30 s")


def seed(
    emulator: Emulator, *, powertools_layer: Path, powertools_parameter: str
) -> dict[str, dict[str, str]]:
    """Provide what AWS holds outside these stacks; return the literals for the stripped guardrail."""
    lambda_ = emulator.client("lambda")
    layer = lambda_.publish_layer_version(
        LayerName="AWSLambdaPowertoolsPythonV3",
        Content={"ZipFile": powertools_layer.read_bytes()},
        CompatibleRuntimes=["python3.14"],
    )
    emulator.publish_public_parameter(powertools_parameter, layer["LayerVersionArn"])
    bedrock = emulator.client("bedrock")
    guardrail = bedrock.create_guardrail(
        name="verify-deploy",
        blockedInputMessaging="Sorry, I can't help with that request.",
        blockedOutputsMessaging="Sorry, I can't provide that answer.",
        contentPolicyConfig={
            "filtersConfig": [{"type": "HATE", "inputStrength": "HIGH", "outputStrength": "HIGH"}]
        },
    )
    version = bedrock.create_guardrail_version(guardrailIdentifier=guardrail["guardrailId"])
    return {
        "AWS::Bedrock::Guardrail": {
            "GuardrailId": guardrail["guardrailId"],
            "GuardrailArn": guardrail["guardrailArn"],
            "Ref": guardrail["guardrailArn"],
        },
        "AWS::Bedrock::GuardrailVersion": {"Version": version["version"]},
    }


def deploy(
    emulator: Emulator,
    *,
    cdklocal: Path,
    synthesized: Path,
    target: Path,
    supplied: Mapping[str, Mapping[str, str]],
    runtime: tuple[str, str],
) -> tuple[list[str], list[str]]:
    """Bootstrap and deploy every stack of the stripped assembly; return (stack names, skipped types).

    `runtime` is the (Python version, architecture) the emulator runs functions with.
    """
    skipped = assembly.strip_assembly(synthesized, target, assembly.Environment(ACCOUNT, REGION, supplied))
    assembly.retarget_code_asset(target, *runtime)
    environment = emulator.cli_environment()
    common = ["--app", str(target), "--no-notices", "--no-version-reporting", "--ci"]
    log = target.parent / "cdk.log"
    log.unlink(missing_ok=True)
    _cli([str(cdklocal), "bootstrap", f"aws://{ACCOUNT}/{REGION}", *common], environment, log)
    _cli([str(cdklocal), "deploy", "--all", "--require-approval", "never", *common], environment, log)
    stacks = [
        summary["StackName"]
        for summary in emulator.client("cloudformation").list_stacks(StackStatusFilter=["CREATE_COMPLETE"])[
            "StackSummaries"
        ]
        if summary["StackName"] != "CDKToolkit"
    ]
    return sorted(stacks), skipped


def _cli(command: list[str], environment: Mapping[str, str], log: Path) -> None:
    with log.open("a") as output:
        try:
            subprocess.run(  # noqa: S603 - fixed argv
                command,
                env=dict(environment),
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=DEPLOY_TIMEOUT_SECONDS,
                check=True,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            raise RuntimeError(f"{error}; the last lines of {log}:\n{log.read_text()[-3000:]}") from None
