"""Amazon Bedrock's Rerank API (`bedrock-agent-runtime` `Rerank`): Cohere Rerank 3.5 or Amazon
Rerank 1.0 as the second stage of retrieval.

One call scores up to `MAX_SOURCES` inline text documents against the query. Failures map
to the domain's model errors, so retrieval falls back to its first-stage order instead of
failing the turn: throttling to `ModelThrottled`, anything else (no model access, a region
without the model, a bad request) to `ModelUnavailable`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.adapters.aws_errors import error_code
from lambdas.core.errors import ModelThrottled, ModelUnavailable
from lambdas.core.ports import Reranked

logger = logging.getLogger(__name__)

MAX_SOURCES = 1000
"""The API's limit on documents per call."""
_RETRY_LATER = frozenset({"ThrottlingException", "ServiceQuotaExceededException"})


class BedrockReranker:
    """Implements the Reranker port with a boto3 `bedrock-agent-runtime` client."""

    def __init__(self, client: Any, *, model_id: str, region: str, partition: str = "aws") -> None:
        self._client = client
        self.model_id = model_id
        self._model_arn = f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"

    def rerank(self, query: str, texts: Sequence[str], top_n: int) -> list[Reranked]:
        if not texts:
            return []
        request = {
            "queries": [{"type": "TEXT", "textQuery": {"text": query}}],
            "sources": [
                {"type": "INLINE", "inlineDocumentSource": {"type": "TEXT", "textDocument": {"text": text}}}
                for text in texts[:MAX_SOURCES]
            ],
            "rerankingConfiguration": {
                "type": "BEDROCK_RERANKING_MODEL",
                "bedrockRerankingConfiguration": {
                    "numberOfResults": max(1, min(top_n, len(texts), MAX_SOURCES)),
                    "modelConfiguration": {"modelArn": self._model_arn},
                },
            },
        }
        try:
            response = self._client.rerank(**request)
        except ClientError as error:
            code = error_code(error)
            logger.warning("rerank failed", extra={"model": self.model_id, "error": code})
            if code in _RETRY_LATER:
                raise ModelThrottled("reranking model throttled") from error
            raise ModelUnavailable(f"reranking model {self.model_id} unavailable ({code})") from error
        except BotoCoreError as error:
            logger.warning("rerank failed", extra={"model": self.model_id, "error": type(error).__name__})
            raise ModelUnavailable(f"reranking model {self.model_id} unreachable") from error
        results = sorted(response.get("results", []), key=lambda result: -float(result["relevanceScore"]))
        return [Reranked(int(result["index"]), float(result["relevanceScore"])) for result in results]
