"""Amazon Titan Text Embeddings v2 on Bedrock `InvokeModel`.

Titan v2 embeds one text per call, so a batch is a set of calls run on a small thread pool:
a batch of 32 chunks takes about the time of 8 calls instead of 32, while the number of
requests in flight stays low enough not to invite throttling. Timeouts and quick retries
belong to the injected client (botocore `Config`); a throttle that outlasts them becomes
`ModelThrottled`, which the ingestion workflow retries with backoff.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.adapters.aws_errors import error_code
from lambdas.adapters.bedrock import NO_MODEL_ACCESS, no_model_access
from lambdas.core.errors import ModelThrottled, ModelUnavailable

logger = logging.getLogger(__name__)

TITAN_V2_DIMENSIONS = (256, 512, 1024)
# Errors that pass with time: the workflow's retry-with-backoff (on ModelThrottled) handles them.
_RETRY_LATER = frozenset(
    {
        "ThrottlingException",
        "ServiceQuotaExceededException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
    }
)


class TitanEmbedder:
    """`Embedder` backed by a boto3 `bedrock-runtime` client.

    Vectors are normalised by the model (`normalize: true`), so a dot product is their cosine.
    """

    def __init__(
        self,
        client: Any,
        *,
        model_id: str = "amazon.titan-embed-text-v2:0",
        dimensions: int = 1024,
        concurrency: int = 4,
    ) -> None:
        if dimensions not in TITAN_V2_DIMENSIONS:
            raise ValueError(f"Titan Text Embeddings v2 makes vectors of 256, 512 or 1024, not {dimensions}")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._client = client
        self.model_id = model_id
        self.dimensions = dimensions
        self._concurrency = concurrency

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in the order of `texts`."""
        if len(texts) <= 1 or self._concurrency == 1:
            return [self.embed_query(text) for text in texts]
        with ThreadPoolExecutor(max_workers=min(self._concurrency, len(texts))) as pool:
            # map() yields in input order; the first failure is raised here and the rest are awaited.
            return list(pool.map(self.embed_query, texts))

    def embed_query(self, text: str) -> list[float]:
        body = json.dumps({"inputText": text, "dimensions": self.dimensions, "normalize": True})
        try:
            response = self._client.invoke_model(
                modelId=self.model_id, body=body, contentType="application/json", accept="application/json"
            )
        except ClientError as error:
            raise self._domain_error(error) from error
        except BotoCoreError as error:
            logger.warning("Bedrock embedding call failed: %s", type(error).__name__)
            raise ModelUnavailable(
                f"Amazon Bedrock did not answer in time for {self.model_id}; try again shortly."
            ) from error
        payload = json.loads(response["body"].read())
        vector = [float(value) for value in payload["embedding"]]
        if len(vector) != self.dimensions:
            raise ModelUnavailable(
                f"{self.model_id} returned {len(vector)} dimensions, not {self.dimensions}"
            )
        return vector

    def _domain_error(self, error: ClientError) -> Exception:
        code = error_code(error)
        logger.warning("Bedrock rejected the embedding call for %s: %s", self.model_id, code)
        if code in _RETRY_LATER:
            return ModelThrottled(
                f"Amazon Bedrock is busy for {self.model_id} ({code}); try again in a few seconds."
            )
        if code in NO_MODEL_ACCESS:
            return no_model_access(self.model_id, self._client.meta.region_name)
        return ModelUnavailable(f"Amazon Bedrock could not embed with {self.model_id} ({code}).")
