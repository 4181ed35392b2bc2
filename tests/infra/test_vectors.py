"""The vector store: only the query and ingestion roles reach the collection; dev halves idle OCUs."""

from __future__ import annotations

import json
import re

from tests.infra.conftest import Synthesized, resources_of


def _policy_text(synthesized: Synthesized) -> str:
    (policy,) = resources_of(synthesized.app_json, "AWS::OpenSearchServerless::AccessPolicy").values()
    parts = policy["Properties"]["Policy"]["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else json.dumps(part) for part in parts)


def _roles_named(policy_text: str) -> set[str]:
    """Construct names of the roles whose ARNs the text references (logical id minus its hash)."""
    return set(re.findall(r'\{"Fn::GetAtt": \["(\w+?)[0-9A-F]{8}", "Arn"\]\}', policy_text))


def test_data_access_policy_names_only_the_query_and_ingestion_roles(dev: Synthesized) -> None:
    text = _policy_text(dev)
    assert _roles_named(text) == {
        "ApiFunctionRole",
        "StreamFunctionRole",
        "IngestionRole",
    }
    assert "*" not in re.sub(r"index/[\w-]+/\*", "", text)


def test_only_the_ingestion_role_may_create_or_write_the_index(dev: Synthesized) -> None:
    query, ingestion = _policy_text(dev).split("Ingestion: create the index")
    assert "aoss:WriteDocument" not in query
    assert "aoss:WriteDocument" in ingestion
    assert _roles_named(ingestion) == {"IngestionRole"}


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
