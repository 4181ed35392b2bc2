"""Ingestion task 2 (one Map iteration): embed one batch of chunks.

Raises ModelThrottled when the embedding model throttles; the state machine retries
that error name with backoff.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.wiring import get_services

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Input: one item of the extract task's `batches`, `{"key": ...}`."""
    batch_key = str(event["key"])
    vectors_key = get_services().rag.ingestion.embed_batch(batch_key)
    logger.info("batch embedded", extra={"batch": batch_key})
    return {"key": batch_key, "vectors_key": vectors_key}
