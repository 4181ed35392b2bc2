"""The preflight checks, against stubbed AWS responses (botocore Stubber, no network)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from stacks.config import DeploymentConfig
from tools.doctor import BOOTSTRAP_VERSION_PARAMETER, load_config, main, report, run_checks

ACCOUNT = "123456789012"
REGION = "us-east-1"
BEDROCK_REGIONS = ["us-east-1", "us-west-2", "eu-central-1"]
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


def bootstrap(clients: StubbedClients, version: str = "27") -> None:
    clients.stub("ssm").add_response(
        "get_parameter",
        {"Parameter": {"Name": BOOTSTRAP_VERSION_PARAMETER, "Type": "String", "Value": version}},
        {"Name": BOOTSTRAP_VERSION_PARAMETER},
    )


def profile_offered(clients: StubbedClients, model_id: str) -> None:
    clients.stub("bedrock").add_response(
        "get_inference_profile",
        {
            "inferenceProfileName": model_id,
            "inferenceProfileArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{model_id}",
            "models": [
                {"modelArn": f"arn:aws:bedrock:{REGION}::foundation-model/{model_id.partition('.')[2]}"}
            ],
            "inferenceProfileId": model_id,
            "status": "ACTIVE",
            "type": "SYSTEM_DEFINED",
        },
        {"inferenceProfileIdentifier": model_id},
    )


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


def all_models_offered(clients: StubbedClients) -> None:
    profile_offered(clients, CONFIG.chat_model_id)
    model_offered(clients, "amazon.nova-lite-v1:0")
    model_offered(clients, "amazon.titan-embed-text-v2:0")


def check(
    clients: StubbedClients, config: DeploymentConfig = CONFIG, *, invoke: bool = False
) -> tuple[int, str]:
    lines: list[str] = []
    results = run_checks(config, clients, bedrock_regions=BEDROCK_REGIONS, invoke=invoke)
    status = report(results, invoked=invoke, write=lines.append)
    return status, "\n".join(lines)


def test_a_ready_account_passes_every_check(aws: StubbedClients) -> None:
    identity(aws)
    bootstrap(aws)
    all_models_offered(aws)
    status, output = check(aws)
    assert status == 0
    assert "FAIL" not in output
    assert "run with --invoke" in output


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


def test_a_region_without_bedrock_fails(aws: StubbedClients) -> None:
    identity(aws)
    status, output = check(aws, DeploymentConfig(region="af-south-1"))
    assert status == 1
    assert "FAIL region: af-south-1 offers no Amazon Bedrock runtime" in output


def test_an_unbootstrapped_region_prints_the_bootstrap_command(aws: StubbedClients) -> None:
    identity(aws)
    aws.stub("ssm").add_client_error("get_parameter", "ParameterNotFound", "not found")
    all_models_offered(aws)
    status, output = check(aws)
    assert status == 1
    assert f"npx cdk bootstrap aws://<account id>/{REGION}" in output


def test_an_outdated_bootstrap_fails(aws: StubbedClients) -> None:
    identity(aws)
    bootstrap(aws, version="4")
    all_models_offered(aws)
    status, output = check(aws)
    assert status == 1
    assert "bootstrap version 4 is older" in output


def test_a_model_not_offered_in_the_region_fails_with_how_to_list_models(aws: StubbedClients) -> None:
    identity(aws)
    bootstrap(aws)
    profile_offered(aws, CONFIG.chat_model_id)
    model_offered(aws, "amazon.nova-lite-v1:0")
    aws.stub("bedrock").add_client_error("get_foundation_model", "ResourceNotFoundException", "no such model")
    status, output = check(aws)
    assert status == 1
    assert "FAIL model amazon.titan-embed-text-v2:0: not offered in us-east-1" in output
    assert "aws bedrock list-foundation-models --region us-east-1" in output


def test_a_legacy_model_fails(aws: StubbedClients) -> None:
    identity(aws)
    bootstrap(aws)
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
    identity(aws)
    bootstrap(aws)
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
    identity(aws)
    bootstrap(aws)
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
    identity(aws)
    bootstrap(aws)
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
