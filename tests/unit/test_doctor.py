"""The preflight checks, against stubbed AWS responses (botocore Stubber, no network)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from stacks.config import DeploymentConfig, OidcProvider
from tools.doctor import (
    BOOTSTRAP_VERSION_PARAMETER,
    load_config,
    main,
    powertools_parameter,
    report,
    run_checks,
)

ACCOUNT = "123456789012"
REGION = "us-east-1"
US_PROFILE_REGIONS = ("us-east-1", "us-east-2", "us-west-2")
CONVERSE_REPLY = {
    "output": {"message": {"role": "assistant", "content": [{"text": "p"}]}},
    "stopReason": "max_tokens",
    "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
    "metrics": {"latencyMs": 100},
}
CONFIG = DeploymentConfig(
    region=REGION,
    chat_model_id="us.anthropic.claude-3-5-haiku-20241022-v1:0",
    fallback_model_id="amazon.nova-lite-v1:0",
    summary_model_id="amazon.nova-lite-v1:0",
    embedding_model_id="amazon.titan-embed-text-v2:0",
)


class StubbedClients:
    """One stubbed client per service, whatever region the checks ask for."""

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}
        self.stubs: dict[str, Stubber] = {}

    def __call__(self, service: str, region: str) -> Any:
        return self.clients[service]

    def stub(self, service: str) -> Stubber:
        if service not in self.stubs:
            client = boto3.client(
                service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
            )
            self.clients[service] = client
            self.stubs[service] = Stubber(client)
            self.stubs[service].activate()
        return self.stubs[service]


@pytest.fixture
def aws() -> Iterator[StubbedClients]:
    clients = StubbedClients()
    yield clients
    for stub in clients.stubs.values():
        stub.assert_no_pending_responses()


def identity(clients: StubbedClients, account: str = ACCOUNT) -> None:
    clients.stub("sts").add_response(
        "get_caller_identity",
        {"UserId": "AIDAEXAMPLE", "Account": account, "Arn": f"arn:aws:iam::{account}:user/deployer"},
    )


def region_serves_bedrock(clients: StubbedClients) -> None:
    clients.stub("bedrock").add_response(
        "list_inference_profiles", {"inferenceProfileSummaries": []}, {"maxResults": 1}
    )


def bootstrap(clients: StubbedClients, version: str = "27", config: DeploymentConfig = CONFIG) -> None:
    clients.stub("ssm").add_response(
        "get_parameter",
        {"Parameter": {"Name": BOOTSTRAP_VERSION_PARAMETER, "Type": "String", "Value": version}},
        {"Name": BOOTSTRAP_VERSION_PARAMETER},
    )
    layer_published(clients, config)


def layer_published(clients: StubbedClients, config: DeploymentConfig = CONFIG) -> None:
    name = powertools_parameter(config)
    layer = f"arn:aws:lambda:{REGION}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:27"
    clients.stub("ssm").add_response(
        "get_parameter", {"Parameter": {"Name": name, "Type": "String", "Value": layer}}, {"Name": name}
    )


def ready_account(clients: StubbedClients, config: DeploymentConfig = CONFIG) -> None:
    """Signed in, Bedrock served in the region, bootstrapped, the layer published."""
    identity(clients)
    region_serves_bedrock(clients)
    bootstrap(clients, config=config)


def granted(clients: StubbedClients, model_id: str, authorization: str = "AUTHORIZED") -> None:
    clients.stub("bedrock").add_response(
        "get_foundation_model_availability",
        {
            "modelId": model_id,
            "agreementAvailability": {"status": "AVAILABLE"},
            "authorizationStatus": authorization,
            "entitlementAvailability": "AVAILABLE",
            "regionAvailability": "AVAILABLE",
        },
        {"modelId": model_id},
    )


def profile_offered(
    clients: StubbedClients,
    model_id: str,
    routes: tuple[str, ...] = US_PROFILE_REGIONS,
    *,
    grant: bool = True,
) -> None:
    """The profile exists and routes to the foundation model in each of `routes`."""
    foundation_model = model_id.partition(".")[2]
    clients.stub("bedrock").add_response(
        "get_inference_profile",
        {
            "inferenceProfileName": model_id,
            "inferenceProfileArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{model_id}",
            "models": [
                {"modelArn": f"arn:aws:bedrock:{region}::foundation-model/{foundation_model}"}
                for region in routes
            ],
            "inferenceProfileId": model_id,
            "status": "ACTIVE",
            "type": "SYSTEM_DEFINED",
        },
        {"inferenceProfileIdentifier": model_id},
    )
    for _ in routes if grant else ():
        granted(clients, foundation_model)


def model_offered(clients: StubbedClients, model_id: str, status: str = "ACTIVE") -> None:
    clients.stub("bedrock").add_response(
        "get_foundation_model",
        {
            "modelDetails": {
                "modelArn": f"arn:aws:bedrock:{REGION}::foundation-model/{model_id}",
                "modelId": model_id,
                "modelLifecycle": {"status": status},
            }
        },
        {"modelIdentifier": model_id},
    )
    if status == "ACTIVE":
        granted(clients, model_id)


def all_models_offered(clients: StubbedClients) -> None:
    profile_offered(clients, CONFIG.chat_model_id)
    model_offered(clients, "amazon.nova-lite-v1:0")
    model_offered(clients, "amazon.titan-embed-text-v2:0")


def check(
    clients: StubbedClients, config: DeploymentConfig = CONFIG, *, invoke: bool = False
) -> tuple[int, str]:
    lines: list[str] = []
    results = run_checks(config, clients, invoke=invoke)
    status = report(results, invoked=invoke, write=lines.append)
    return status, "\n".join(lines)


def test_a_ready_account_passes_every_check(aws: StubbedClients) -> None:
    ready_account(aws)
    all_models_offered(aws)
    status, output = check(aws)
    assert status == 0
    assert "FAIL" not in output
    assert "run with --invoke" in output
    assert "ok   IAM regions us.anthropic.claude-3-5-haiku-20241022-v1:0" in output
    assert output.count("granted") >= 5  # three routed regions of the profile, two single-region models


def test_missing_credentials_fail_with_the_sign_in_command_and_stop_there(aws: StubbedClients) -> None:
    aws.stub("sts").add_client_error("get_caller_identity", "ExpiredToken", "The security token expired")
    status, output = check(aws)
    assert status == 1
    assert "FAIL credentials" in output
    assert "aws configure sso" in output
    assert "CDK bootstrap" not in output


def test_credentials_for_another_account_than_configured_fail(aws: StubbedClients) -> None:
    identity(aws, account="999999999999")
    status, output = check(aws, DeploymentConfig(account=ACCOUNT, region=REGION))
    assert status == 1
    assert "-c account=999999999999" in output


class NoBedrockEndpoint:
    """A Bedrock client in a region that has no Bedrock endpoint: DNS finds no host."""

    def list_inference_profiles(self, **_: Any) -> None:
        raise EndpointConnectionError(
            endpoint_url="https://bedrock.af-south-1.amazonaws.com/inference-profiles"
        )


def test_a_region_without_bedrock_fails_and_stops_there(aws: StubbedClients) -> None:
    identity(aws)
    aws.clients["bedrock"] = NoBedrockEndpoint()
    status, output = check(aws, DeploymentConfig(region="af-south-1"))
    assert status == 1
    assert "FAIL region: af-south-1 has no Amazon Bedrock endpoint" in output
    assert "CDK bootstrap" not in output


def test_the_region_check_reads_the_bedrock_control_plane_not_botocores_endpoint_list() -> None:
    """botocore's bundled endpoint data lists no region for Bedrock; the check must not rely on it."""
    assert boto3.session.Session().get_available_regions("bedrock-runtime") == []
    clients = StubbedClients()
    identity(clients)
    region_serves_bedrock(clients)
    clients.stub("ssm").add_client_error("get_parameter", "AccessDeniedException", "denied")
    clients.stub("ssm").add_client_error("get_parameter", "AccessDeniedException", "denied")
    all_models_offered(clients)
    _, output = check(clients)
    assert f"ok   region: {REGION} serves Amazon Bedrock" in output


