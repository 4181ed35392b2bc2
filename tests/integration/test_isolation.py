"""Cross-user isolation on every route, with the real composition root on moto.

User A owns a conversation about an ingested document; user B tries every route with A's
ids. B sees nothing of A's, gets 404 (never 403) for A's ids, and A's data is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from local.aws import LocalResources
from tests.integration.test_documents_api import GUIDE, api, call, ingest, upload

__all__ = ["api"]  # the fixture, shared with the documents tests

QUESTION = "How long should the espresso shot be pulled?"
A, B = "user-a", "user-b"


@dataclass(frozen=True)
class OwnedByA:
    conversation_id: str
    document_id: str


def view_of(owner: str) -> dict[str, Any]:
    """Everything `owner` can read through the API."""
    conversations = call("GET", "/v1/conversations", owner=owner)[1]["conversations"]
    return {
        "conversations": conversations,
        "details": [call("GET", f"/v1/conversations/{c['id']}", owner=owner)[1] for c in conversations],
        "documents": call("GET", "/v1/documents", owner=owner)[1],
        "usage": call("GET", "/v1/usage", owner=owner)[1],
        "limits": call("GET", "/v1/limits", owner=owner)[1],
    }


@pytest.fixture
def owned_by_a(api: LocalResources) -> OwnedByA:
    document = ingest(upload("espresso.md", GUIDE, "text/markdown", owner=A))
    status, answer = call("POST", "/v1/chat", owner=A, body={"message": QUESTION})
    assert status == 200
    assert answer["citations"], "A's own question is answered from A's document"
    return OwnedByA(answer["conversation_id"], document["id"])


def test_b_lists_no_conversations_and_no_documents_of_a(owned_by_a: OwnedByA) -> None:
    view = view_of(B)
    assert view["conversations"] == []
    assert view["documents"] == {"documents": []}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/conversations/{conversation}", None),
        ("PATCH", "/v1/conversations/{conversation}", {"title": "taken over"}),
        ("DELETE", "/v1/conversations/{conversation}", None),
        ("POST", "/v1/chat", {"message": "and then?", "conversation_id": "{conversation}"}),
        ("GET", "/v1/documents/{document}", None),
        ("DELETE", "/v1/documents/{document}", None),
    ],
)
def test_b_gets_404_for_a_s_ids_and_a_s_data_is_unchanged(
    owned_by_a: OwnedByA, method: str, path: str, body: dict[str, Any] | None
) -> None:
    before = view_of(A)
    ids = {"conversation": owned_by_a.conversation_id, "document": owned_by_a.document_id}
    if body is not None:
        body = {key: value.format(**ids) for key, value in body.items()}

    status, error = call(method, path.format(**ids), owner=B, body=body)

    assert status == 404
    assert error["error"]["code"] == "not_found"
    assert view_of(A) == before


def test_b_s_questions_retrieve_nothing_from_a_s_documents(owned_by_a: OwnedByA) -> None:
    status, answer = call("POST", "/v1/chat", owner=B, body={"message": QUESTION})
    assert status == 200
    assert answer["citations"] == []
    assert "twenty-eight seconds" not in answer["answer"]


def test_b_s_usage_and_daily_budget_count_none_of_a_s_turns(owned_by_a: OwnedByA) -> None:
    usage_of_a, usage_of_b = view_of(A)["usage"], view_of(B)["usage"]
    limits_of_a, limits_of_b = view_of(A)["limits"], view_of(B)["limits"]
    assert usage_of_a["totals"]["requests"] == 2  # A's turn and the one embedded batch of A's document
    assert set(usage_of_b["totals"].values()) == {0}
    assert limits_of_a["daily_tokens_used"] > 0
    assert limits_of_b["daily_tokens_used"] == 0


def test_b_s_own_turns_leave_a_s_data_unchanged(owned_by_a: OwnedByA) -> None:
    before = view_of(A)
    _, first = call("POST", "/v1/chat", owner=B, body={"message": "hello"})
    call("PATCH", f"/v1/conversations/{first['conversation_id']}", owner=B, body={"title": "mine"})
    call("DELETE", f"/v1/conversations/{first['conversation_id']}", owner=B)
    assert view_of(A) == before
