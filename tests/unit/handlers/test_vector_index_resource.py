"""The `Custom::VectorIndex` handlers on the events CDK's Provider framework sends them, against
a scripted collection: `on_event` decides, `is_complete` is called until the index is there."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.adapters.opensearch import OpenSearchError, OpenSearchIndexes, index_definition
from lambdas.handlers.vector_index_resource import IndexLifecycle, check, start
from tests.support.opensearch_fakes import ScriptedOpenSearch, error_response

ENDPOINT = "https://abc123.us-east-1.aoss.amazonaws.com"
CREATED = {"acknowledged": True, "shards_acknowledged": True, "index": "chunks"}
EMPTY_SEARCH = {"took": 1, "timed_out": False, "hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}


def properties(name: str = "chunks", dimensions: int = 1024, retain: str = "false") -> dict[str, Any]:
    # CloudFormation delivers every property as a string.
    return {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:framework-onEvent",
        "Endpoint": ENDPOINT,
        "IndexName": name,
        "Dimensions": str(dimensions),
        "RetainOnDelete": retain,
    }


def mapping(dimensions: int) -> dict[str, Any]:
    return {"chunks": {"mappings": index_definition(dimensions)["mappings"]}}


def event(request_type: str, **extra: Any) -> dict[str, Any]:
    """What the framework passes on from CloudFormation (the response URL stays its own)."""
    return {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:framework-onEvent",
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/signed",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1a2b",
        "RequestId": "5d4c-request",
        "LogicalResourceId": "VectorAccessChunkIndexF72F3975",
        "ResourceType": "Custom::VectorIndex",
        "ResourceProperties": properties(),
        **extra,
    }


def completion(request: dict[str, Any]) -> dict[str, Any]:
    """The `is_complete` event: the framework merges `on_event`'s answer into the request."""
    return {**request, **start(request)}


def run_check(collection: ScriptedOpenSearch, request: dict[str, Any]) -> dict[str, Any]:
    endpoints: list[str] = []

    def lifecycle_for(endpoint: str) -> IndexLifecycle:
        endpoints.append(endpoint)
        return IndexLifecycle(OpenSearchIndexes(collection))

    answer = check(completion(request), lifecycle_for)
    assert endpoints == [ENDPOINT]
    return answer


def calls(collection: ScriptedOpenSearch) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request in collection.requests]


def test_create_is_named_after_the_index_without_calling_the_collection() -> None:
    assert start(event("Create")) == {"PhysicalResourceId": "chunks", "Data": {"IndexName": "chunks"}}


def test_create_makes_the_index_from_the_shared_definition_and_completes_once_searchable() -> None:
    collection = ScriptedOpenSearch().answer(404).answer(200, CREATED).answer(200, EMPTY_SEARCH)

    answer = run_check(collection, event("Create"))

    assert answer == {"IsComplete": True}
    assert calls(collection) == [("HEAD", "/chunks"), ("PUT", "/chunks"), ("POST", "/chunks/_search")]
    assert collection.requests[1].json() == index_definition(1024)


def test_a_new_index_that_does_not_answer_searches_yet_is_not_complete() -> None:
    collection = ScriptedOpenSearch().answer(404).answer(200, CREATED).answer(503)

    assert run_check(collection, event("Create")) == {"IsComplete": False}


def test_access_denied_while_the_data_access_policy_applies_is_not_complete() -> None:
    collection = ScriptedOpenSearch().answer(403, error_response("security_exception", "denied", 403))

    assert run_check(collection, event("Create")) == {"IsComplete": False}


def test_each_check_makes_one_attempt_and_leaves_waiting_to_the_framework() -> None:
    # The framework's total timeout ends a wait that never completes, so a check never loops.
    collection = ScriptedOpenSearch().answer(403).answer(403)

    run_check(collection, event("Create"))

    assert calls(collection) == [("HEAD", "/chunks")]


def test_create_adopts_an_existing_index_of_the_same_dimension() -> None:
    collection = ScriptedOpenSearch().answer(200).answer(200, mapping(1024)).answer(200, EMPTY_SEARCH)

    answer = run_check(collection, event("Create"))

    assert answer == {"IsComplete": True}
    assert ("PUT", "/chunks") not in calls(collection)


