"""Amazon Bedrock: the chat model, embeddings, document summaries and the guardrail."""

from __future__ import annotations

import math

from lambdas.core.models import ModelInfo
from lambdas.core.pricing import PriceTable
from tools.cost.items import LineItem, tokens_cost, usd
from tools.cost.prices import ServicePrices
from tools.cost.scenario import (
    CHARS_PER_TOKEN,
    CHUNK_CHARS,
    CHUNK_OVERLAP_CHARS,
    EMBED_BATCH_SIZE,
    QUERY_TOKENS,
    SUMMARY_OUTPUT_TOKENS,
    SUMMARY_PROMPT_TOKENS,
    Scenario,
    Volumes,
)

MODEL_LINE_PREFIX = "Bedrock model"
_PRICE_NAMES = {
    "input": "input_per_1k",
    "output": "output_per_1k",
    "cache read": "cache_read_per_1k",
    "cache write": "cache_write_per_1k",
}
"""The price-table name of each kind of token, as `unverified` lists name them."""
TEXT_UNIT_CHARS = 1000


def model_lines(scenario: Scenario, volumes: Volumes, models: PriceTable) -> list[LineItem]:
    model = models.model(scenario.model)
    requests = (
        f"{volumes.requests:,.0f} requests a month ({scenario.requests_per_day:,.0f} a day x "
        f"{volumes.days:.2f} days)"
    )
    lines = []
    unverified = models.unverified.get(model.id, ())
    for kind, per_request, price, note in _token_kinds(scenario, model):
        tokens = volumes.requests * per_request
        lines.append(
            LineItem(
                f"{MODEL_LINE_PREFIX}: {kind} tokens",
                tokens_cost(tokens, price),
                (
                    f"{model.display_name} ({model.id})",
                    requests,
                    f"{per_request:,.0f} {kind} tokens each = {tokens:,.0f} tokens at {usd(price)} per 1K",
                    *note,
                ),
                unverified=tuple(name for name in unverified if name == _PRICE_NAMES[kind]),
            )
        )
    return lines


def _token_kinds(scenario: Scenario, model: ModelInfo) -> list[tuple[str, float, float, tuple[str, ...]]]:
    """(kind, tokens per request, price per 1K, notes): input split into uncached, cache-read and
    cache-write parts when the scenario assumes cache hits and the model takes checkpoints."""
    output = ("output", float(scenario.output_tokens), model.output_per_1k_usd, ())
    prefix = scenario.input_tokens * scenario.cacheable_share
    uncached = ("input", float(scenario.input_tokens), model.input_per_1k_usd)
    if scenario.cache_hit_rate == 0:
        return [(*uncached, ()), output]
    if model.cache_read_per_1k_usd is None or model.cache_write_per_1k_usd is None:
        return [(*uncached, ("no prompt caching: the model takes no cache checkpoints",)), output]
    if prefix < model.cache_min_tokens:
        note = (
            f"no prompt caching: a stable prefix of {prefix:,.0f} tokens is below the model's "
            f"minimum of {model.cache_min_tokens:,} per checkpoint",
        )
        return [(*uncached, note), output]
    assumption = (
        f"prompt cache: {scenario.cacheable_share:.0%} of the input is a stable prefix, "
        f"{scenario.cache_hit_rate:.0%} of requests read it from the cache, the others write it"
    )
    return [
        ("input", scenario.input_tokens - prefix, model.input_per_1k_usd, ("the part never cached",)),
        ("cache read", prefix * scenario.cache_hit_rate, model.cache_read_per_1k_usd, (assumption,)),
        ("cache write", prefix * (1 - scenario.cache_hit_rate), model.cache_write_per_1k_usd, (assumption,)),
        output,
    ]


def embeddings(scenario: Scenario, volumes: Volumes, models: PriceTable) -> LineItem:
    price = models.embedding_price(scenario.embedding_model)
    query_tokens = volumes.requests * QUERY_TOKENS if scenario.retrieval else 0.0
    document_tokens = volumes.documents * volumes.chunks_per_document * CHUNK_CHARS / CHARS_PER_TOKEN
    queries = (
        f"queries: {QUERY_TOKENS} tokens per question = {query_tokens:,.0f} tokens"
        if scenario.retrieval
        else "queries: none (retrieval off)"
    )
    return LineItem(
        "Bedrock embeddings",
        tokens_cost(query_tokens + document_tokens, price),
        (
            f"{scenario.embedding_model} at {usd(price)} per 1K tokens",
            queries,
            f"ingestion: {volumes.documents:,.0f} documents x {volumes.chunks_per_document} chunks of "
            f"{CHUNK_CHARS:,} characters ({CHUNK_OVERLAP_CHARS} overlap), {CHARS_PER_TOKEN} characters "
            f"per token = {document_tokens:,.0f} tokens",
        ),
    )


def summaries(scenario: Scenario, volumes: Volumes, models: PriceTable) -> LineItem:
    """The summary workflow sends a document's first embedding batch to the summary model."""
    model = models.model(scenario.summary_model)
    first_batch_chunks = min(volumes.chunks_per_document, EMBED_BATCH_SIZE)
    input_per_document = SUMMARY_PROMPT_TOKENS + first_batch_chunks * CHUNK_CHARS // CHARS_PER_TOKEN
    input_tokens = volumes.documents * input_per_document
    output_tokens = volumes.documents * SUMMARY_OUTPUT_TOKENS
    return LineItem(
        "Bedrock document summaries",
        tokens_cost(input_tokens, model.input_per_1k_usd)
        + tokens_cost(output_tokens, model.output_per_1k_usd),
        (
            f"{model.display_name}: one call per document with its first {first_batch_chunks} chunks "
            f"= {input_per_document:,} input tokens at {usd(model.input_per_1k_usd)} per 1K",
            f"at most {SUMMARY_OUTPUT_TOKENS} output tokens at {usd(model.output_per_1k_usd)} per 1K",
        ),
    )


def guardrail(scenario: Scenario, volumes: Volumes, prices: ServicePrices) -> LineItem:
    if not scenario.guardrail:
        return LineItem("Bedrock Guardrails", 0.0, ("guardrail off",))
    # Converse sends the whole prompt through the input policies and the answer through the
    # output policies, each rounded up to whole text units.
    units_in = math.ceil(scenario.input_tokens * CHARS_PER_TOKEN / TEXT_UNIT_CHARS)
    units_out = math.ceil(scenario.output_tokens * CHARS_PER_TOKEN / TEXT_UNIT_CHARS)
    policies = {
        "content filters and prompt attacks": prices["content_filters_per_1k_text_units"],
        "sensitive information (PII)": prices["sensitive_information_per_1k_text_units"],
    }
    if scenario.denied_topics:
        policies["denied topics"] = prices["denied_topics_per_1k_text_units"]
    units = volumes.requests * (units_in + units_out)
    per_1k_units = sum(policies.values())
    return LineItem(
        "Bedrock Guardrails",
        units / 1000 * per_1k_units,
        (
            f"{units_in} text units of {TEXT_UNIT_CHARS:,} characters in and {units_out} out per request "
            f"= {units:,.0f} text units",
            "policies: "
            + ", ".join(f"{name} {usd(price)}" for name, price in policies.items())
            + f" per 1K text units = {usd(per_1k_units)}",
        ),
    )
