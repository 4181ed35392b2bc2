"""Ingestion task 1: extract and chunk an uploaded document into batches (Step Functions task)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.wiring import get_services

logger = Logger()
tracer = Tracer()


def upload_location(event: Mapping[str, Any]) -> tuple[str, str]:
    """(bucket, key) from an S3 "Object Created" EventBridge event or a plain {bucket, key}.

    Upload keys use only [A-Za-z0-9._/-], so the key needs no URL decoding.
    """
    if "detail" in event:
        return str(event["detail"]["bucket"]["name"]), str(event["detail"]["object"]["key"])
    return str(event["bucket"]), str(event["key"])


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    services = get_services()
    bucket, key = upload_location(event)
    if bucket != services.settings.documents_bucket:
        raise ValueError(f"event for bucket {bucket}, expected {services.settings.documents_bucket}")
    extracted = services.rag.ingestion.extract_and_chunk(key)
    logger.info(
        "document chunked",
        extra={"document_id": extracted.document_id, "batches": len(extracted.batch_keys)},
    )
    return extracted.as_state()
