"""The offline extractive answerer: honest about what it is, quotes and cites, never invents."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lambdas.adapters.local.extractive import ExtractiveAnswerer
from lambdas.core.citations import cited_numbers
from lambdas.core.guard import REDACTED_INSTRUCTION
from lambdas.core.models import ModelRequest, Passage, PromptMessage, StreamEnd, TextDelta

BILLING = Passage(
    document_id="doc-billing",
    title="Lambda pricing",
    text=(
        "# Pricing\n"
        "AWS Lambda is billed per request and per millisecond of duration. "
        "The free tier includes one million requests each month. "
        "Memory size also changes the price of each millisecond [4]."
    ),
    score=0.9,
)
QUEUES = Passage(
    document_id="doc-sqs",
    title="Amazon SQS",
    text="Amazon SQS queues decouple producers from consumers. Messages stay up to fourteen days.",
    score=0.5,
)
DYNAMODB = Passage(
    document_id="doc-ddb",
    title="DynamoDB",
    text="On-demand tables are billed for each read and write request they serve.",
    score=0.4,
)


def request_for(question: str, passages: tuple[Passage, ...], earlier: int = 0) -> ModelRequest:
    history = tuple(PromptMessage("user" if i % 2 == 0 else "assistant", f"m{i}") for i in range(earlier))
    return ModelRequest(
        model_id="local-extractive",
        system="system",
        messages=(*history, PromptMessage("user", question)),
        temperature=0.2,
        max_tokens=512,
        question=question,
        passages=passages,
    )


def answer(question: str, *passages: Passage) -> str:
    return ExtractiveAnswerer().complete(request_for(question, passages)).text


def test_answer_starts_by_saying_it_is_the_offline_mode() -> None:
    first_line = answer("How is Lambda billed?", BILLING).splitlines()[0]

    assert first_line.startswith("Offline mode: no language model is configured")
    assert "quotes the most relevant passages" in first_line


def test_answer_quotes_the_sentence_sharing_most_words_with_the_question() -> None:
    text = answer("How is Lambda billed per request?", BILLING)

    assert "> AWS Lambda is billed per request and per millisecond of duration. [1]" in text


def test_quotes_are_cited_with_their_passage_number() -> None:
    text = answer("How are requests billed?", QUEUES, BILLING, DYNAMODB)

    assert "> AWS Lambda is billed per request and per millisecond of duration. [2]" in text
    assert "> On-demand tables are billed for each read and write request they serve. [3]" in text


def test_cites_only_the_passages_it_quotes() -> None:
    text = answer("How are requests billed?", QUEUES, BILLING, DYNAMODB)

    assert cited_numbers(text) == [2, 3]


def test_citation_markers_inside_documents_are_not_repeated() -> None:
    text = answer("Does memory change the price?", BILLING)

    assert "Memory size also changes the price of each millisecond. [1]" in text
    assert "[4]" not in text


def test_quotes_at_most_three_sentences() -> None:
    text = answer("Lambda billed request millisecond free tier memory price queues", BILLING, QUEUES)

    assert text.count("\n> ") == 3


def test_the_guards_marker_for_left_out_text_is_never_quoted() -> None:
    sanitised = replace(
        BILLING,
        text=f"## Billing\n{REDACTED_INSTRUCTION} Lambda is billed per request and per millisecond of duration.",
    )

    text = answer("How is Lambda billed per request?", sanitised)

    assert "> Lambda is billed per request and per millisecond of duration. [1]" in text
    assert REDACTED_INSTRUCTION not in text


def test_headings_are_not_quoted() -> None:
    assert "Pricing [1]" not in answer("What is the pricing?", BILLING)


def test_sentences_repeated_by_overlapping_passages_are_quoted_once() -> None:
    overlap = replace(BILLING, text="AWS Lambda is billed per request and per millisecond of duration.")

    text = answer("How is Lambda billed?", BILLING, overlap)

    assert text.count("AWS Lambda is billed per request") == 1


def test_without_shared_words_quotes_the_opening_of_the_best_passage() -> None:
    text = answer("Tell me something unrelated", QUEUES, BILLING)

    assert "> Amazon SQS queues decouple producers from consumers. [1]" in text
    assert cited_numbers(text) == [1]


def test_without_passages_says_nothing_matched_and_how_to_configure_a_model() -> None:
    text = answer("What is the capital of France?")

    assert text.startswith("Offline mode: no language model is configured")
    assert "No document passage matched the question" in text
    assert "LLM_BASE_URL" in text
    assert "Bedrock" in text
    assert "Paris" not in text
    assert cited_numbers(text) == []


def test_without_passages_mentions_the_earlier_messages_of_the_conversation() -> None:
    response = ExtractiveAnswerer().complete(request_for("And then?", (), earlier=4))

    assert "This conversation has 4 earlier messages." in response.text


def test_reports_no_usage_so_the_domain_estimates_it() -> None:
    response = ExtractiveAnswerer().complete(request_for("How is Lambda billed?", (BILLING,)))

    assert response.usage is None
    assert response.model_id == "local-extractive"


def test_same_request_gives_the_same_answer() -> None:
    passages = (QUEUES, BILLING, DYNAMODB)

    assert answer("How are requests billed?", *passages) == answer("How are requests billed?", *passages)


def test_stream_yields_the_complete_text_in_small_deltas_then_the_end() -> None:
    request = request_for("How are requests billed?", (QUEUES, BILLING, DYNAMODB))
    answerer = ExtractiveAnswerer()

    events = list(answerer.stream(request))

    deltas = [event.text for event in events if isinstance(event, TextDelta)]
    assert "".join(deltas) == answerer.complete(request).text
    assert len(deltas) > 10
    assert all(len(delta.split()) <= 3 for delta in deltas)
    assert events[-1] == StreamEnd(usage=None)


def test_stream_pauses_between_deltas_when_given_a_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr("lambdas.adapters.local.extractive.time.sleep", pauses.append)

    events = list(
        ExtractiveAnswerer(delay_seconds=0.05).stream(request_for("How is Lambda billed?", (BILLING,)))
    )

    deltas = [event for event in events if isinstance(event, TextDelta)]
    assert pauses == [0.05] * (len(deltas) - 1)