def test_missing_credentials_name_the_fix_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for variable in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main([]) == 1
    output = capsys.readouterr().out.splitlines()
    assert output[0].startswith("FAIL credentials: no usable AWS credentials (Unable to locate credentials)")
    assert "aws configure sso" in output[1]
    assert output[2:] == ["0 passed, 1 failed"]


def test_a_powertools_release_missing_in_the_region_fails_with_the_parameter_name(
    aws: StubbedClients,
) -> None:
    identity(aws)
    region_serves_bedrock(aws)
    aws.stub("ssm").add_response(
        "get_parameter",
        {"Parameter": {"Name": BOOTSTRAP_VERSION_PARAMETER, "Type": "String", "Value": "27"}},
        {"Name": BOOTSTRAP_VERSION_PARAMETER},
    )
    aws.stub("ssm").add_client_error("get_parameter", "ParameterNotFound", "not found")
    all_models_offered(aws)
    status, output = check(aws)
    assert status == 1
    assert (
        "FAIL Powertools layer: /aws/service/powertools/python/arm64/python3.14/"
        f"{CONFIG.powertools_version} does not exist in {REGION}"
    ) in output


def test_the_layer_parameter_is_the_one_the_stacks_resolve() -> None:
    assert powertools_parameter(CONFIG) == (
        f"/aws/service/powertools/python/{CONFIG.lambda_architecture}/python3.14/{CONFIG.powertools_version}"
    )


