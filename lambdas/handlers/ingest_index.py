"""Ingestion task 3: replace the document's chunks and vectors in the index (idempotent)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.core.ingestion import ExtractedDocument
from lambdas.wiring import get_services

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Input: the extract task's output `{document_id, owner, batches: [{"key"}...]}`
    (the Map's results may be discarded: vector keys follow from batch keys)."""
    document = ExtractedDocument.from_state(event)
    chunk_count = get_services().rag.ingestion.index_document(document)
    logger.info("document indexed", extra={"document_id": document.document_id, "chunks": chunk_count})
    return {"document_id": document.document_id, "owner": document.owner, "chunk_count": chunk_count}
