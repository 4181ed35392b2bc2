"""Documents end to end on moto: API upload -> presigned POST to S3 -> ingestion workflow -> cited chat."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import requests

from lambdas.handlers.api import handler
from lambdas.settings import Settings
from lambdas.wiring import build_services, get_services, use_services
from local.aws import LocalResources
from local.ingestion import run_workflow
from tests.support.events import FakeLambdaContext, rest_event

GUIDE = b"""# Espresso guide

## Grinding

Grind the beans fine, like table salt, right before brewing.

## Extraction

Pull the shot for twenty-eight seconds at nine bars of pressure.
"""


@pytest.fixture
def api(aws: LocalResources) -> Any:
    use_services(build_services(Settings()))
    yield aws
    use_services(None)


def call(method: str, path: str, *, owner: str = "user-a", **kwargs: Any) -> tuple[int, Any]:
    response = handler(rest_event(method, path, owner=owner, **kwargs), FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def upload(filename: str, data: bytes, content_type: str, *, owner: str = "user-a") -> dict[str, Any]:
    """Start an upload through the API and send the file to the presigned form, as a browser does."""
    status, body = call(
        "POST",
        "/v1/documents",
        owner=owner,
        body={"filename": filename, "content_type": content_type, "size_bytes": max(len(data), 1)},
    )
    assert status == 201, body
    form = body["upload"]
    posted = requests.post(
        form["url"], data=form["fields"], files={"file": (filename, data, content_type)}, timeout=10
    )
    assert posted.status_code in (200, 204), posted.text
    return body


def ingest(ticket: dict[str, Any], *, owner: str = "user-a") -> dict[str, Any]:
    """Run the ingestion workflow the upload event starts, then read the document back."""
    run_workflow(get_services().settings.documents_bucket, ticket["upload"]["fields"]["key"])
    owner_document = ticket["document"]
    status, document = call("GET", f"/v1/documents/{owner_document['id']}", owner=owner)
    assert status == 200
    return document


def ask(question: str, *, owner: str = "user-a") -> dict[str, Any]:
    status, body = call("POST", "/v1/chat", owner=owner, body={"message": question})
    assert status == 200, body
    return body


def bucket_keys(resources: LocalResources) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=resources.documents_bucket)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_uploaded_document_is_ingested_to_ready_with_its_chunks_counted(api: LocalResources) -> None:
    ticket = upload("espresso.md", GUIDE, "text/markdown")
    assert ticket["document"]["status"] == "PENDING"
    document = ingest(ticket)
    assert document["status"] == "READY"
    assert (
        document["chunk_count"] == len(get_services().rag.index.keyword_search("user-a", "espresso", 50)) > 0
    )


def test_a_documents_progress_shows_in_the_list_and_the_record(api: LocalResources) -> None:
    ticket = upload("espresso.md", GUIDE, "text/markdown")
    assert (ticket["document"]["chunks_embedded"], ticket["document"]["chunks_total"]) == (0, 0)
    document = ingest(ticket)
    _, listed = call("GET", "/v1/documents")

    assert document["chunks_embedded"] == document["chunks_total"] == document["chunk_count"]
    assert listed["documents"][0]["chunks_total"] == document["chunk_count"]


def test_chat_about_an_ingested_document_cites_it(api: LocalResources) -> None:
    document = ingest(upload("espresso.md", GUIDE, "text/markdown"))
    answer = ask("How long should the espresso shot be pulled?")
    assert answer["citations"]
    assert {c["document_id"] for c in answer["citations"]} == {document["id"]}
    assert any("twenty-eight seconds" in c["snippet"] for c in answer["citations"])


def test_deleting_a_document_removes_its_chunks_file_and_record(api: LocalResources) -> None:
    document = ingest(upload("espresso.md", GUIDE, "text/markdown"))
    status, _ = call("DELETE", f"/v1/documents/{document['id']}")
    assert status == 204
    assert call("GET", f"/v1/documents/{document['id']}")[0] == 404
    assert get_services().rag.index.keyword_search("user-a", "espresso shot seconds", 10) == []
    assert bucket_keys(api) == []
    assert ask("How long should the espresso shot be pulled?")["citations"] == []


def test_uploading_the_same_document_again_leaves_no_duplicate_chunks(api: LocalResources) -> None:
    first = ingest(upload("espresso.md", GUIDE, "text/markdown"))
    second = ingest(upload("espresso.md", GUIDE, "text/markdown"))
    assert second["id"] == first["id"]
    assert second["chunk_count"] == first["chunk_count"]
    found = get_services().rag.index.keyword_search("user-a", "grind beans salt", 50)
    assert len({hit.chunk.chunk_id for hit in found}) == len(found) == 1
    assert [d["id"] for d in call("GET", "/v1/documents")[1]["documents"]] == [first["id"]]


def test_corrupt_pdf_ends_failed_with_its_reason(api: LocalResources) -> None:
    document = ingest(upload("report.pdf", b"%PDF-1.7\n1 0 obj << /Type /Cat", "application/pdf"))
    assert document["status"] == "FAILED"
    assert "damaged PDF" in document["reason"]


def test_empty_file_ends_failed_with_its_reason(api: LocalResources) -> None:
    document = ingest(upload("blank.txt", b"\n \n", "text/plain"))
    assert document["status"] == "FAILED"
    assert "empty" in document["reason"]


def test_binary_content_behind_a_text_name_ends_failed_as_unsupported(api: LocalResources) -> None:
    document = ingest(upload("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/plain"))
    assert document["status"] == "FAILED"
    assert "not a text file" in document["reason"]


def test_a_failed_document_leaves_other_documents_ready(api: LocalResources) -> None:
    good = ingest(upload("espresso.md", GUIDE, "text/markdown"))
    ingest(upload("report.pdf", b"%PDF-1.7 broken", "application/pdf"))
    assert call("GET", f"/v1/documents/{good['id']}")[1]["status"] == "READY"


def test_another_users_documents_are_invisible_to_list_get_delete_and_retrieval(api: LocalResources) -> None:
    document = ingest(upload("espresso.md", GUIDE, "text/markdown", owner="user-a"))
    assert call("GET", "/v1/documents", owner="user-b")[1] == {"documents": []}
    assert call("GET", f"/v1/documents/{document['id']}", owner="user-b")[0] == 404
    assert call("DELETE", f"/v1/documents/{document['id']}", owner="user-b")[0] == 404
    assert ask("How long should the espresso shot be pulled?", owner="user-b")["citations"] == []
    assert call("GET", f"/v1/documents/{document['id']}", owner="user-a")[1]["status"] == "READY"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"filename": "big.txt", "content_type": "text/plain", "size_bytes": 10 * 1024 * 1024 + 1},
            "size_bytes",
        ),
        ({"filename": "slides.pptx", "content_type": "application/pdf", "size_bytes": 10}, "filename"),
        ({"filename": "notes.md", "content_type": "image/png", "size_bytes": 10}, "content_type"),
        ({"filename": "/.md", "content_type": "text/markdown", "size_bytes": 10}, "filename"),
        ({"filename": "a.txt", "content_type": "text/plain", "size_bytes": 0}, "size_bytes"),
        ({"filename": "a.txt", "content_type": "text/plain"}, "size_bytes"),
    ],
)
def test_invalid_upload_requests_are_refused_naming_the_field_and_store_nothing(
    api: LocalResources, body: dict[str, Any], field: str
) -> None:
    status, error = call("POST", "/v1/documents", body=body)
    assert status == 422
    assert error["error"]["field"] == field
    assert call("GET", "/v1/documents")[1] == {"documents": []}
    assert bucket_keys(api) == []


def test_malformed_json_is_refused_with_400(api: LocalResources) -> None:
    status, error = call("POST", "/v1/documents", raw_body='{"filename": ')
    assert status == 400
    assert error["error"]["field"] == "body"
    assert call("GET", "/v1/documents")[1] == {"documents": []}
