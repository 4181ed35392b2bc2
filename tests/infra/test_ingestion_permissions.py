"""Each ingestion task's role allows exactly the calls its step makes (`lambdas/core/ingestion.py`
through the S3 and DynamoDB adapters), and document deletion may clean up what ingestion wrote.

    extract: documents GetItem + UpdateItem (PROCESSING); GetObject uploads/...;
             ListObjectsV2 + DeleteObjects under ingestion-batches/<owner>/<doc>/; PutObject batches
    embed:   GetObject + PutObject batches; InvokeModel; usage UpdateItem
    index:   documents GetItem (still there?); GetObject batches; the vector index
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import Synthesized, as_list, resources_of

BUCKET = "DocumentsBucketArn"


def role_statements(synthesized: Synthesized, role_prefix: str) -> list[dict[str, Any]]:
    """Every statement of the identity policies attached to the role whose logical id starts with
    `role_prefix`."""
    (role,) = [
        name for name in resources_of(synthesized.app_json, "AWS::IAM::Role") if name.startswith(role_prefix)
    ]
    return [
        statement
        for policy in resources_of(synthesized.app_json, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions_on(statements: list[dict[str, Any]], resource_mark: str, service: str) -> set[str]:
    """`service` actions allowed without conditions on resources whose reference ends with `resource_mark`."""
    return {
        action
        for statement in statements
        if "Condition" not in statement
        and any(json.dumps(resource).endswith(resource_mark) for resource in as_list(statement["Resource"]))
        for action in as_list(statement["Action"])
        if action.startswith(f"{service}:")
    }


def listable_prefixes(statements: list[dict[str, Any]]) -> set[str]:
    """`s3:prefix` patterns the role may list the documents bucket under."""
    return {
        prefix
        for statement in statements
        if "s3:ListBucket" in as_list(statement["Action"]) and BUCKET in json.dumps(statement["Resource"])
        for prefix in as_list(statement["Condition"]["StringLike"]["s3:prefix"])
    }


def table_actions(statements: list[dict[str, Any]], table: str) -> set[str]:
    return {
        action
        for statement in statements
        if f"Data{table}Table" in json.dumps(statement["Resource"])
        for action in as_list(statement["Action"])
    }


@pytest.fixture
def extract(dev: Synthesized) -> list[dict[str, Any]]:
    return role_statements(dev, "IngestExtractFunctionRole")


@pytest.fixture
def embed(dev: Synthesized) -> list[dict[str, Any]]:
    return role_statements(dev, "IngestEmbedFunctionRole")


@pytest.fixture
def index(dev: Synthesized) -> list[dict[str, Any]]:
    return role_statements(dev, "IngestIndexWriterRole")


def test_extract_may_list_only_the_ingestion_batches(extract: list[dict[str, Any]]) -> None:
    assert listable_prefixes(extract) == {"ingestion-batches/*"}


def test_extract_replaces_batches_of_an_earlier_run(extract: list[dict[str, Any]]) -> None:
    assert actions_on(extract, '"/ingestion-batches/*"]]}', "s3") == {"s3:PutObject", "s3:DeleteObject"}
    assert actions_on(extract, '"/uploads/*"]]}', "s3") == {"s3:GetObject"}


def test_extract_reads_and_marks_the_document_record_only(extract: list[dict[str, Any]]) -> None:
    assert table_actions(extract, "Documents") == {"dynamodb:GetItem", "dynamodb:UpdateItem"}


def test_embed_adds_usage_without_reading_or_deleting_it(embed: list[dict[str, Any]]) -> None:
    assert table_actions(embed, "Usage") == {"dynamodb:UpdateItem"}
    assert actions_on(embed, '"/ingestion-batches/*"]]}', "s3") == {"s3:GetObject", "s3:PutObject"}


def test_index_checks_the_document_still_exists(index: list[dict[str, Any]]) -> None:
    assert table_actions(index, "Documents") == {"dynamodb:GetItem"}
    assert actions_on(index, '"/ingestion-batches/*"]]}', "s3") == {"s3:GetObject"}


def test_index_may_decrypt_the_documents_table(index: list[dict[str, Any]]) -> None:
    data_key_actions = {
        action
        for statement in index
        if "EncryptionDataKey" in json.dumps(statement["Resource"])
        for action in as_list(statement["Action"])
    }
    assert "kms:Decrypt" in data_key_actions


def test_deleting_a_document_may_list_and_delete_its_upload_and_batches(dev: Synthesized) -> None:
    api = role_statements(dev, "ChatApiFunctionRole")
    assert listable_prefixes(api) == {"uploads/*", "ingestion-batches/*"}
    assert "s3:DeleteObject" in actions_on(api, '"/uploads/*"]]}', "s3")
    assert "s3:DeleteObject" in actions_on(api, '"/ingestion-batches/*"]]}', "s3")
