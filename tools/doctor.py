"""Preflight for a deployment: credentials, region, CDK bootstrap, Powertools layer, hosted-UI
domain and Bedrock model access (in every region an inference profile routes to).

    make doctor                                  # same as the next line
    python -m tools.doctor                       # settings from cdk.json
    python -m tools.doctor -c stage=prod -c region=eu-central-1
    python -m tools.doctor --invoke              # also call each model once (1 output token)

Each failed check prints what to do about it; the exit status is 1 when any check failed.
Model availability and access are read from the Bedrock control plane; `--invoke` also calls
each model once (a fraction of a cent per model), which is the final proof of access.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from lambdas.adapters.aws_errors import error_code
from stacks.config import INFERENCE_PROFILE_REGIONS, DeploymentConfig
from stacks.constructs.functions import powertools_layer_arn

REPO_ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
# The bootstrap version the synthesized stacks declare they need (`requiresBootstrapStackVersion`).
MINIMUM_BOOTSTRAP_VERSION = 6
PING = "ping"
DESCRIPTION = "Preflight for a deployment: credentials, region, bootstrap, layer, domain, Bedrock models."
# Geography prefixes of Bedrock's system-defined cross-region inference profiles ("us.", "global."),
# recognised whether or not the IAM table in stacks/config.py knows them.
PROFILE_GEOGRAPHIES = frozenset({"us", "us-gov", "eu", "apac", "jp", "au", "ca", "global"})


class ClientFactory(Protocol):
    def __call__(self, service: str, region: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_credentials(clients: ClientFactory, config: DeploymentConfig) -> tuple[CheckResult, str | None]:
    """The result, and the signed-in account when the credentials work."""
    try:
        identity = clients("sts", config.region).get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        return CheckResult(
            "credentials",
            False,
            f"no usable AWS credentials ({error})",
            "Sign in first: `aws configure sso` (or `aws sso login --profile NAME`), then "
            "`export AWS_PROFILE=NAME`; or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.",
        ), None
    account = str(identity["Account"])
    if config.account and config.account != account:
        return CheckResult(
            "credentials",
            False,
            f"signed in to account {account}, but the deployment targets {config.account}",
            f"Use credentials for account {config.account}, or deploy with `-c account={account}`.",
        ), None
    return CheckResult("credentials", True, f"account {account} as {identity['Arn']}"), account


def check_region(clients: ClientFactory, config: DeploymentConfig) -> CheckResult:
    """Does the region serve Amazon Bedrock? Asked of its control plane, the only reliable source:
    botocore's bundled endpoint data lists no regions for Bedrock."""
    try:
        clients("bedrock", config.region).list_inference_profiles(maxResults=1)
    except EndpointConnectionError:
        return CheckResult(
            "region",
            False,
            f"{config.region} has no Amazon Bedrock endpoint",
            "Choose a Bedrock region, e.g. `-c region=us-east-1` (or set `region` in cdk.json).",
        )
    except ClientError as error:
        code = error_code(error)
        return CheckResult(
            "region",
            False,
            f"cannot call Amazon Bedrock in {config.region} ({code})",
            "Allow bedrock:ListInferenceProfiles and bedrock:Get* for these credentials "
            "(or check that no SCP denies the region).",
        )
    except BotoCoreError as error:
        return CheckResult("region", False, f"cannot reach Amazon Bedrock ({error})", "Check the network.")
    return CheckResult("region", True, f"{config.region} serves Amazon Bedrock")


def check_bootstrap(clients: ClientFactory, config: DeploymentConfig) -> CheckResult:
    command = f"npx cdk bootstrap aws://{config.account or '<account id>'}/{config.region}"
    try:
        parameter = clients("ssm", config.region).get_parameter(Name=BOOTSTRAP_VERSION_PARAMETER)
    except ClientError as error:
        code = error_code(error)
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


def powertools_parameter(config: DeploymentConfig) -> str:
    """The public SSM parameter the stacks resolve the Powertools layer from."""
    reference = powertools_layer_arn(config.lambda_architecture, config.powertools_version)
    return reference.removeprefix("{{resolve:ssm:").removesuffix("}}")


