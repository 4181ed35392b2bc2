"""The upload sweep on the DynamoDB and S3 adapters: abandoned uploads end FAILED, others stay."""

from __future__ import annotations

import base64
import json

import boto3
import pytest

from lambdas.adapters.dynamodb_documents import DynamoDBDocumentStore
from lambdas.adapters.s3 import S3ObjectStore
from lambdas.core.documents import ABANDONED_UPLOAD_REASON, UPLOAD_GRACE_SECONDS, DocumentService
from lambdas.handlers.upload_sweep import handler
from lambdas.settings import Settings
from lambdas.wiring import build_services, use_services
from local.aws import LocalResources
from tests.support.events import FakeLambdaContext
from tests.support.fakes import FixedClock, SequentialIds
from tests.support.ingestion_fakes import InMemoryChunkIndex

EXPIRY_SECONDS = 900


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def service(aws: LocalResources, clock: FixedClock) -> DocumentService:
    store = DynamoDBDocumentStore(boto3.resource("dynamodb").Table(aws.documents_table), clock)
    objects = S3ObjectStore(boto3.client("s3"), aws.documents_bucket)
    return DocumentService(
        store=store,
        objects=objects,
        index=InMemoryChunkIndex(),
        clock=clock,
        ids=SequentialIds(),
        max_upload_bytes=1000,
        upload_expiry_seconds=EXPIRY_SECONDS,
    )


def test_only_the_upload_that_never_arrived_ends_failed(
    aws: LocalResources, service: DocumentService, clock: FixedClock
) -> None:
    lost = service.create_upload("alice", "lost.txt", "text/plain", 5)
    arrived = service.create_upload("bob", "arrived.txt", "text/plain", 5)
    boto3.client("s3").put_object(
        Bucket=aws.documents_bucket, Key=arrived.upload.fields["key"], Body=b"hello"
    )
    clock.advance(EXPIRY_SECONDS + UPLOAD_GRACE_SECONDS)

    failed = service.fail_abandoned_uploads()

    assert [d.id for d in failed] == [lost.document.id]
    assert service.get("alice", lost.document.id).reason == ABANDONED_UPLOAD_REASON
    assert service.get("bob", arrived.document.id).status == "PENDING"


def test_the_scheduled_handler_reports_how_many_it_failed(aws: LocalResources) -> None:
    use_services(build_services(Settings()))
    try:
        assert handler({}, FakeLambdaContext()) == {"failed": 0}
    finally:
        use_services(None)


def test_the_presigned_form_allows_exactly_the_declared_size(aws: LocalResources) -> None:
    upload = S3ObjectStore(boto3.client("s3"), aws.documents_bucket).presigned_upload(
        "uploads/alice/d1/a.txt", content_type="text/plain", size_bytes=10, expires_in_seconds=60
    )

    policy = json.loads(base64.b64decode(upload.fields["policy"]))
    assert ["content-length-range", 10, 10] in policy["conditions"]
