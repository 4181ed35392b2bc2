"""Bedrock permissions name exact model ARNs; the guardrail is versioned and handed to chat calls."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest

from stacks.config import (
    INFERENCE_PROFILE_REGIONS,
    DeploymentConfig,
    inference_profile_regions,
    rerank_model_for,
)
from stacks.constructs.models import model_arns
from tests.infra.conftest import ACCOUNT, Synthesized, as_list, feature_flags, policy_statements, resources_of

# Actions that accept no resource-level permissions, so "*" is their only valid resource.
RESOURCE_LESS_ACTIONS = {
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions",
    "xray:GetSamplingRules": "X-Ray has no resource-level permissions",
    "xray:GetSamplingTargets": "X-Ray has no resource-level permissions",
    "logs:CreateLogDelivery": "Step Functions log delivery is account-level",
    "logs:GetLogDelivery": "Step Functions log delivery is account-level",
    "logs:UpdateLogDelivery": "Step Functions log delivery is account-level",
    "logs:DeleteLogDelivery": "Step Functions log delivery is account-level",
    "logs:ListLogDeliveries": "Step Functions log delivery is account-level",
    "logs:PutResourcePolicy": "Step Functions log delivery is account-level",
    "logs:DescribeResourcePolicies": "Step Functions log delivery is account-level",
    "logs:DescribeLogGroups": "Step Functions log delivery is account-level",
    "cloudfront:GetInvalidation": "CDK's deploy-time site copy; invalidations have no ARN",
    "cloudfront:CreateInvalidation": "CDK's deploy-time site copy; invalidations have no ARN",
    "bedrock:Rerank": "the Rerank API has no resource-level permissions (the model it invokes is scoped)",
}
HAIKU = "anthropic.claude-3-5-haiku-20241022-v1:0"


def _bedrock_statements(synthesized: Synthesized) -> list[dict[str, Any]]:
    return [
        statement
        for _, statement in policy_statements(synthesized.app_json)
        if any(str(action).startswith("bedrock:") for action in as_list(statement["Action"]))
    ]


def _statement(synthesized: Synthesized, sid: str) -> dict[str, Any]:
    statements = [s for s in _bedrock_statements(synthesized) if s.get("Sid") == sid]
    assert statements, f"no statement {sid}"
    return statements[0]


def test_no_policy_grants_a_bedrock_wildcard_action(dev: Synthesized) -> None:
    actions = {action for s in _bedrock_statements(dev) for action in as_list(s["Action"])}
    assert actions
    assert not any(action.endswith("*") for action in actions)


def test_every_bedrock_statement_names_model_or_guardrail_arns(dev: Synthesized) -> None:
    for statement in _bedrock_statements(dev):
        if as_list(statement["Action"]) == ["bedrock:Rerank"]:
            continue
        for resource in as_list(statement["Resource"]):
            text = json.dumps(resource)
            assert resource != "*"
            assert any(kind in text for kind in ("foundation-model/", "inference-profile/", "Guardrail")), (
                text
            )


# CDK's Provider framework writes its waiter state machine's log-delivery statement with
# CreateLogStream and PutLogEvents on "*" and offers no way to narrow it; that role runs only
# while CloudFormation creates, updates or deletes the vector index.
PROVIDER_WAITER_POLICY = "VectorAccessIndexProviderwaiterstatemachineRoleDefaultPolicy"
PROVIDER_WAITER_LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_wildcard_resources_appear_only_for_actions_without_resource_level_permissions(
    dev: Synthesized,
) -> None:
    unexplained = {
        (policy, action)
        for policy, statement in policy_statements(dev.app_json)
        if "*" in as_list(statement["Resource"])
        for action in as_list(statement["Action"])
        if action not in RESOURCE_LESS_ACTIONS
        and not (policy.startswith(PROVIDER_WAITER_POLICY) and action in PROVIDER_WAITER_LOG_ACTIONS)
    }
    assert unexplained == set()


def test_chat_grant_names_the_inference_profile_and_every_region_it_routes_to(dev: Synthesized) -> None:
    resources = json.dumps(_statement(dev, "InvokeConfiguredChatModels")["Resource"])
    assert f"inference-profile/us.{HAIKU}" in resources
    for region in ("us-east-1", "us-east-2", "us-west-2"):
        assert f"bedrock:{region}::foundation-model/{HAIKU}" in resources
    assert "inference-profile/us.amazon.nova-lite-v1:0" in resources


def test_embedding_grant_names_only_the_embedding_model(dev: Synthesized) -> None:
    statement = _statement(dev, "InvokeEmbeddingModel")
    assert statement["Action"] == "bedrock:InvokeModel"
    assert json.dumps(statement["Resource"]).count("foundation-model/") == 1
    assert "foundation-model/amazon.titan-embed-text-v2:0" in json.dumps(statement["Resource"])


def test_guardrail_filters_prompt_attacks_and_masks_personal_data(dev: Synthesized) -> None:
    (guardrail,) = resources_of(dev.app_json, "AWS::Bedrock::Guardrail").values()
    props = guardrail["Properties"]
    filters = {f["Type"]: f for f in props["ContentPolicyConfig"]["FiltersConfig"]}
    assert filters["PROMPT_ATTACK"]["InputStrength"] == "HIGH"
    pii = {
        entity["Type"]: entity["Action"]
        for entity in props["SensitiveInformationPolicyConfig"]["PiiEntitiesConfig"]
    }
    assert pii["EMAIL"] == "ANONYMIZE"
    assert pii["CREDIT_DEBIT_CARD_NUMBER"] == "BLOCK"


def test_chat_functions_get_the_guardrail_and_its_pinned_version(dev: Synthesized) -> None:
    (version_id,) = resources_of(dev.app_json, "AWS::Bedrock::GuardrailVersion")
    functions = resources_of(dev.app_json, "AWS::Lambda::Function")
    for name in ("ChatApiFunction", "ChatStreamFunction"):
        (function,) = [f for logical_id, f in functions.items() if logical_id.startswith(name)]
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["BEDROCK_GUARDRAIL_VERSION"] == {"Fn::GetAtt": [version_id, "Version"]}
        assert "GuardrailId" in json.dumps(variables["BEDROCK_GUARDRAIL_ID"])


def test_summary_workflow_may_invoke_only_the_summary_model(dev: Synthesized) -> None:
    statements = [
        statement
        for policy, statement in policy_statements(dev.app_json)
        if policy.startswith("SummariesStateMachineRole")
        and "bedrock:InvokeModel" in as_list(statement["Action"])
    ]
    assert len(statements) == 1
    (resource,) = as_list(statements[0]["Resource"])
    assert resource == "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"


@pytest.mark.parametrize(
    ("model_id", "regions"),
    [
        (f"us.{HAIKU}", ("us-east-1", "us-east-2", "us-west-1", "us-west-2")),
        (f"jp.{HAIKU}", ("ap-northeast-1", "ap-northeast-3")),
        (f"au.{HAIKU}", ("ap-southeast-2", "ap-southeast-4")),
        (f"global.{HAIKU}", ("*",)),
        (HAIKU, ()),
        ("amazon.titan-embed-text-v2:0", ()),
    ],
)
def test_inference_profile_regions_come_from_the_one_table(model_id: str, regions: tuple[str, ...]) -> None:
    assert inference_profile_regions(model_id) == regions


def test_every_documented_geography_routes_somewhere() -> None:
    assert {"us", "eu", "apac", "jp", "au", "global"} <= INFERENCE_PROFILE_REGIONS.keys()
    assert all(INFERENCE_PROFILE_REGIONS.values())


def _arns_for(model_id: str) -> list[str]:
    app = cdk.App(context=feature_flags())  # partition literals, as in cdk.json
    stack = cdk.Stack(app, "Models", env=cdk.Environment(account=ACCOUNT, region="eu-west-1"))
    return model_arns(stack, [model_id])


def test_a_geographic_profile_may_reach_its_model_in_every_region_it_routes_to() -> None:
    arns = _arns_for(f"eu.{HAIKU}")
    assert f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/eu.{HAIKU}" in arns
    for region in INFERENCE_PROFILE_REGIONS["eu"]:
        assert f"arn:aws:bedrock:{region}::foundation-model/{HAIKU}" in arns


def test_a_global_profile_may_reach_its_model_anywhere_through_the_region_less_arn() -> None:
    assert _arns_for(f"global.{HAIKU}") == [
        f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/global.{HAIKU}",
        f"arn:aws:bedrock:eu-west-1::foundation-model/{HAIKU}",
        f"arn:aws:bedrock:::foundation-model/{HAIKU}",
    ]


def test_a_plain_model_id_is_reached_in_the_deployment_region_only() -> None:
    assert _arns_for(HAIKU) == [f"arn:aws:bedrock:eu-west-1::foundation-model/{HAIKU}"]


def test_chat_functions_may_rerank_with_only_the_regions_reranking_model(prod: Synthesized) -> None:
    statement = _statement(prod, "InvokeRerankModel")
    functions = resources_of(prod.app_json, "AWS::Lambda::Function")
    (api,) = [f for logical_id, f in functions.items() if logical_id.startswith("ChatApiFunction")]

    assert statement["Action"] == "bedrock:InvokeModel"
    assert json.dumps(statement["Resource"]).count("foundation-model/") == 1
    assert "foundation-model/cohere.rerank-v3-5:0" in json.dumps(statement["Resource"])
    assert api["Properties"]["Environment"]["Variables"]["RERANK_MODEL_ID"] == "cohere.rerank-v3-5:0"


def test_the_reranking_model_follows_the_regions_offer() -> None:
    assert rerank_model_for("us-east-1") == "cohere.rerank-v3-5:0"
    assert rerank_model_for("eu-central-1") == "cohere.rerank-v3-5:0"
    assert rerank_model_for("eu-west-3") is None


def test_reranking_is_off_unless_the_deployment_turns_it_on(dev: Synthesized) -> None:
    functions = resources_of(dev.app_json, "AWS::Lambda::Function").values()
    assert all("RERANK_MODEL_ID" not in json.dumps(function) for function in functions)
    assert not [s for s in _bedrock_statements(dev) if "bedrock:Rerank" in as_list(s["Action"])]


def test_reranking_in_a_region_without_a_reranking_model_fails_synthesis_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="reranking: no Bedrock reranking model is offered in eu-west-3"):
        DeploymentConfig(region="eu-west-3", reranking=True)