def test_a_profile_routing_to_a_region_the_iam_table_misses_fails_naming_it(aws: StubbedClients) -> None:
    ready_account(aws)
    profile_offered(aws, CONFIG.chat_model_id, (*US_PROFILE_REGIONS, "ca-central-1"))
    model_offered(aws, "amazon.nova-lite-v1:0")
    model_offered(aws, "amazon.titan-embed-text-v2:0")
    status, output = check(aws)
    assert status == 1
    assert "FAIL IAM regions us.anthropic.claude-3-5-haiku-20241022-v1:0: routes to ca-central-1" in output
    assert "INFERENCE_PROFILE_REGIONS['us'] in stacks/config.py" in output


def test_a_global_profile_may_route_to_any_region(aws: StubbedClients) -> None:
    config = DeploymentConfig(
        region=REGION,
        chat_model_id="global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        fallback_model_id=CONFIG.fallback_model_id,
        summary_model_id=CONFIG.summary_model_id,
        embedding_model_id=CONFIG.embedding_model_id,
    )
    ready_account(aws, config)
    profile_offered(aws, config.chat_model_id, ("us-east-1", "eu-west-1", "ap-southeast-2"))
    model_offered(aws, "amazon.nova-lite-v1:0")
    model_offered(aws, "amazon.titan-embed-text-v2:0")
    status, output = check(aws, config)
    assert status == 0, output
    assert f"ok   IAM regions {config.chat_model_id}" in output


def test_a_model_not_granted_in_one_routed_region_fails_naming_that_region(aws: StubbedClients) -> None:
    ready_account(aws)
    profile_offered(aws, CONFIG.chat_model_id, grant=False)
    foundation_model = CONFIG.chat_model_id.partition(".")[2]
    granted(aws, foundation_model)
    granted(aws, foundation_model, authorization="NOT_AUTHORIZED")
    granted(aws, foundation_model)
    model_offered(aws, "amazon.nova-lite-v1:0")
    model_offered(aws, "amazon.titan-embed-text-v2:0")
    status, output = check(aws)
    assert status == 1
    assert f"FAIL access {foundation_model} in us-east-2: not granted" in output
    assert "Open the Bedrock console in us-east-2, Model access" in output


FEDERATED = DeploymentConfig(
    account=ACCOUNT,
    region=REGION,
    chat_model_id=CONFIG.chat_model_id,
    fallback_model_id=CONFIG.fallback_model_id,
    oidc_providers=(OidcProvider("Corp", "https://login.example.com", "chat", "chat/secret"),),
)


PREFIX = f"genai-chat-dev-{ACCOUNT}"


def domain_owner(clients: StubbedClients, description: dict[str, Any]) -> None:
    clients.stub("cognito-idp").add_response(
        "describe_user_pool_domain", {"DomainDescription": description}, {"Domain": PREFIX}
    )


def test_a_hosted_ui_prefix_taken_by_another_account_fails(aws: StubbedClients) -> None:
    ready_account(aws, FEDERATED)
    domain_owner(aws, {"UserPoolId": "us-east-1_Other", "AWSAccountId": "999999999999", "Domain": PREFIX})
    all_models_offered(aws)
    status, output = check(aws, FEDERATED)
    assert f"FAIL hosted-UI domain: {PREFIX} is taken in us-east-1 by another AWS account" in output
    assert "-c cognitoDomainPrefix=" in output
    assert status == 1


def test_a_free_hosted_ui_prefix_passes(aws: StubbedClients) -> None:
    ready_account(aws, FEDERATED)
    domain_owner(aws, {})
    all_models_offered(aws)
    status, output = check(aws, FEDERATED)
    assert status == 0
    assert f"ok   hosted-UI domain: {PREFIX} is free in us-east-1" in output


def test_a_hosted_ui_prefix_this_account_owns_passes(aws: StubbedClients) -> None:
    ready_account(aws, FEDERATED)
    domain_owner(aws, {"UserPoolId": "us-east-1_Mine", "AWSAccountId": ACCOUNT, "Domain": PREFIX})
    all_models_offered(aws)
    status, output = check(aws, FEDERATED)
    assert status == 0
    assert f"{PREFIX} already belongs to user pool us-east-1_Mine in this account" in output


def test_an_unbootstrapped_region_prints_the_bootstrap_command(aws: StubbedClients) -> None:
    identity(aws)
    region_serves_bedrock(aws)
    aws.stub("ssm").add_client_error("get_parameter", "ParameterNotFound", "not found")
    layer_published(aws)
    all_models_offered(aws)
    status, output = check(aws)
    assert status == 1
    assert f"npx cdk bootstrap aws://<account id>/{REGION}" in output


