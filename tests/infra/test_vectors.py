"""The vector store: each role reaches the chunks only as far as its function needs; dev halves
idle OCUs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from stacks.constructs.vectors import VectorAccess
from tests.conftest import SEARCH_OPERATOR
from tests.infra.conftest import (
    Synthesized,
    as_list,
    policy_statements,
    resources_of,
    state_machine_definition,
)

CHUNK_INDEX = "index/genai-chat-dev/chunks"


def _policy_parts(synthesized: Synthesized) -> list[list[Any]]:
    """The joined parts of each data-access policy (`VectorAccess`'s, and the MCP endpoint's own)."""
    policies = resources_of(synthesized.app_json, "AWS::OpenSearchServerless::AccessPolicy").values()
    return [policy["Properties"]["Policy"]["Fn::Join"][1] for policy in policies]


def _policy_text(synthesized: Synthesized) -> str:
    return "".join(
        part if isinstance(part, str) else json.dumps(part)
        for parts in _policy_parts(synthesized)
        for part in parts
    )


def _roles_named(policy_text: str) -> set[str]:
    """Construct names of the roles whose ARNs the text references (logical id minus its hash)."""
    return set(re.findall(r'\{"Fn::GetAtt": \["(\w+?)[0-9A-F]{8}", "Arn"\]\}', policy_text))


def _data_access_grants(synthesized: Synthesized) -> dict[str, set[tuple[str, str]]]:
    """Role construct name -> the (index resource, permission) pairs the data-access policy grants it."""
    rules = [
        rule
        for parts in _policy_parts(synthesized)
        for rule in json.loads("".join(part if isinstance(part, str) else _role_name(part) for part in parts))
    ]
    grants: dict[str, set[tuple[str, str]]] = {}
    for rule in rules:
        pairs = {
            (resource, permission)
            for entry in rule["Rules"]
            for resource in entry["Resource"]
            for permission in entry["Permission"]
        }
        for principal in rule["Principal"]:
            grants.setdefault(principal, set()).update(pairs)
    return grants


def _role_name(intrinsic: dict[str, Any]) -> str:
    logical_id, _ = intrinsic["Fn::GetAtt"]
    return str(logical_id)[:-8]


def _actions_granted(synthesized: Synthesized, role: str, resource_mark: str) -> set[str]:
    """IAM actions the role's policies allow on resources whose reference mentions `resource_mark`."""
    return {
        action
        for policy_id, statement in policy_statements(synthesized.app_json)
        if policy_id.startswith(f"{role}DefaultPolicy") and resource_mark in json.dumps(statement["Resource"])
        for action in as_list(statement["Action"])
    }


def test_data_access_policy_names_only_the_query_and_ingestion_roles(dev: Synthesized) -> None:
    text = _policy_text(dev)
    assert _roles_named(text) == {
        "ChatApiFunctionRole",
        "ChatStreamFunctionRole",
        "McpFunctionRole",
        "IngestIndexWriterRole",
    }
    assert "*" not in re.sub(r"index/[\w-]+/\*", "", text)


def test_only_the_ingestion_role_may_create_or_delete_the_index(dev: Synthesized) -> None:
    index_managers = {
        role
        for role, pairs in _data_access_grants(dev).items()
        if {permission for _, permission in pairs} & {"aoss:CreateIndex", "aoss:DeleteIndex"}
    }
    assert index_managers == {"IngestIndexWriterRole"}


def test_api_role_may_read_and_delete_chunks_of_the_configured_index_only(dev: Synthesized) -> None:
    assert _data_access_grants(dev)["ChatApiFunctionRole"] == {
        (CHUNK_INDEX, "aoss:DescribeIndex"),
        (CHUNK_INDEX, "aoss:ReadDocument"),
        (CHUNK_INDEX, "aoss:WriteDocument"),
    }


@pytest.mark.parametrize("role", ["ChatStreamFunctionRole", "McpFunctionRole"])
def test_chat_readers_may_only_read_chunks_of_the_configured_index(dev: Synthesized, role: str) -> None:
    assert _data_access_grants(dev)[role] == {
        (CHUNK_INDEX, "aoss:DescribeIndex"),
        (CHUNK_INDEX, "aoss:ReadDocument"),
    }