def check_powertools_layer(clients: ClientFactory, config: DeploymentConfig) -> CheckResult:
    name = "Powertools layer"
    parameter = powertools_parameter(config)
    try:
        value = clients("ssm", config.region).get_parameter(Name=parameter)["Parameter"]["Value"]
    except ClientError as error:
        code = error_code(error)
        if code == "ParameterNotFound":
            return CheckResult(
                name,
                False,
                f"{parameter} does not exist in {config.region}",
                "Powertools publishes no layer for this version, runtime and architecture in the region: "
                "set `powertoolsVersion` to a published release (see the Powertools install docs) "
                "or deploy to another region.",
            )
        return CheckResult(
            name, False, f"cannot read {parameter} ({code})", "Allow ssm:GetParameter for these credentials."
        )
    except BotoCoreError as error:
        return CheckResult(name, False, str(error), "Fix the credentials check first.")
    return CheckResult(name, True, value)


def hosted_ui_domain_prefix(config: DeploymentConfig, account: str) -> str | None:
    """The Cognito hosted-UI domain prefix the stacks create, None when they create no domain."""
    if not (config.oidc_providers or config.saml_providers):
        return None
    return config.cognito_domain_prefix(account)


def check_domain_prefix(clients: ClientFactory, config: DeploymentConfig, account: str) -> CheckResult:
    prefix = hosted_ui_domain_prefix(config, account)
    name = "hosted-UI domain"
    if prefix is None:
        return CheckResult(name, True, "none needed (no federated identity provider)")
    try:
        domain = clients("cognito-idp", config.region).describe_user_pool_domain(Domain=prefix)
    except ClientError as error:
        code = error_code(error)
        return CheckResult(
            name,
            False,
            f"cannot look up {prefix} ({code})",
            "Allow cognito-idp:DescribeUserPoolDomain for these credentials.",
        )
    owner = domain.get("DomainDescription", {})
    if not owner.get("UserPoolId"):
        return CheckResult(name, True, f"{prefix} is free in {config.region}")
    if owner.get("AWSAccountId") == account:
        return CheckResult(
            name, True, f"{prefix} already belongs to user pool {owner['UserPoolId']} in this account"
        )
    return CheckResult(
        name,
        False,
        f"{prefix} is taken in {config.region} by another AWS account",
        "Domain prefixes are global per region: set another with `-c cognitoDomainPrefix=...`.",
    )


def check_model_offered(clients: ClientFactory, region: str, model_id: str) -> list[CheckResult]:
    """Is the model (or cross-region inference profile) offered, active and granted to this account?

    For an inference profile: in every region it routes to, and within the regions the
    stacks' IAM table (`INFERENCE_PROFILE_REGIONS` in stacks/config.py) allows.
    """
    name = f"model {model_id}"
    bedrock = clients("bedrock", region)
    try:
        if is_inference_profile(model_id):
            profile = bedrock.get_inference_profile(inferenceProfileIdentifier=model_id)
            status = str(profile.get("status", "ACTIVE"))
            routes = [_model_in_region(model["modelArn"]) for model in profile.get("models", [])]
        else:
            details = bedrock.get_foundation_model(modelIdentifier=model_id)["modelDetails"]
            status = str(details.get("modelLifecycle", {}).get("status", "ACTIVE"))
            routes = [(region, model_id)]
    except ClientError as error:
        code = error_code(error)
        if code in ("ResourceNotFoundException", "ValidationException"):
            return [
                CheckResult(
                    name,
                    False,
                    f"not offered in {region}",
                    "Pick a model id listed by `aws bedrock list-foundation-models --region "
                    f"{region}` (or `list-inference-profiles`), and set it in cdk.json or with -c.",
                )
            ]
        return [
            CheckResult(
                name, False, f"cannot describe it ({code})", "Allow bedrock:Get* for these credentials."
            )
        ]
    if status != "ACTIVE":
        return [CheckResult(name, False, f"status {status}", "Choose an ACTIVE model version.")]
    results = [CheckResult(name, True, f"offered in {region}")]
    if is_inference_profile(model_id):
        results.append(check_profile_regions(model_id, [route_region for route_region, _ in routes]))
    results.extend(check_model_granted(clients, model_id, *route) for route in routes)
    return results


def check_profile_regions(profile_id: str, routed: Sequence[str]) -> CheckResult:
    """Does the stacks' IAM table allow the model in every region the profile routes to?"""
    geography = profile_id.partition(".")[0]
    allowed = set(INFERENCE_PROFILE_REGIONS.get(geography, ()))
    missing = [] if "*" in allowed else sorted(set(routed) - allowed)
    name = f"IAM regions {profile_id}"
    if missing:
        return CheckResult(
            name,
            False,
            f"routes to {', '.join(missing)}, which INFERENCE_PROFILE_REGIONS[{geography!r}] in "
            "stacks/config.py misses: requests routed there would be denied",
            f"Add {', '.join(missing)} to INFERENCE_PROFILE_REGIONS[{geography!r}] in stacks/config.py.",
        )
    return CheckResult(name, True, f"the stacks allow all {len(set(routed))} routed regions")


