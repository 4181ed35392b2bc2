"""Lambda, API Gateway and Step Functions: billed per request, per GB-second, per transition."""

from __future__ import annotations

import math

from tools.cost.items import LineItem, per_million, usd
from tools.cost.prices import ServicePrices
from tools.cost.scenario import EMBED_BATCH_SIZE, Scenario, Volumes

EXTRACT_SECONDS, EXTRACT_MEMORY_GB = 5.0, 1.0
EMBED_SECONDS, INDEX_SECONDS, INGEST_MEMORY_GB = 2.0, 2.0, 0.5
REST_CALLS_PER_DOCUMENT = 2
"""Upload URL, then one status read."""
REST_CALLS_PER_PAGE_LOAD = 3
"""Conversations, documents and usage, listed when the page opens."""
PAGE_LOADS_PER_USER = 20
"""Times a monthly active user opens the page in a month."""
TOKENS_PER_STREAM_FRAME = 5
"""Model stream deltas are forwarded as they come, a few tokens each."""
CONNECTION_MINUTES_PER_REQUEST = 1.0
INGESTION_FIXED_TRANSITIONS = 7
"""ParseUpload, MarkProcessing, Extract, EmbedBatches, Index, MarkReady, end."""
SUMMARY_TRANSITIONS = 6
"""ReadIngestionResult, HasText, ReadFirstBatch, CollectPassages, Summarise, SaveSummary."""


def rest_calls(scenario: Scenario, volumes: Volumes) -> float:
    """REST API calls a month: chat (unless streamed) plus `other_rest_calls`."""
    chat = 0.0 if scenario.streaming else volumes.requests
    return chat + other_rest_calls(scenario, volumes)


def other_rest_calls(scenario: Scenario, volumes: Volumes) -> float:
    """Document uploads and status reads, and the listings each page load makes."""
    pages = scenario.monthly_active_users * PAGE_LOADS_PER_USER * REST_CALLS_PER_PAGE_LOAD
    return volumes.documents * REST_CALLS_PER_DOCUMENT + pages


def lambda_functions(scenario: Scenario, volumes: Volumes, prices: ServicePrices) -> LineItem:
    memory_gb = scenario.lambda_memory_mb / 1024
    chat_gb_seconds = volumes.requests * scenario.lambda_duration_ms / 1000 * memory_gb
    per_document_gb_seconds = (
        EXTRACT_SECONDS * EXTRACT_MEMORY_GB
        + (volumes.batches_per_document * EMBED_SECONDS + INDEX_SECONDS) * INGEST_MEMORY_GB
    )
    ingest_invocations = volumes.documents * (2 + volumes.batches_per_document)
    # A streamed answer also runs the WebSocket authorizer when its connection opens.
    chat_invocations = volumes.requests * (2 if scenario.streaming else 1)
    other_invocations = other_rest_calls(scenario, volumes)
    invocations = chat_invocations + ingest_invocations + other_invocations
    gb_seconds = chat_gb_seconds + volumes.documents * per_document_gb_seconds
    gb_second_price = prices[f"{scenario.lambda_architecture}_gb_second"]
    return LineItem(
        "Lambda",
        per_million(invocations, prices["requests_per_million"]) + gb_seconds * gb_second_price,
        (
            f"chat: one invocation per request at {scenario.lambda_memory_mb} MB for "
            f"{scenario.lambda_duration_ms:,.0f} ms (mostly waiting on the model) = {chat_gb_seconds:,.0f} GB-s"
            + (", plus the WebSocket authorizer" if scenario.streaming else ""),
            f"ingestion: extract ({EXTRACT_MEMORY_GB:g} GB, {EXTRACT_SECONDS:g} s), one embed per batch of "
            f"{EMBED_BATCH_SIZE} chunks and one index ({INGEST_MEMORY_GB:g} GB, {EMBED_SECONDS:g} s each) "
            f"= {ingest_invocations:,.0f} invocations",
            f"other REST calls (documents, page loads): {other_invocations:,.0f} short invocations",
            f"{invocations:,.0f} invocations at {usd(prices['requests_per_million'])} per million, "
            f"{gb_seconds:,.0f} GB-s at {usd(gb_second_price)} ({scenario.lambda_architecture})",
        ),
    )


def api_gateway(scenario: Scenario, volumes: Volumes, prices: ServicePrices) -> LineItem:
    rest = rest_calls(scenario, volumes)
    rest_price = prices["rest_requests_per_million"]
    rest_note = (
        f"REST API: {'' if scenario.streaming else 'one call per chat request, '}"
        f"{REST_CALLS_PER_DOCUMENT} per document, {REST_CALLS_PER_PAGE_LOAD} per page load "
        f"({PAGE_LOADS_PER_USER} loads per active user) = {rest:,.0f} calls at {usd(rest_price)} per million"
    )
    if not scenario.streaming:
        return LineItem("API Gateway", per_million(rest, rest_price), (rest_note,))
    frames = 2 + math.ceil(scenario.output_tokens / TOKENS_PER_STREAM_FRAME)
    messages = volumes.requests * frames
    minutes = volumes.requests * CONNECTION_MINUTES_PER_REQUEST
    message_price = prices["websocket_messages_per_million"]
    minute_price = prices["websocket_connection_minutes_per_million"]
    return LineItem(
        "API Gateway",
        per_million(rest, rest_price)
        + per_million(messages, message_price)
        + per_million(minutes, minute_price),
        (
            f"WebSocket: the question, a frame per {TOKENS_PER_STREAM_FRAME} answer tokens and the final "
            f"result = {frames} messages per request, {messages:,.0f} at {usd(message_price)} per million",
            f"{CONNECTION_MINUTES_PER_REQUEST:g} connection minute per request at {usd(minute_price)} per million",
            rest_note,
        ),
    )


def step_functions(volumes: Volumes, prices: ServicePrices) -> LineItem:
    per_document = INGESTION_FIXED_TRANSITIONS + volumes.batches_per_document + SUMMARY_TRANSITIONS
    transitions = volumes.documents * per_document
    price = prices["standard_transitions_per_thousand"]
    return LineItem(
        "Step Functions",
        transitions / 1000 * price,
        (
            f"ingestion: {INGESTION_FIXED_TRANSITIONS} states plus one per embedding batch; summary: "
            f"{SUMMARY_TRANSITIONS} states = {per_document} transitions per document",
            f"{transitions:,.0f} standard-workflow transitions at {usd(price)} per 1,000 (retries add more)",
        ),
    )
