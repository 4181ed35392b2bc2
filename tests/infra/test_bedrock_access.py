"""Bedrock permissions name exact model ARNs; the guardrail is versioned and handed to chat calls."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import Synthesized, as_list, policy_statements, resources_of

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
        for resource in as_list(statement["Resource"]):
            text = json.dumps(resource)
            assert resource != "*"
            assert any(kind in text for kind in ("foundation-model/", "inference-profile/", "Guardrail")), (
                text
            )


def test_wildcard_resources_appear_only_for_actions_without_resource_level_permissions(
    dev: Synthesized,
) -> None:
    unexplained = {
        (policy, action)
        for policy, statement in policy_statements(dev.app_json)
        if "*" in as_list(statement["Resource"])
        for action in as_list(statement["Action"])
        if action not in RESOURCE_LESS_ACTIONS
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