def test_an_outdated_bootstrap_fails(aws: StubbedClients) -> None:
    identity(aws)
    region_serves_bedrock(aws)
    bootstrap(aws, version="4")
    all_models_offered(aws)
    status, output = check(aws)
    assert status == 1
    assert "bootstrap version 4 is older" in output


def test_a_model_not_offered_in_the_region_fails_with_how_to_list_models(aws: StubbedClients) -> None:
    ready_account(aws)
    profile_offered(aws, CONFIG.chat_model_id)
    model_offered(aws, "amazon.nova-lite-v1:0")
    aws.stub("bedrock").add_client_error("get_foundation_model", "ResourceNotFoundException", "no such model")
    status, output = check(aws)
    assert status == 1
    assert "FAIL model amazon.titan-embed-text-v2:0: not offered in us-east-1" in output
    assert "aws bedrock list-foundation-models --region us-east-1" in output


def test_a_legacy_model_fails(aws: StubbedClients) -> None:
    ready_account(aws)
    profile_offered(aws, CONFIG.chat_model_id)
    model_offered(aws, "amazon.nova-lite-v1:0", status="LEGACY")
    model_offered(aws, "amazon.titan-embed-text-v2:0")
    status, output = check(aws)
    assert status == 1
    assert "status LEGACY" in output


def converse_answers(clients: StubbedClients, model_id: str) -> None:
    clients.stub("bedrock-runtime").add_response(
        "converse",
        CONVERSE_REPLY,
        {
            "modelId": model_id,
            "messages": [{"role": "user", "content": [{"text": "ping"}]}],
            "inferenceConfig": {"maxTokens": 1},
        },
    )


def embedding_answers(clients: StubbedClients) -> None:
    body = b'{"embedding": [0.1]}'
    clients.stub("bedrock-runtime").add_response(
        "invoke_model",
        {"body": StreamingBody(io.BytesIO(body), len(body)), "contentType": "application/json"},
        {"modelId": "amazon.titan-embed-text-v2:0", "body": json.dumps({"inputText": "ping"})},
    )


def test_invoke_calls_chat_models_with_one_output_token_and_embeds_one_word(aws: StubbedClients) -> None:
    ready_account(aws)
    profile_offered(aws, CONFIG.chat_model_id)
    converse_answers(aws, CONFIG.chat_model_id)
    model_offered(aws, "amazon.nova-lite-v1:0")
    converse_answers(aws, "amazon.nova-lite-v1:0")
    model_offered(aws, "amazon.titan-embed-text-v2:0")
    embedding_answers(aws)
    status, output = check(aws, invoke=True)
    assert status == 0
    assert output.count("a 1-token call succeeded") == 3


def test_invoke_without_model_access_says_where_to_request_it(aws: StubbedClients) -> None:
    ready_account(aws)
    profile_offered(aws, CONFIG.chat_model_id)
    aws.stub("bedrock-runtime").add_client_error("converse", "AccessDeniedException", "no access")
    model_offered(aws, "amazon.nova-lite-v1:0")
    converse_answers(aws, "amazon.nova-lite-v1:0")
    model_offered(aws, "amazon.titan-embed-text-v2:0")
    embedding_answers(aws)
    status, output = check(aws, invoke=True)
    assert status == 1
    assert f"FAIL access {CONFIG.chat_model_id}" in output
    assert f"Model access, and request access to {CONFIG.chat_model_id}" in output
    assert "every region its inference profile routes to" in output


def test_a_throttled_call_still_proves_access(aws: StubbedClients) -> None:
    ready_account(aws)
    profile_offered(aws, CONFIG.chat_model_id)
    converse_answers(aws, CONFIG.chat_model_id)
    model_offered(aws, "amazon.nova-lite-v1:0")
    converse_answers(aws, "amazon.nova-lite-v1:0")
    model_offered(aws, "amazon.titan-embed-text-v2:0")
    aws.stub("bedrock-runtime").add_client_error("invoke_model", "ThrottlingException", "slow down")
    status, output = check(aws, invoke=True)
    assert status == 0
    assert "ok   access amazon.titan-embed-text-v2:0: access granted (the call was throttled)" in output


def test_settings_come_from_cdk_json_with_command_line_overrides(tmp_path: Path) -> None:
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(json.dumps({"context": {"region": "us-west-2", "stage": "dev"}}))
    config = load_config(["stage=prod", "monthlyBudgetUsd=40"], cdk_json)
    assert (config.region, config.stage, config.monthly_budget_usd) == ("us-west-2", "prod", 40.0)


def test_invalid_settings_fail_before_any_aws_call(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-c", "stage=staging"]) == 1
    assert "stage must be dev or prod" in capsys.readouterr().err
