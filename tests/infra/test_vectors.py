"""The vector store: each role reaches the chunks only as far as its function needs; dev halves
idle OCUs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from stacks.constructs.vectors import VectorAccess
from tests.infra.conftest import Synthesized, as_list, policy_statements, resources_of

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
        "ApiFunctionRole",
        "StreamFunctionRole",
        "McpFunctionRole",
        "IngestionRole",
    }
    assert "*" not in re.sub(r"index/[\w-]+/\*", "", text)


def test_only_the_ingestion_role_may_create_or_delete_the_index(dev: Synthesized) -> None:
    index_managers = {
        role
        for role, pairs in _data_access_grants(dev).items()
        if {permission for _, permission in pairs} & {"aoss:CreateIndex", "aoss:DeleteIndex"}
    }
    assert index_managers == {"IngestionRole"}


def test_api_role_may_read_and_delete_chunks_of_the_configured_index_only(dev: Synthesized) -> None:
    assert _data_access_grants(dev)["ApiFunctionRole"] == {
        (CHUNK_INDEX, "aoss:DescribeIndex"),
        (CHUNK_INDEX, "aoss:ReadDocument"),
        (CHUNK_INDEX, "aoss:WriteDocument"),
    }


@pytest.mark.parametrize("role", ["StreamFunctionRole", "McpFunctionRole"])
def test_chat_readers_may_only_read_chunks_of_the_configured_index(dev: Synthesized, role: str) -> None:
    assert _data_access_grants(dev)[role] == {
        (CHUNK_INDEX, "aoss:DescribeIndex"),
        (CHUNK_INDEX, "aoss:ReadDocument"),
    }


def test_on_s3_vectors_the_api_role_may_delete_vectors_but_not_write_them(prod: Synthesized) -> None:
    assert _actions_granted(prod, "ApiFunctionRole", "VectorIndex") == {
        "s3vectors:QueryVectors",
        "s3vectors:GetVectors",
        "s3vectors:DeleteVectors",
    }


def test_on_s3_vectors_the_stream_role_may_only_read_vectors(prod: Synthesized) -> None:
    assert _actions_granted(prod, "StreamFunctionRole", "VectorIndex") == {
        "s3vectors:QueryVectors",
        "s3vectors:GetVectors",
    }


def test_s3_vectors_readers_may_decrypt_with_the_vector_bucket_key(prod: Synthesized) -> None:
    for role in ("ApiFunctionRole", "StreamFunctionRole"):
        assert _actions_granted(prod, role, "VectorsKey") == {"kms:Decrypt"}


def test_s3_vectors_ingestion_may_encrypt_new_vectors_with_the_vector_bucket_key(prod: Synthesized) -> None:
    assert _actions_granted(prod, "IngestionRole", "VectorsKey") == {"kms:Decrypt", "kms:GenerateDataKey"}


def test_dev_collection_runs_without_standby_replicas(dev: Synthesized) -> None:
    dev.data.has_resource_properties(
        "AWS::OpenSearchServerless::Collection", {"Type": "VECTORSEARCH", "StandbyReplicas": "DISABLED"}
    )


def test_index_is_created_by_a_custom_resource_with_the_configured_dimension(dev: Synthesized) -> None:
    (index,) = resources_of(dev.app_json, "Custom::VectorIndex").values()
    assert index["Properties"]["Dimensions"] == 1024
    assert index["Properties"]["IndexName"] == "chunks"


def test_s3_vectors_backend_has_a_cosine_index_of_the_configured_dimension(prod: Synthesized) -> None:
    prod.data.resource_count_is("AWS::OpenSearchServerless::Collection", 0)
    prod.data.has_resource_properties(
        "AWS::S3Vectors::Index", {"Dimension": 1024, "DistanceMetric": "cosine", "DataType": "float32"}
    )


def test_index_contract_asks_for_a_new_index_name_for_a_new_dimension() -> None:
    contract = " ".join((VectorAccess.__doc__ or "").split())
    assert "changed name or dimension creates" not in contract
    assert "a new dimension needs a new `opensearchIndex` name" in contract
