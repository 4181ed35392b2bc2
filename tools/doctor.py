"""Preflight for a deployment: credentials, region, CDK bootstrap and Bedrock model access.

    make doctor                                  # same as the next line
    python -m tools.doctor                       # settings from cdk.json
    python -m tools.doctor -c stage=prod -c region=eu-central-1
    python -m tools.doctor --invoke              # also call each model once (1 output token)

Each failed check prints what to do about it; the exit status is 1 when any check failed.
Model availability is read from the Bedrock control plane; whether this account has been
granted access to a model only shows when the model is called, hence `--invoke` (a fraction
of a cent per model).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from stacks.config import INFERENCE_PROFILE_REGIONS, DeploymentConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
# The bootstrap version the synthesized stacks declare they need (`requiresBootstrapStackVersion`).
MINIMUM_BOOTSTRAP_VERSION = 6
PING = "ping"
DESCRIPTION = "Preflight for a deployment: credentials, region, CDK bootstrap and Bedrock model access."


class ClientFactory(Protocol):
    def __call__(self, service: str, region: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_credentials(clients: ClientFactory, config: DeploymentConfig) -> CheckResult:
    try:
        identity = clients("sts", config.region).get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        return CheckResult(
            "credentials",
            False,
            f"no usable AWS credentials ({error})",
            "Sign in first: `aws configure sso` (or `aws sso login --profile NAME`), then "
            "`export AWS_PROFILE=NAME`; or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.",
        )
    account = str(identity["Account"])
    if config.account and config.account != account:
        return CheckResult(
            "credentials",
            False,
            f"signed in to account {account}, but the deployment targets {config.account}",
            f"Use credentials for account {config.account}, or deploy with `-c account={account}`.",
        )
    return CheckResult("credentials", True, f"account {account} as {identity['Arn']}")


def check_region(config: DeploymentConfig, bedrock_regions: Iterable[str]) -> CheckResult:
    if config.region not in set(bedrock_regions):
        return CheckResult(
            "region",
            False,
            f"{config.region} offers no Amazon Bedrock runtime",
            "Choose a Bedrock region, e.g. `-c region=us-east-1` (or set `region` in cdk.json).",
        )
    return CheckResult("region", True, config.region)


def check_bootstrap(clients: ClientFactory, config: DeploymentConfig) -> CheckResult:
    command = f"npx cdk bootstrap aws://{config.account or '<account id>'}/{config.region}"
    try:
        parameter = clients("ssm", config.region).get_parameter(Name=BOOTSTRAP_VERSION_PARAMETER)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "ParameterNotFound":
            return CheckResult(
                "CDK bootstrap", False, f"{config.region} is not bootstrapped", f"Run `{command}`."
            )
        return CheckResult(
            "CDK bootstrap",
            False,
            f"cannot read {BOOTSTRAP_VERSION_PARAMETER} ({code})",
            "Allow ssm:GetParameter on that parameter for these credentials, or check the region.",
        )
    except BotoCoreError as error:
        return CheckResult("CDK bootstrap", False, str(error), "Fix the credentials check first.")
    version = int(parameter["Parameter"]["Value"])
    if version < MINIMUM_BOOTSTRAP_VERSION:
        return CheckResult(
            "CDK bootstrap",
            False,
            f"bootstrap version {version} is older than the required {MINIMUM_BOOTSTRAP_VERSION}",
            f"Upgrade it: `{command}`.",
        )
    return CheckResult("CDK bootstrap", True, f"version {version} in {config.region}")


def check_model_offered(clients: ClientFactory, region: str, model_id: str) -> CheckResult:
    """Is the model (or cross-region inference profile) offered and active in `region`?"""
    name = f"model {model_id}"
    bedrock = clients("bedrock", region)
    try:
        if _is_inference_profile(model_id):
            profile = bedrock.get_inference_profile(inferenceProfileIdentifier=model_id)
            status = str(profile.get("status", "ACTIVE"))
        else:
            details = bedrock.get_foundation_model(modelIdentifier=model_id)["modelDetails"]
            status = str(details.get("modelLifecycle", {}).get("status", "ACTIVE"))
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code in ("ResourceNotFoundException", "ValidationException"):
            return CheckResult(
                name,
                False,
                f"not offered in {region}",
                "Pick a model id listed by `aws bedrock list-foundation-models --region "
                f"{region}` (or `list-inference-profiles`), and set it in cdk.json or with -c.",
            )
        return CheckResult(
            name, False, f"cannot describe it ({code})", "Allow bedrock:Get* for these credentials."
        )
    if status != "ACTIVE":
        return CheckResult(name, False, f"status {status}", "Choose an ACTIVE model version.")
    return CheckResult(name, True, f"offered in {region}")


def check_model_access(clients: ClientFactory, region: str, model_id: str, *, embedding: bool) -> CheckResult:
    """Call the model once with the smallest possible request."""
    name = f"access {model_id}"
    runtime = clients("bedrock-runtime", region)
    try:
        if embedding:
            runtime.invoke_model(modelId=model_id, body=json.dumps({"inputText": PING}))
        else:
            runtime.converse(
                modelId=model_id,
                messages=[{"role": "user", "content": [{"text": PING}]}],
                inferenceConfig={"maxTokens": 1},
            )
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "AccessDeniedException":
            return CheckResult(
                name,
                False,
                "this account may not call the model",
                f"Open the Bedrock console in {region}, Model access, and request access to {model_id}"
                + (
                    " in every region its inference profile routes to"
                    if _is_inference_profile(model_id)
                    else ""
                )
                + "; also check that no SCP or permission boundary denies bedrock:InvokeModel.",
            )
        if code == "ThrottlingException":
            return CheckResult(name, True, "access granted (the call was throttled)")
        return CheckResult(name, False, f"the call failed ({code}: {error})", "See the Bedrock error above.")
    return CheckResult(name, True, "a 1-token call succeeded")


def run_checks(
    config: DeploymentConfig, clients: ClientFactory, *, bedrock_regions: Iterable[str], invoke: bool
) -> list[CheckResult]:
    results = [check_credentials(clients, config), check_region(config, bedrock_regions)]
    if not all(result.ok for result in results):
        return results  # nothing further can be checked meaningfully
    results.append(check_bootstrap(clients, config))
    for model_id, embedding in _models(config):
        offered = check_model_offered(clients, config.region, model_id)
        results.append(offered)
        if invoke and offered.ok:
            results.append(check_model_access(clients, config.region, model_id, embedding=embedding))
    return results


def report(results: Sequence[CheckResult], *, invoked: bool, write: Callable[[str], Any] = print) -> int:
    for result in results:
        write(f"{'ok  ' if result.ok else 'FAIL'} {result.name}: {result.detail}")
        if result.fix:
            write(f"     fix: {result.fix}")
    failures = sum(not result.ok for result in results)
    if not invoked and not failures:
        write("Models are offered; run with --invoke to confirm this account has been granted access.")
    write(f"{len(results) - failures} passed, {failures} failed")
    return 1 if failures else 0


def load_config(overrides: Sequence[str], cdk_json: Path = REPO_ROOT / "cdk.json") -> DeploymentConfig:
    """The deployment settings `cdk deploy` would use: cdk.json context plus `-c key=value`."""
    context: dict[str, Any] = dict(json.loads(cdk_json.read_text()).get("context", {}))
    for override in overrides:
        key, separator, value = override.partition("=")
        if not separator:
            raise SystemExit(f"context override {override!r} must look like key=value")
        context[key] = value
    return DeploymentConfig.from_context(context.get)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.doctor", description=DESCRIPTION)
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--invoke", action="store_true", help="call each model once with 1 output token")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.context)
    except ValueError as error:
        print(f"FAIL settings: {error}", file=sys.stderr)
        return 1
    session = boto3.session.Session()
    results = run_checks(
        config,
        lambda service, region: session.client(service, region_name=region),
        bedrock_regions=session.get_available_regions("bedrock-runtime"),
        invoke=args.invoke,
    )
    return report(results, invoked=args.invoke)


def _models(config: DeploymentConfig) -> list[tuple[str, bool]]:
    """(model id, is an embedding model) for every model the deployment calls."""
    models = [(model_id, False) for model_id in (*config.chat_model_ids, config.summary_model_id)]
    models.append((config.embedding_model_id, True))
    return list(dict.fromkeys(models))


def _is_inference_profile(model_id: str) -> bool:
    return model_id.partition(".")[0] in INFERENCE_PROFILE_REGIONS


if __name__ == "__main__":
    sys.exit(main())
