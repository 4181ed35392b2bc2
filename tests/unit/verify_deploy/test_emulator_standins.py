"""The emulator's stand-ins behave like the services they replace, in the ways the app relies on."""

from __future__ import annotations

import math
import tomllib

import pytest
from packaging.requirements import Requirement

from tools.build_lambda_asset import REPO_ROOT
from tools.verify_deploy.emulator import VectorStore, grounded_reply, titan_embedding, turn_text


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_titan_embedding_is_deterministic_unit_length_and_of_the_requested_size() -> None:
    first = titan_embedding("Zephyr window opens Thursday", 256)

    assert first == titan_embedding("Zephyr window opens Thursday", 256)
    assert len(first) == 256
    assert math.isclose(sum(x * x for x in first), 1.0)


def test_titan_embedding_puts_texts_sharing_words_closer() -> None:
    question = titan_embedding("When does the Zephyr maintenance window open?", 1024)
    related = titan_embedding("The Zephyr maintenance window opens every Thursday.", 1024)
    unrelated = titan_embedding("Invoices are paid within thirty days of receipt.", 1024)

    assert _cosine(question, related) > _cosine(question, unrelated)


def _vector(key: str, owner: str, values: list[float]) -> dict[str, object]:
    return {"key": key, "data": {"float32": values}, "metadata": {"owner": owner, "text": key}}


def _target() -> dict[str, str]:
    return {"vectorBucketName": "vectors", "indexName": "chunks"}


def test_vector_query_returns_only_the_owners_vectors_nearest_first() -> None:
    store = VectorStore()
    store.handle(
        "PutVectors",
        {
            **_target(),
            "vectors": [
                _vector("a", "alice", [1, 0]),
                _vector("b", "alice", [0, 1]),
                _vector("c", "bob", [1, 0]),
            ],
        },
    )

    status, found = store.handle(
        "QueryVectors",
        {
            **_target(),
            "queryVector": {"float32": [1, 0.1]},
            "topK": 5,
            "filter": {"owner": {"$eq": "alice"}},
            "returnMetadata": True,
        },
    )

    assert status == 200
    assert [v["key"] for v in found["vectors"]] == ["a", "b"]
    assert found["vectors"][0]["metadata"]["owner"] == "alice"


def test_vector_get_and_delete_by_key_ignore_missing_keys() -> None:
    store = VectorStore()
    store.handle("PutVectors", {**_target(), "vectors": [_vector("a", "alice", [1, 0])]})

    store.handle("DeleteVectors", {**_target(), "keys": ["a", "missing"]})

    assert store.handle("GetVectors", {**_target(), "keys": ["a", "missing"]}) == (200, {"vectors": []})


def test_vector_filter_operators_beyond_the_stand_in_are_refused() -> None:
    store = VectorStore()
    store.handle("PutVectors", {**_target(), "vectors": [_vector("a", "alice", [1, 0])]})

    with pytest.raises(ValueError, match=r"\$eq"):
        store.handle(
            "QueryVectors",
            {
                **_target(),
                "queryVector": {"float32": [1, 0]},
                "topK": 1,
                "filter": {"owner": {"$in": ["alice"]}},
            },
        )


def test_grounded_reply_quotes_and_cites_the_passage_matching_the_question() -> None:
    prompt = (
        "[1] handbook.md > Leave\nHolidays are booked in the portal.\n\n"
        "[2] ops.txt\nThe Zephyr window opens on Thursday. It lasts an hour.\n\n"
        "Question: When does the Zephyr window open?"
    )

    assert grounded_reply(prompt) == "The Zephyr window opens on Thursday. [2]"


def test_grounded_reply_leaves_prompts_without_passages_to_the_mock() -> None:
    assert grounded_reply("Hello, what can you do?") is None


def test_the_functions_runtime_has_the_boto3_the_project_pins() -> None:
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = next(str(r.specifier) for r in map(Requirement, declared) if r.name == "boto3")
    runtime = (REPO_ROOT / "tools" / "verify_deploy" / "requirements-runtime.txt").read_text().split()

    assert f"boto3{pinned}" in runtime


def test_the_question_tagged_as_guard_content_is_part_of_the_turn_the_stand_in_reads() -> None:
    context = "[1] Handbook\nThe Zephyr window opens on Thursday.\n\nQuestion: "
    messages = [
        {
            "role": "user",
            "content": [
                {"text": context},
                {
                    "guardContent": {
                        "text": {"text": "When does the window open?", "qualifiers": ["guard_content"]}
                    }
                },
            ],
        }
    ]

    assert turn_text(messages) == context + "When does the window open?"
    assert grounded_reply(turn_text(messages)) == "The Zephyr window opens on Thursday. [1]"
