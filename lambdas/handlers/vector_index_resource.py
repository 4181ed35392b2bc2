"""CloudFormation custom resource `Custom::VectorIndex`: the chunk index of the OpenSearch
Serverless collection, created from `lambdas.adapters.opensearch.index_definition`.

Two handlers of CDK's Provider framework (see `stacks/constructs/vectors.py`), which answers
CloudFormation itself: `on_event` decides the physical id without calling the collection, then
the framework calls `is_complete` every few seconds until it returns `IsComplete: true`, raises
(the resource fails with its message) or the provider's total timeout passes. The collection's
data-access policy is created just before this resource and takes up to a minute to apply, so a
403 answer means "not complete yet", never a failure.

- Create: the index is created unless it exists (an index kept from an earlier deployment is
  adopted when its dimension matches, refused otherwise); complete once a search on it succeeds.
- Update: a new `IndexName` creates that index and becomes the new physical id, so
  CloudFormation then deletes the old one (Delete below). A new `Dimensions` under the same
  name fails: a k-NN field cannot change its dimension and every stored vector would be
  unusable, so a new dimension needs a new index name (and the documents ingested again).
  Anything else changes nothing.
- Delete: delete the index, unless `RetainOnDelete` is "true" (production keeps its data) or the
  index holds vectors of another dimension (an index a failed Create refused to adopt is kept).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.adapters.opensearch import OpenSearchError, OpenSearchIndexes

logger = Logger()

ACCESS_DENIED = 403


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


def start(event: dict[str, Any]) -> dict[str, Any]:
    """The `on_event` answer: the physical id and the index name; refuses what cannot be done."""
    wanted = IndexProperties.parse(event["ResourceProperties"])
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    if event["RequestType"] == "Update":
        previous = IndexProperties.parse(event["OldResourceProperties"])
        if wanted.name == previous.name and wanted.dimensions != previous.dimensions:
            raise ValueError(
                f"index {wanted.name} holds {previous.dimensions}-dimension vectors; to use "
                f"{wanted.dimensions} dimensions, give the index a new name (opensearchIndex) and ingest "
                "the documents again"
            )
    return {"PhysicalResourceId": wanted.name, "Data": {"IndexName": wanted.name}}


class IndexLifecycle:
    """Idempotent steps towards the index an event asks for, repeated until complete."""

    def __init__(self, indexes: OpenSearchIndexes) -> None:
        self._indexes = indexes

    def ensure(self, wanted: IndexProperties) -> bool:
        if not self._indexes.exists(wanted.name):
            self._indexes.create(wanted.name, wanted.dimensions)
            logger.info("index created", extra={"index": wanted.name, "dimensions": wanted.dimensions})
        else:
            existing = self._indexes.dimensions(wanted.name)
            if existing != wanted.dimensions:
                raise ValueError(
                    f"index {wanted.name} already exists with {existing}-dimension vectors, not "
                    f"{wanted.dimensions}: delete it or choose another index name"
                )
        return self._indexes.queryable(wanted.name)

    def remove(self, name: str, described: IndexProperties) -> None:
        if described.retain_on_delete:
            logger.info("index retained", extra={"index": name})
        elif not self._indexes.exists(name):
            logger.info("index already absent", extra={"index": name})
        elif self._indexes.dimensions(name) != described.dimensions:
            logger.warning("index kept: it is not the one this resource created", extra={"index": name})
        else:
            self._indexes.delete(name)
            logger.info("index deleted", extra={"index": name})


def check(event: dict[str, Any], lifecycle_for: Callable[[str], IndexLifecycle]) -> dict[str, Any]:
    """The `is_complete` answer for the event `on_event` was given, merged with its answer."""
    wanted = IndexProperties.parse(event["ResourceProperties"])
    lifecycle = lifecycle_for(wanted.endpoint)
    try:
        if event["RequestType"] == "Delete":
            lifecycle.remove(event["PhysicalResourceId"], wanted)
            return {"IsComplete": True}
        return {"IsComplete": lifecycle.ensure(wanted)}
    except OpenSearchError as error:
        if error.status != ACCESS_DENIED:
            raise
        logger.info("access denied, waiting for the data-access policy", extra={"index": wanted.name})
        return {"IsComplete": False}


@logger.inject_lambda_context
def on_event(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return start(event)


@logger.inject_lambda_context
def is_complete(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return check(event, lambda endpoint: IndexLifecycle(_indexes(endpoint)))


def _indexes(endpoint: str) -> OpenSearchIndexes:
    import boto3

    from lambdas.adapters.signed_http import SigV4Transport

    session = boto3.Session()
    return OpenSearchIndexes(
        SigV4Transport(
            endpoint, service="aoss", region=session.region_name, credentials=session.get_credentials()
        )
    )
