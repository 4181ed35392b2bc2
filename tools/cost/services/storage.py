"""DynamoDB, the vector store (OpenSearch Serverless or S3 Vectors) and S3."""

from __future__ import annotations

import math

from tools.cost.items import GIB, TIB, LineItem, per_million, usd
from tools.cost.prices import AwsPrices, ServicePrices
from tools.cost.scenario import CHUNK_CHARS, Scenario, Volumes

QUESTION_BYTES = 500
TURN_ITEMS_BELOW_1KB = 3
"""Conversation, question and daily usage items of a turn's transaction."""
TURN_READ_UNITS = 3
"""Strongly consistent reads: the conversation (1) and a history page of up to 8 KB (2)."""
DOCUMENT_WRITE_UNITS = 4
"""Document record put, then PROCESSING, READY and chunk count updates."""
DOCUMENT_READ_UNITS = 3
VECTOR_METADATA_BYTES = 200
"""Owner, document id, title and heading stored beside each vector."""
FILTERABLE_METADATA_BYTES = 100


def dynamodb(volumes: Volumes, prices: ServicePrices) -> LineItem:
    # A turn is one transaction of four items; transactional writes cost two units per KB of each item.
    answer_units = math.ceil(volumes.answer_bytes / 1024)
    turn_write_units = 2 * (TURN_ITEMS_BELOW_1KB + answer_units)
    writes = volumes.requests * turn_write_units + volumes.documents * DOCUMENT_WRITE_UNITS
    reads = volumes.requests * TURN_READ_UNITS + volumes.documents * DOCUMENT_READ_UNITS
    stored_gb = volumes.requests * (QUESTION_BYTES + volumes.answer_bytes) / GIB
    write_price = prices["write_request_units_per_million"]
    read_price = prices["read_request_units_per_million"]
    return LineItem(
        "DynamoDB (on-demand)",
        per_million(writes, write_price)
        + per_million(reads, read_price)
        + stored_gb * prices["storage_gb_month"],
        (
            f"per turn: one transaction of 4 items, answer {volumes.answer_bytes:,} bytes "
            f"= {turn_write_units} write units; {TURN_READ_UNITS} read units",
            f"per document: {DOCUMENT_WRITE_UNITS} write and {DOCUMENT_READ_UNITS} read units",
            f"{writes:,.0f} write units at {usd(write_price)} per million, "
            f"{reads:,.0f} read units at {usd(read_price)} per million",
            f"storage: this month's messages, {stored_gb:,.2f} GB at {usd(prices['storage_gb_month'])} per GB-month",
        ),
    )


def vector_store(scenario: Scenario, volumes: Volumes, aws: AwsPrices) -> LineItem:
    if not scenario.retrieval:
        return LineItem("Vector store", 0.0, ("retrieval off: no vector store deployed",))
    if scenario.vector_backend == "opensearch":
        return opensearch(scenario, volumes, aws)
    return s3_vectors(scenario, volumes, aws["s3_vectors"])


def opensearch_floor_usd(aws: AwsPrices, *, standby_replicas: bool) -> float:
    """What an idle OpenSearch Serverless vector collection costs a month."""
    key = "with_standby_replicas" if standby_replicas else "without_standby_replicas"
    return aws.opensearch_minimum_ocus[key] * aws.hours_per_month * aws["opensearch_serverless"]["ocu_hour"]


def opensearch(scenario: Scenario, volumes: Volumes, aws: AwsPrices) -> LineItem:
    prices = aws["opensearch_serverless"]
    minimum = aws.opensearch_minimum_ocus
    ocus = minimum["with_standby_replicas" if scenario.standby_replicas else "without_standby_replicas"]
    floor = opensearch_floor_usd(aws, standby_replicas=scenario.standby_replicas)
    vector_bytes = scenario.embedding_dimensions * 4
    stored_gb = volumes.stored_chunks * (vector_bytes + CHUNK_CHARS + VECTOR_METADATA_BYTES) / GIB
    hours = aws.hours_per_month
    return LineItem(
        "OpenSearch Serverless",
        floor + stored_gb * prices["storage_gb_month"],
        (
            f"minimum capacity, billed even when idle: {ocus:g} OCU x {hours:g} h x {usd(prices['ocu_hour'])} "
            f"= ${floor:,.2f}",
            f"with standby replicas (production): {minimum['with_standby_replicas']:g} OCU = "
            f"${opensearch_floor_usd(aws, standby_replicas=True):,.2f}; without (dev): "
            f"{minimum['without_standby_replicas']:g} OCU = ${opensearch_floor_usd(aws, standby_replicas=False):,.2f}",
            "this traffic is assumed to fit the minimum; heavier indexing or search adds OCUs",
            f"storage: {volumes.stored_chunks:,} chunks with {vector_bytes:,}-byte vectors = {stored_gb:,.2f} GB "
            f"at {usd(prices['storage_gb_month'])} per GB-month",
        ),
        idle_usd=floor,
    )


def s3_vectors(scenario: Scenario, volumes: Volumes, prices: ServicePrices) -> LineItem:
    vector_bytes = scenario.embedding_dimensions * 4
    item_bytes = vector_bytes + CHUNK_CHARS + VECTOR_METADATA_BYTES
    stored_gb = volumes.stored_chunks * item_bytes / GIB
    put_gb = volumes.documents * volumes.chunks_per_document * item_bytes / GIB
    # A query is billed on the vectors and filterable metadata of the whole index it searches.
    processed_tb = volumes.requests * volumes.stored_chunks * (vector_bytes + FILTERABLE_METADATA_BYTES) / TIB
    cost = (
        stored_gb * prices["storage_gb_month"]
        + put_gb * prices["put_per_gb"]
        + per_million(volumes.requests, prices["queries_per_million"])
        + processed_tb * prices["query_data_per_tb"]
    )
    return LineItem(
        "S3 Vectors",
        cost,
        (
            f"storage: {volumes.stored_chunks:,} vectors of {item_bytes:,} bytes with metadata = "
            f"{stored_gb:,.2f} GB at {usd(prices['storage_gb_month'])} per GB-month",
            f"PUT: this month's {put_gb:,.3f} GB at {usd(prices['put_per_gb'])} per GB",
            f"queries: {volumes.requests:,.0f} at {usd(prices['queries_per_million'])} per million, "
            f"{processed_tb:,.2f} TB processed at {usd(prices['query_data_per_tb'])} per TB",
            "no idle cost",
        ),
    )


def s3(scenario: Scenario, volumes: Volumes, prices: ServicePrices) -> LineItem:
    batches = volumes.batches_per_document
    puts = volumes.documents * (2 + 2 * batches)
    gets = volumes.documents * (2 + 3 * batches)
    stored_gb = scenario.stored_documents * scenario.average_document_kb * 1024 / GIB
    return LineItem(
        "S3",
        stored_gb * prices["storage_gb_month"]
        + puts / 1000 * prices["put_per_thousand"]
        + gets / 1000 * prices["get_per_thousand"],
        (
            f"storage: {scenario.stored_documents:,} originals of {scenario.average_document_kb:g} KB = "
            f"{stored_gb:,.2f} GB at {usd(prices['storage_gb_month'])} per GB-month",
            f"per document: upload, old-batch listing, then chunks and vectors per batch = {2 + 2 * batches} "
            f"PUT-class requests; extract, summary and 3 per batch = {2 + 3 * batches} GET",
        ),
    )