def test_search_operators_may_read_and_write_documents_of_the_configured_index_only(
    federation: Synthesized,
) -> None:
    assert _data_access_grants(federation)[SEARCH_OPERATOR] == {
        (CHUNK_INDEX, "aoss:DescribeIndex"),
        (CHUNK_INDEX, "aoss:ReadDocument"),
        (CHUNK_INDEX, "aoss:WriteDocument"),
    }


def test_no_principal_outside_the_stack_is_named_by_default(dev: Synthesized) -> None:
    assert not [principal for principal in _data_access_grants(dev) if principal.startswith("arn:")]


def test_the_vectors_key_lets_iam_policies_grant_its_use(s3vectors: Synthesized) -> None:
    """An operator evaluating the S3 Vectors backend needs only IAM, no key policy change."""
    (key,) = (
        resource
        for logical_id, resource in resources_of(s3vectors.data_json, "AWS::KMS::Key").items()
        if logical_id.startswith("EncryptionVectorsKey")
    )
    assert {
        "Action": "kms:*",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Resource": "*",
    } in key["Properties"]["KeyPolicy"]["Statement"]


def test_on_s3_vectors_the_api_role_may_delete_vectors_but_not_write_them(prod: Synthesized) -> None:
    assert _actions_granted(prod, "ChatApiFunctionRole", "VectorIndex") == {
        "s3vectors:QueryVectors",
        "s3vectors:GetVectors",
        "s3vectors:DeleteVectors",
    }


def test_on_s3_vectors_the_stream_role_may_only_read_vectors(prod: Synthesized) -> None:
    assert _actions_granted(prod, "ChatStreamFunctionRole", "VectorIndex") == {
        "s3vectors:QueryVectors",
        "s3vectors:GetVectors",
    }


def test_s3_vectors_readers_may_decrypt_with_the_vector_bucket_key(prod: Synthesized) -> None:
    for role in ("ChatApiFunctionRole", "ChatStreamFunctionRole"):
        assert _actions_granted(prod, role, "VectorsKey") == {"kms:Decrypt"}


def test_s3_vectors_ingestion_may_encrypt_new_vectors_with_the_vector_bucket_key(prod: Synthesized) -> None:
    assert _actions_granted(prod, "IngestIndexWriterRole", "VectorsKey") == {
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }


def test_dev_collection_runs_without_standby_replicas(dev: Synthesized) -> None:
    dev.data.has_resource_properties(
        "AWS::OpenSearchServerless::Collection", {"Type": "VECTORSEARCH", "StandbyReplicas": "DISABLED"}
    )


