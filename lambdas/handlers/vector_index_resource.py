"""CloudFormation custom resource `Custom::VectorIndex`: the chunk index of the OpenSearch
Serverless collection, created from `lambdas.adapters.opensearch.index_definition`.

CloudFormation invokes this function directly (see `stacks/constructs/vectors.py`), so it
answers by PUTting the result to the event's presigned `ResponseURL`, on failure as well:
a handler that dies without answering leaves the stack waiting for an hour.

- Create: create the index unless it exists (an index kept from an earlier deployment is
  adopted when its dimension matches), then wait until a search on it succeeds.
- Update: a new `IndexName` creates that index and becomes the new physical id, so
  CloudFormation then deletes the old one (Delete below). A new `Dimensions` under the same
  name fails: a k-NN field cannot change its dimension and every stored vector would be
  unusable, so a new dimension needs a new index name (and the documents ingested again).
  Anything else changes nothing.
- Delete: delete the index, unless `RetainOnDelete` is "true" (production keeps its data).

The collection's data-access policy is created just before this resource and takes up to a
minute to apply, so 403 answers are retried until the function is about to time out.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.adapters.opensearch import OpenSearchError, OpenSearchIndexes
from lambdas.core.ports import RemainingTime

logger = Logger()

POLL_SECONDS = 5.0
SAFETY_MARGIN_MS = 30_000
"""Time kept to send the response before Lambda stops the function."""
NOT_CREATED = "not-created:"
"""Physical id of a resource whose Create failed: its rollback Delete has nothing to delete."""

Send = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class IndexProperties:
    endpoint: str
    name: str
    dimensions: int
    retain_on_delete: bool

    @classmethod
    def parse(cls, properties: dict[str, Any]) -> IndexProperties:
        return cls(
            endpoint=str(properties["Endpoint"]),
            name=str(properties["IndexName"]),
            dimensions=int(properties["Dimensions"]),
            retain_on_delete=str(properties.get("RetainOnDelete", "false")).lower() == "true",
        )


class IndexLifecycle:
    """What each CloudFormation request type does to the index; returns the physical id."""

    def __init__(
        self,
        indexes: OpenSearchIndexes,
        time_left: RemainingTime,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._indexes = indexes
        self._time_left = time_left
        self._sleep = sleep

    def create(self, wanted: IndexProperties) -> str:
        self._poll(lambda: self._create_if_absent(wanted), f"index {wanted.name} to be created")
        self._poll(lambda: self._indexes.queryable(wanted.name), f"index {wanted.name} to answer searches")
        return wanted.name

    def update(self, wanted: IndexProperties, previous: IndexProperties) -> str:
        if wanted.name == previous.name and wanted.dimensions != previous.dimensions:
            raise ValueError(
                f"index {wanted.name} holds {previous.dimensions}-dimension vectors; to use "
                f"{wanted.dimensions} dimensions, give the index a new name (opensearchIndex) and ingest "
                "the documents again"
            )
        return self.create(wanted)

    def delete(self, physical_id: str, properties: IndexProperties) -> None:
        if physical_id.startswith(NOT_CREATED):
            return
        if properties.retain_on_delete:
            logger.info("index retained", extra={"index": physical_id})
            return
        self._poll(lambda: self._deleted(physical_id), f"index {physical_id} to be deleted")

    def _create_if_absent(self, wanted: IndexProperties) -> bool:
        if not self._indexes.exists(wanted.name):
            self._indexes.create(wanted.name, wanted.dimensions)
            logger.info("index created", extra={"index": wanted.name, "dimensions": wanted.dimensions})
            return True
        existing = self._indexes.dimensions(wanted.name)
        if existing != wanted.dimensions:
            raise ValueError(
                f"index {wanted.name} already exists with {existing}-dimension vectors, not "
                f"{wanted.dimensions}: delete it or choose another index name"
            )
        logger.info("existing index adopted", extra={"index": wanted.name})
        return True

    def _deleted(self, name: str) -> bool:
        self._indexes.delete(name)
        return True

    def _poll(self, step: Callable[[], bool], waiting_for: str) -> None:
        """Run `step` until it returns True, retrying access denials while the data-access
        policy propagates; give up while there is still time to answer CloudFormation."""
        while True:
            try:
                if step():
                    return
            except OpenSearchError as error:
                if error.status != 403:
                    raise
                logger.info(
                    "access denied, waiting for the data-access policy", extra={"waiting_for": waiting_for}
                )
            if self._time_left.get_remaining_time_in_millis() - POLL_SECONDS * 1000 < SAFETY_MARGIN_MS:
                raise TimeoutError(f"gave up waiting for {waiting_for}")
            self._sleep(POLL_SECONDS)


def handle(event: dict[str, Any], lifecycle_for: Callable[[str], IndexLifecycle]) -> dict[str, Any]:
    """The custom-resource response for `event` (`lifecycle_for` builds the lifecycle for the
    collection endpoint the properties name); never raises."""
    request_type = event["RequestType"]
    physical_id = event.get("PhysicalResourceId") or f"{NOT_CREATED}{event['RequestId']}"
    try:
        properties = IndexProperties.parse(event["ResourceProperties"])
        lifecycle = lifecycle_for(properties.endpoint)
        if request_type == "Create":
            physical_id = lifecycle.create(properties)
        elif request_type == "Update":
            physical_id = lifecycle.update(properties, IndexProperties.parse(event["OldResourceProperties"]))
        else:
            lifecycle.delete(physical_id, properties)
    except Exception as error:  # every failure must reach CloudFormation as FAILED
        logger.exception("vector index request failed", extra={"request_type": request_type})
        return _response(event, "FAILED", physical_id, reason=f"{type(error).__name__}: {error}")
    return _response(event, "SUCCESS", physical_id, data={"IndexName": properties.name})


def put_response(url: str, response: dict[str, Any]) -> None:
    """PUT the response to CloudFormation's presigned S3 URL (no content type: it is signed without one)."""
    body = json.dumps(response).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is CloudFormation's https response URL
        url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        logger.info("response sent", extra={"status": answer.status})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    response = handle(event, lambda endpoint: IndexLifecycle(_indexes(endpoint), context))
    put_response(event["ResponseURL"], response)


def _indexes(endpoint: str) -> OpenSearchIndexes:
    import boto3

    from lambdas.adapters.signed_http import SigV4Transport

    session = boto3.Session()
    return OpenSearchIndexes(
        SigV4Transport(
            endpoint, service="aoss", region=session.region_name, credentials=session.get_credentials()
        )
    )


def _response(
    event: dict[str, Any],
    status: str,
    physical_id: str,
    *,
    reason: str = "",
    data: dict[str, str] | None = None,
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "Status": status,
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": data or {},
    }
    if reason:
        # CloudFormation shows the reason in the stack events and refuses responses over 4 KB.
        response["Reason"] = reason[:1000]
    return response
