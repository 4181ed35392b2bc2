"""Local-mode ingestion on moto: the task handlers in workflow order, the background queue, the
sample corpus, and the stand-in for S3's presigned upload endpoint."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
import uvicorn
from starlette.applications import Starlette

from lambdas.core.models import Document
from lambdas.settings import Settings
from lambdas.wiring import RagServices, build_services, get_services, use_services
from local.aws import LocalResources
from local.ingestion import LocalIngestion, ingest_files, run_workflow
from local.s3_upload import UPLOAD_PATH, UploadRefused, check_upload, process_secret_key, upload_route
from tests.support.ingestion_fakes import HashEmbedder

OWNER = "local-dev-user"
TEXT = b"# Kettle\n\nDescale the kettle with citric acid every month.\n"


def use_rag(embedder: Any, **settings: Any) -> None:
    configured = Settings(**settings)
    use_services(build_services(configured, rag=RagServices(configured, embedder=embedder)))


@pytest.fixture
def services(aws: LocalResources) -> Iterator[LocalResources]:
    use_rag(HashEmbedder())
    yield aws
    use_services(None)


def stage(filename: str = "kettle.md", data: bytes = TEXT) -> tuple[str, Document]:
    """A PENDING document with its object in the bucket, as right after a browser upload."""
    ticket = get_services().rag.documents.create_upload(OWNER, filename, "text/markdown", len(data))
    key = ticket.upload.fields["key"]
    boto3.client("s3").put_object(Bucket=get_services().settings.documents_bucket, Key=key, Body=data)
    return key, ticket.document


def status_of(document: Document) -> Document:
    return get_services().rag.documents.get(OWNER, document.id)


def test_workflow_runs_the_tasks_in_order_and_marks_the_document_ready(services: LocalResources) -> None:
    key, document = stage()
    run_workflow(services.documents_bucket, key)
    ready = status_of(document)
    assert (ready.status, ready.chunk_count) == ("READY", 1)
    assert (
        get_services().rag.index.keyword_search(OWNER, "citric acid", 5)[0].chunk.document_id == document.id
    )


def test_throttled_batches_are_retried_with_growing_waits(services: LocalResources) -> None:
    use_rag(HashEmbedder(throttle_calls=2))
    key, document = stage()
    waits: list[float] = []
    run_workflow(services.documents_bucket, key, sleep=waits.append)
    assert waits == [1.0, 2.0]
    assert status_of(document).status == "READY"


def test_throttling_that_outlasts_the_retries_ends_failed(services: LocalResources) -> None:
    use_rag(HashEmbedder(throttle_calls=99))
    key, document = stage()
    run_workflow(services.documents_bucket, key, sleep=lambda _: None)
    failed = status_of(document)
    assert (failed.status, failed.reason) == ("FAILED", "embedding model throttled")


def test_an_unexpected_error_ends_failed_without_internal_details(services: LocalResources) -> None:
    key, document = stage()
    boto3.client("s3").delete_object(Bucket=services.documents_bucket, Key=key)
    run_workflow(services.documents_bucket, key)
    failed = status_of(document)
    assert failed.status == "FAILED"
    assert failed.reason == "ingestion failed unexpectedly (NoSuchKey); try uploading the file again"


def test_queued_ingestion_moves_the_document_from_pending_to_ready(services: LocalResources) -> None:
    key, document = stage()
    assert status_of(document).status == "PENDING"
    LocalIngestion().submit(services.documents_bucket, key).result(timeout=60)
    assert status_of(document).status == "READY"


def test_sample_files_are_ingested_for_the_owner_and_replaced_on_restart(
    services: LocalResources, tmp_path: Path
) -> None:
    (tmp_path / "one.md").write_text("# One\n\nThe first sample mentions lighthouses.\n")
    (tmp_path / "two.md").write_text("# Two\n\nThe second sample mentions harbours.\n")
    paths = [tmp_path / "one.md", tmp_path / "two.md", tmp_path / "missing.md"]
    ingestion = LocalIngestion()
    for _ in range(2):
        for future in ingest_files(paths, owner=OWNER, s3_client=boto3.client("s3"), ingestion=ingestion):
            future.result(timeout=60)
    documents = get_services().rag.documents.list_for(OWNER)
    assert sorted((d.filename, d.status) for d in documents) == [("one.md", "READY"), ("two.md", "READY")]
    assert len(get_services().rag.index.keyword_search(OWNER, "lighthouses", 10)) == 1


def presigned_form(declared_size: int = 50) -> dict[str, Any]:
    """A form for a file declared `declared_size` bytes (the tests upload 50 unless they say otherwise)."""
    use_rag(HashEmbedder(), upload_endpoint_url=f"http://127.0.0.1:1{UPLOAD_PATH}", max_upload_bytes=1000)
    ticket = get_services().rag.documents.create_upload(OWNER, "kettle.md", "text/markdown", declared_size)
    return dict(ticket.upload.fields)


def test_a_signed_unexpired_form_within_its_conditions_is_accepted(services: LocalResources) -> None:
    check_upload("documents", presigned_form(), 50, secret_key=process_secret_key(), now=datetime.now(UTC))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda f: f.update(key=f["key"].replace("kettle", "other")), "AccessDenied"),
        (lambda f: f.update({"Content-Type": "text/html"}), "AccessDenied"),
        (lambda f: f.update(policy=f["policy"][:-4] + "AAAA"), "SignatureDoesNotMatch"),
    ],
)
def test_a_form_changed_after_signing_is_refused(services: LocalResources, change: Any, code: str) -> None:
    form = presigned_form()
    change(form)
    with pytest.raises(UploadRefused) as refused:
        check_upload("documents", form, 50, secret_key=process_secret_key(), now=datetime.now(UTC))
    assert (refused.value.status, refused.value.code) == (403, code)


def test_a_form_for_another_bucket_is_refused(services: LocalResources) -> None:
    with pytest.raises(UploadRefused, match="bucket"):
        check_upload(
            "elsewhere", presigned_form(), 50, secret_key=process_secret_key(), now=datetime.now(UTC)
        )


def test_a_file_over_the_size_limit_is_refused(services: LocalResources) -> None:
    with pytest.raises(UploadRefused) as refused:
        check_upload(
            "documents", presigned_form(100), 101, secret_key=process_secret_key(), now=datetime.now(UTC)
        )
    assert (refused.value.status, refused.value.code) == (400, "EntityTooLarge")


def test_a_file_smaller_than_declared_is_refused(services: LocalResources) -> None:
    with pytest.raises(UploadRefused) as refused:
        check_upload(
            "documents", presigned_form(100), 99, secret_key=process_secret_key(), now=datetime.now(UTC)
        )
    assert (refused.value.status, refused.value.code) == (400, "EntityTooSmall")


def test_an_expired_form_is_refused(services: LocalResources) -> None:
    later = datetime.now(UTC) + timedelta(hours=2)
    with pytest.raises(UploadRefused, match="expired"):
        check_upload("documents", presigned_form(), 50, secret_key=process_secret_key(), now=later)


def test_a_form_signed_with_another_secret_is_refused(services: LocalResources) -> None:
    with pytest.raises(UploadRefused, match="signature"):
        check_upload("documents", presigned_form(), 50, secret_key="not-the-secret", now=datetime.now(UTC))


@pytest.fixture
def upload_server(services: LocalResources) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """The upload route on a loopback port; records the uploads it hands to ingestion."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started: list[tuple[str, str]] = []
    route = upload_route(
        s3_client=lambda: boto3.client("s3"),
        secret_key=process_secret_key,
        on_uploaded=lambda bucket, key: started.append((bucket, key)),
    )
    server = uvicorn.Server(
        uvicorn.Config(Starlette(routes=[route]), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}{UPLOAD_PATH}", started
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.network
def test_a_browser_upload_is_stored_and_starts_ingestion(
    services: LocalResources, upload_server: tuple[str, list[tuple[str, str]]]
) -> None:
    endpoint, started = upload_server
    use_rag(HashEmbedder(), upload_endpoint_url=endpoint)
    ticket = get_services().rag.documents.create_upload(OWNER, "kettle.md", "text/markdown", len(TEXT))
    posted = requests.post(
        ticket.upload.url, data=dict(ticket.upload.fields), files={"file": ("kettle.md", TEXT)}, timeout=10
    )
    assert posted.status_code == 204
    key = ticket.upload.fields["key"]
    assert started == [(services.documents_bucket, key)]
    stored = boto3.client("s3").get_object(Bucket=services.documents_bucket, Key=key)
    assert (stored["Body"].read(), stored["ContentType"]) == (TEXT, "text/markdown")


@pytest.mark.network
def test_a_refused_browser_upload_stores_nothing(
    services: LocalResources, upload_server: tuple[str, list[tuple[str, str]]]
) -> None:
    endpoint, started = upload_server
    use_rag(HashEmbedder(), upload_endpoint_url=endpoint, max_upload_bytes=10)
    ticket = get_services().rag.documents.create_upload(OWNER, "kettle.md", "text/markdown", 10)
    posted = requests.post(
        ticket.upload.url, data=dict(ticket.upload.fields), files={"file": ("kettle.md", TEXT)}, timeout=10
    )
    assert posted.status_code == 400
    assert "<Code>EntityTooLarge</Code>" in posted.text
    assert started == []
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=services.documents_bucket)