def check_model_granted(
    clients: ClientFactory, model_id: str, region: str, foundation_model: str
) -> CheckResult:
    """Has this account been granted the foundation model in `region` (Model access page)?"""
    name = f"access {foundation_model} in {region}"
    try:
        availability = clients("bedrock", region).get_foundation_model_availability(modelId=foundation_model)
    except ClientError as error:
        code = error_code(error)
        return CheckResult(
            name,
            False,
            f"cannot read model access ({code})",
            "Allow bedrock:GetFoundationModelAvailability for these credentials.",
        )
    states = {
        key: availability.get(key)
        for key in (
            "authorizationStatus",
            "entitlementAvailability",
            "regionAvailability",
            "agreementAvailability",
        )
    }
    granted = (
        states["authorizationStatus"] == "AUTHORIZED"
        and states["entitlementAvailability"] == "AVAILABLE"
        and states["regionAvailability"] == "AVAILABLE"
        and (states["agreementAvailability"] or {}).get("status", "AVAILABLE") == "AVAILABLE"
    )
    if granted:
        return CheckResult(name, True, "granted")
    detail = ", ".join(
        f"{key} {value.get('status') if isinstance(value, dict) else value}" for key, value in states.items()
    )
    return CheckResult(
        name,
        False,
        f"not granted ({detail})",
        f"Open the Bedrock console in {region}, Model access, and request access to {foundation_model}"
        + (f" (a region {model_id} routes to)" if model_id != foundation_model else "")
        + ".",
    )


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
        code = error_code(error)
        if code == "AccessDeniedException":
            return CheckResult(
                name,
                False,
                "this account may not call the model",
                f"Open the Bedrock console in {region}, Model access, and request access to {model_id}"
                + (
                    " in every region its inference profile routes to"
                    if is_inference_profile(model_id)
                    else ""
                )
                + "; also check that no SCP or permission boundary denies bedrock:InvokeModel.",
            )
        if code == "ThrottlingException":
            return CheckResult(name, True, "access granted (the call was throttled)")
        return CheckResult(name, False, f"the call failed ({code}: {error})", "See the Bedrock error above.")
    return CheckResult(name, True, "a 1-token call succeeded")


def run_checks(config: DeploymentConfig, clients: ClientFactory, *, invoke: bool) -> list[CheckResult]:
    credentials, account = check_credentials(clients, config)
    if account is None:
        return [credentials]  # nothing further can be checked meaningfully
    results = [credentials, check_region(clients, config)]
    if not results[-1].ok:
        return results
    results.append(check_bootstrap(clients, config))
    results.append(check_powertools_layer(clients, config))
    results.append(check_domain_prefix(clients, config, account))
    for model_id, embedding in _models(config):
        offered = check_model_offered(clients, config.region, model_id)
        results.extend(offered)
        if invoke and offered[0].ok:
            results.append(check_model_access(clients, config.region, model_id, embedding=embedding))
    return results


def report(results: Sequence[CheckResult], *, invoked: bool, write: Callable[[str], Any] = print) -> int:
    for result in results:
        write(f"{'ok  ' if result.ok else 'FAIL'} {result.name}: {result.detail}")
        if result.fix:
            write(f"     fix: {result.fix}")
    failures = sum(not result.ok for result in results)
    if not invoked and not failures:
        write("Models are offered and granted; run with --invoke to call each one once.")
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
        config, lambda service, region: session.client(service, region_name=region), invoke=args.invoke
    )
    return report(results, invoked=args.invoke)


def _models(config: DeploymentConfig) -> list[tuple[str, bool]]:
    """(model id, is an embedding model) for every model the deployment calls."""
    models = [(model_id, False) for model_id in (*config.chat_model_ids, config.summary_model_id)]
    models.append((config.embedding_model_id, True))
    return list(dict.fromkeys(models))


def is_inference_profile(model_id: str) -> bool:
    return model_id.partition(".")[0] in PROFILE_GEOGRAPHIES | set(INFERENCE_PROFILE_REGIONS)


def _model_in_region(model_arn: str) -> tuple[str, str]:
    """(region, model id) of `arn:aws:bedrock:REGION::foundation-model/MODEL`."""
    region = model_arn.split(":")[3]
    return region, model_arn.rpartition("/")[2]


if __name__ == "__main__":
    sys.exit(main())