def _index(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    ((logical_id, index),) = resources_of(synthesized.app_json, "Custom::VectorIndex").items()
    return logical_id, index


def _framework_entry_point(synthesized: Synthesized) -> dict[str, Any]:
    """The Provider framework function CloudFormation invokes for the index."""
    _, index = _index(synthesized)
    (logical_id, _) = index["Properties"]["ServiceToken"]["Fn::GetAtt"]
    properties: dict[str, Any] = resources_of(synthesized.app_json, "AWS::Lambda::Function")[logical_id][
        "Properties"
    ]
    return properties


def _waiter_definition(synthesized: Synthesized) -> dict[str, Any]:
    return state_machine_definition(synthesized.app_json, "VectorAccessIndexProviderwaiterstatemachine")


def test_index_is_a_custom_resource_with_the_configured_name_and_dimension(dev: Synthesized) -> None:
    _, index = _index(dev)
    assert index["Properties"]["Dimensions"] == 1024
    assert index["Properties"]["IndexName"] == "chunks"
    assert index["Properties"]["RetainOnDelete"] == "false"
    assert "CollectionEndpoint" in json.dumps(index["Properties"]["Endpoint"])


def test_index_is_a_new_logical_resource_since_its_service_token_cannot_change(dev: Synthesized) -> None:
    # "Modifying service token is not allowed": the resource the index function served directly
    # (VectorAccessIndex2ECB4143) cannot move to the Provider framework in place.
    logical_id, _ = _index(dev)
    assert logical_id.startswith("VectorAccessChunkIndex")


def test_index_is_served_by_the_provider_framework_with_both_index_handlers(dev: Synthesized) -> None:
    entry_point = _framework_entry_point(dev)
    functions = resources_of(dev.app_json, "AWS::Lambda::Function")
    handlers = {
        variable: functions[value["Fn::GetAtt"][0]]["Properties"]["Handler"]
        for variable, value in entry_point["Environment"]["Variables"].items()
        if variable.startswith("USER_")
    }
    assert entry_point["Handler"] == "framework.onEvent"
    assert handlers == {
        "USER_ON_EVENT_FUNCTION_ARN": "lambdas.handlers.vector_index_resource.on_event",
        "USER_IS_COMPLETE_FUNCTION_ARN": "lambdas.handlers.vector_index_resource.is_complete",
    }


def test_index_handlers_run_as_the_index_writer_named_in_the_data_access_policy(dev: Synthesized) -> None:
    roles = {
        function["Properties"]["Role"]["Fn::GetAtt"][0][:-8]
        for function in resources_of(dev.app_json, "AWS::Lambda::Function").values()
        if "vector_index_resource" in str(function["Properties"]["Handler"])
    }
    assert roles == {"IngestIndexWriterRole"}


def test_completion_is_checked_every_ten_seconds_for_at_most_ten_minutes(dev: Synthesized) -> None:
    (retry,) = _waiter_definition(dev)["States"]["framework-isComplete-task"]["Retry"]
    assert (retry["IntervalSeconds"], retry["MaxAttempts"], retry["BackoffRate"]) == (10, 60, 1)


def test_index_fails_soon_after_the_completion_check_gives_up_not_after_an_hour(dev: Synthesized) -> None:
    _, index = _index(dev)
    (retry,) = _waiter_definition(dev)["States"]["framework-isComplete-task"]["Retry"]
    gives_up_after = retry["IntervalSeconds"] * retry["MaxAttempts"]
    assert gives_up_after < int(index["Properties"]["ServiceTimeout"]) <= gives_up_after + 600


def test_waiter_and_its_starter_use_the_workflow_key_for_the_waiters_executions_only(
    dev: Synthesized,
) -> None:
    key_users = {
        policy_id.split("DefaultPolicy")[0]: json.dumps(statement["Condition"])
        for policy_id, statement in policy_statements(dev.app_json)
        if policy_id.startswith("VectorAccessIndexProvider")
        and "WorkflowKey" in json.dumps(statement["Resource"])
    }
    assert set(key_users) == {
        "VectorAccessIndexProviderOnEventRole",
        "VectorAccessIndexProviderwaiterstatemachineRole",
    }
    assert all(":stateMachine:genai-chat-dev-vector-index" in condition for condition in key_users.values())


def test_provider_framework_roles_use_no_managed_policy(dev: Synthesized) -> None:
    framework_roles = {
        name: role["Properties"]
        for name, role in resources_of(dev.app_json, "AWS::IAM::Role").items()
        if name.startswith("VectorAccessIndexProvider")
    }
    assert len(framework_roles) == 3
    assert {name for name, role in framework_roles.items() if role.get("ManagedPolicyArns")} == set()


def test_s3_vectors_backend_has_a_cosine_index_of_the_configured_dimension(prod: Synthesized) -> None:
    prod.data.resource_count_is("AWS::OpenSearchServerless::Collection", 0)
    prod.data.has_resource_properties(
        "AWS::S3Vectors::Index", {"Dimension": 1024, "DistanceMetric": "cosine", "DataType": "float32"}
    )


def test_index_contract_asks_for_a_new_index_name_for_a_new_dimension() -> None:
    contract = " ".join((VectorAccess.__doc__ or "").split())
    assert "changed name or dimension creates" not in contract
    assert "a new dimension needs a new `opensearchIndex` name" in contract
