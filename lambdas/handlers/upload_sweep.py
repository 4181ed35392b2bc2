"""Scheduled: mark FAILED the documents whose upload never arrived (see DocumentService)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.handlers.observability import logger
from lambdas.wiring import get_services


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    failed = get_services().rag.documents.fail_abandoned_uploads()
    if failed:
        logger.info("abandoned uploads marked FAILED", extra={"count": len(failed)})
    return {"failed": len(failed)}