def test_create_refuses_an_existing_index_of_another_dimension() -> None:
    collection = ScriptedOpenSearch().answer(200).answer(200, mapping(256))

    with pytest.raises(ValueError, match="already exists with 256-dimension vectors, not 1024"):
        run_check(collection, event("Create"))


def test_a_rejected_definition_fails_with_the_error_type() -> None:
    rejected = error_response("mapper_parsing_exception", "unknown parameter [knn]", 400)
    collection = ScriptedOpenSearch().answer(404).answer(400, rejected)

    with pytest.raises(OpenSearchError, match="mapper_parsing_exception"):
        run_check(collection, event("Create"))


def test_update_to_a_new_name_creates_that_index_as_the_new_physical_id() -> None:
    request = event(
        "Update",
        PhysicalResourceId="chunks",
        ResourceProperties=properties(name="chunks-v2", dimensions=512),
        OldResourceProperties=properties(),
    )
    collection = ScriptedOpenSearch().answer(404).answer(200, CREATED).answer(200, EMPTY_SEARCH)

    assert start(request)["PhysicalResourceId"] == "chunks-v2"
    assert run_check(collection, request) == {"IsComplete": True}
    assert collection.requests[1].json() == index_definition(512)


def test_update_of_the_dimension_under_the_same_name_is_refused_with_what_to_do() -> None:
    request = event(
        "Update",
        PhysicalResourceId="chunks",
        ResourceProperties=properties(dimensions=512),
        OldResourceProperties=properties(),
    )

    with pytest.raises(ValueError, match="give the index a new name"):
        start(request)


def test_update_of_retention_only_keeps_the_physical_id_and_the_index() -> None:
    request = event(
        "Update",
        PhysicalResourceId="chunks",
        ResourceProperties=properties(retain="true"),
        OldResourceProperties=properties(),
    )
    collection = ScriptedOpenSearch().answer(200).answer(200, mapping(1024)).answer(200, EMPTY_SEARCH)

    assert start(request)["PhysicalResourceId"] == "chunks"
    assert run_check(collection, request) == {"IsComplete": True}
    assert [method for method, _ in calls(collection)] == ["HEAD", "GET", "POST"]


def test_delete_keeps_the_physical_id_without_calling_the_collection() -> None:
    assert start(event("Delete", PhysicalResourceId="chunks")) == {"PhysicalResourceId": "chunks"}


def test_delete_removes_the_index() -> None:
    collection = (
        ScriptedOpenSearch().answer(200).answer(200, mapping(1024)).answer(200, {"acknowledged": True})
    )

    answer = run_check(collection, event("Delete", PhysicalResourceId="chunks"))

    assert answer == {"IsComplete": True}
    assert calls(collection)[-1] == ("DELETE", "/chunks")


def test_delete_of_an_index_already_gone_is_complete() -> None:
    collection = ScriptedOpenSearch().answer(404)

    assert run_check(collection, event("Delete", PhysicalResourceId="chunks")) == {"IsComplete": True}


def test_delete_waits_while_access_is_denied() -> None:
    collection = ScriptedOpenSearch().answer(403)

    assert run_check(collection, event("Delete", PhysicalResourceId="chunks")) == {"IsComplete": False}


def test_delete_keeps_the_index_when_retained() -> None:
    collection = ScriptedOpenSearch()
    request = event("Delete", PhysicalResourceId="chunks", ResourceProperties=properties(retain="true"))

    assert run_check(collection, request) == {"IsComplete": True}
    assert collection.requests == []


def test_delete_after_a_refused_adoption_keeps_the_other_dimension_index() -> None:
    collection = ScriptedOpenSearch().answer(200).answer(200, mapping(256))

    assert run_check(collection, event("Delete", PhysicalResourceId="chunks")) == {"IsComplete": True}
    assert ("DELETE", "/chunks") not in calls(collection)


def test_malformed_properties_are_refused_before_anything_is_created() -> None:
    request = event(
        "Create", ResourceProperties={"Endpoint": ENDPOINT, "IndexName": "chunks", "Dimensions": "many"}
    )

    with pytest.raises(ValueError, match="many"):
        start(request)
