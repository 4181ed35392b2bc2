"""The `Custom::VectorIndex` handler on CloudFormation's events, against a scripted collection."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from lambdas.adapters.opensearch import OpenSearchIndexes, index_definition
from lambdas.handlers import vector_index_resource
from lambdas.handlers.vector_index_resource import IndexLifecycle, handle
from tests.support.opensearch_fakes import ScriptedOpenSearch, error_response

ENDPOINT = "https://abc123.us-east-1.aoss.amazonaws.com"
CREATED = {"acknowledged": True, "shards_acknowledged": True, "index": "chunks"}
EMPTY_SEARCH = {"took": 1, "timed_out": False, "hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}


def properties(name: str = "chunks", dimensions: int = 1024, retain: str = "false") -> dict[str, Any]:
    # CloudFormation delivers every property as a string.
    return {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:VectorIndexFunction",
        "Endpoint": ENDPOINT,
        "IndexName": name,
        "Dimensions": str(dimensions),
        "RetainOnDelete": retain,
    }


def event(request_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/signed",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1a2b",
        "RequestId": "5d4c-request",
        "LogicalResourceId": "VectorAccessIndex",
        "ResourceType": "Custom::VectorIndex",
        "ResourceProperties": properties(),
        **extra,
    }


@dataclass
class Clock:
    """Remaining time that shrinks by each pause the handler takes."""

    remaining_ms: int = 600_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms

    def sleep(self, seconds: float) -> None:
        self.remaining_ms -= int(seconds * 1000)


def run(
    collection: ScriptedOpenSearch, request: dict[str, Any], clock: Clock | None = None
) -> dict[str, Any]:
    clock = clock or Clock()
    endpoints: list[str] = []

    def lifecycle_for(endpoint: str) -> IndexLifecycle:
        endpoints.append(endpoint)
        return IndexLifecycle(OpenSearchIndexes(collection), clock, sleep=clock.sleep)

    response = handle(request, lifecycle_for)
    assert endpoints in ([ENDPOINT], [])
    return response


def calls(collection: ScriptedOpenSearch) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request in collection.requests]


def test_create_makes_the_index_from_the_shared_definition_and_waits_until_searchable() -> None:
    collection = ScriptedOpenSearch().answer(404).answer(200, CREATED).answer(503).answer(200, EMPTY_SEARCH)

    response = run(collection, event("Create"))

    assert calls(collection) == [
        ("HEAD", "/chunks"),
        ("PUT", "/chunks"),
        ("POST", "/chunks/_search"),
        ("POST", "/chunks/_search"),
    ]
    assert collection.requests[1].json() == index_definition(1024)
    assert response == {
        "Status": "SUCCESS",
        "PhysicalResourceId": "chunks",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1a2b",
        "RequestId": "5d4c-request",
        "LogicalResourceId": "VectorAccessIndex",
        "Data": {"IndexName": "chunks"},
    }


def test_create_waits_while_the_data_access_policy_still_denies_access() -> None:
    collection = (
        ScriptedOpenSearch()
        .answer(403)
        .answer(403)
        .answer(404)
        .answer(200, CREATED)
        .answer(200, EMPTY_SEARCH)
    )

    response = run(collection, event("Create"))

    assert response["Status"] == "SUCCESS"
    assert calls(collection)[:3] == [("HEAD", "/chunks")] * 3


def test_create_gives_up_in_time_to_answer_cloudformation() -> None:
    collection = ScriptedOpenSearch()
    for _ in range(10):
        collection.answer(403)

    response = run(collection, event("Create"), Clock(remaining_ms=50_000))

    assert response["Status"] == "FAILED"
    assert response["Reason"] == "TimeoutError: gave up waiting for index chunks to be created"
    assert response["PhysicalResourceId"] == "not-created:5d4c-request"
    assert len(collection.requests) < 10


def test_create_adopts_an_existing_index_of_the_same_dimension() -> None:
    mapping = {"chunks": {"mappings": index_definition(1024)["mappings"]}}
    collection = ScriptedOpenSearch().answer(200).answer(200, mapping).answer(200, EMPTY_SEARCH)

    response = run(collection, event("Create"))

    assert response["Status"] == "SUCCESS"
    assert ("PUT", "/chunks") not in calls(collection)


def test_create_refuses_an_existing_index_of_another_dimension() -> None:
    mapping = {"chunks": {"mappings": index_definition(256)["mappings"]}}
    collection = ScriptedOpenSearch().answer(200).answer(200, mapping)

    response = run(collection, event("Create"))

    assert response["Status"] == "FAILED"
    assert "already exists with 256-dimension vectors" in response["Reason"]


def test_a_rejected_definition_fails_with_the_error_type() -> None:
    rejected = error_response("mapper_parsing_exception", "unknown parameter [knn]", 400)
    collection = ScriptedOpenSearch().answer(404).answer(400, rejected)

    response = run(collection, event("Create"))

    assert response["Status"] == "FAILED"
    assert "mapper_parsing_exception" in response["Reason"]


def test_update_to_a_new_name_creates_that_index_as_the_new_physical_id() -> None:
    collection = ScriptedOpenSearch().answer(404).answer(200, CREATED).answer(200, EMPTY_SEARCH)
    request = event(
        "Update",
        PhysicalResourceId="chunks",
        ResourceProperties=properties(name="chunks-v2", dimensions=512),
        OldResourceProperties=properties(),
    )

    response = run(collection, request)

    assert (response["Status"], response["PhysicalResourceId"]) == ("SUCCESS", "chunks-v2")
    assert collection.requests[1].json() == index_definition(512)


def test_update_of_the_dimension_under_the_same_name_fails_and_keeps_the_index() -> None:
    collection = ScriptedOpenSearch()
    request = event(
        "Update",
        PhysicalResourceId="chunks",
        ResourceProperties=properties(dimensions=512),
        OldResourceProperties=properties(),
    )

    response = run(collection, request)

    assert (response["Status"], response["PhysicalResourceId"]) == ("FAILED", "chunks")
    assert "give the index a new name" in response["Reason"]
    assert collection.requests == []


def test_update_of_retention_only_leaves_the_index_as_it_is() -> None:
    mapping = {"chunks": {"mappings": index_definition(1024)["mappings"]}}
    collection = ScriptedOpenSearch().answer(200).answer(200, mapping).answer(200, EMPTY_SEARCH)
    request = event(
        "Update",
        PhysicalResourceId="chunks",
        ResourceProperties=properties(retain="true"),
        OldResourceProperties=properties(),
    )

    response = run(collection, request)

    assert (response["Status"], response["PhysicalResourceId"]) == ("SUCCESS", "chunks")
    assert [method for method, _ in calls(collection)] == ["HEAD", "GET", "POST"]


def test_delete_removes_the_index() -> None:
    collection = ScriptedOpenSearch().answer(200, {"acknowledged": True})

    response = run(collection, event("Delete", PhysicalResourceId="chunks"))

    assert response["Status"] == "SUCCESS"
    assert calls(collection) == [("DELETE", "/chunks")]


def test_delete_keeps_the_index_when_retained() -> None:
    collection = ScriptedOpenSearch()
    request = event("Delete", PhysicalResourceId="chunks", ResourceProperties=properties(retain="true"))

    response = run(collection, request)

    assert response["Status"] == "SUCCESS"
    assert collection.requests == []


def test_delete_after_a_failed_create_touches_nothing() -> None:
    collection = ScriptedOpenSearch()

    response = run(collection, event("Delete", PhysicalResourceId="not-created:5d4c-request"))

    assert response["Status"] == "SUCCESS"
    assert collection.requests == []


def test_malformed_properties_still_get_an_answer() -> None:
    request = event(
        "Create", ResourceProperties={"Endpoint": ENDPOINT, "IndexName": "chunks", "Dimensions": "many"}
    )

    response = run(ScriptedOpenSearch(), request)

    assert response["Status"] == "FAILED"
    assert response["Reason"].startswith("ValueError")


def test_the_response_is_put_to_the_presigned_url_without_a_content_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[Any] = []

    class Answer:
        status = 200

        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *_: object) -> None:
            return None

    def fake_urlopen(request: Any, timeout: float) -> Answer:
        sent.append(request)
        return Answer()

    monkeypatch.setattr(vector_index_resource.urllib.request, "urlopen", fake_urlopen)

    vector_index_resource.put_response(
        "https://example.s3.amazonaws.com/signed?X-Amz-Signature=1", {"Status": "SUCCESS"}
    )

    request = sent[0]
    assert (request.get_method(), request.full_url) == (
        "PUT",
        "https://example.s3.amazonaws.com/signed?X-Amz-Signature=1",
    )
    assert json.loads(request.data) == {"Status": "SUCCESS"}
    assert request.get_header("Content-type") == ""
