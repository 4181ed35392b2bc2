"""`make eval`: the evaluation CLI over a corpus and a question file made here."""

import json
from pathlib import Path

import pytest

from lambdas.core.pricing import DEFAULT_PRICE_TABLE
from lambdas.core.rag.rewrite import REWRITE_SYSTEM
from tests.integration.fake_openai import (
    FakeOpenAIServer,
    ScriptedAnswer,
    completion,
    fake_openai_server,
    json_answer,
)
from tools.evaluate import main

DOCUMENTS = {
    "lambda.md": "# Lambda\n\n## Timeouts\n\nA function stops after its configured timeout, at most 900 seconds.\n\n"
    "## Memory\n\nMemory ranges from 128 MB to 10,240 MB and CPU grows with it.\n",
    "s3.txt": "Amazon S3 keeps objects in buckets. Versioning keeps every version of an object.\n\n"
    "Lifecycle rules move old objects to cheaper storage classes.\n",
}
QUESTIONS = [
    {"id": "q1", "question": "How long can a function run?", "relevant": ["at most 900 seconds"]},
    {"id": "q2", "question": "How do I move old files to cheaper storage?", "relevant": ["lifecycle rules"]},
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    directory = tmp_path / "corpus"
    directory.mkdir()
    for name, text in DOCUMENTS.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def _questions(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_last_line_is_one_json_object_with_the_metrics(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = _questions(tmp_path, [json.dumps(q) for q in QUESTIONS])

    assert main(["--corpus", str(corpus), "--questions", str(questions)]) == 0

    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) >= {"recall@5", "mrr@10", "ndcg@10", "n", "avg_passage_chars"}
    assert result["n"] == 2
    assert result["recall@5"] == 1.0
    assert 0 < result["avg_passage_chars"] <= max(len(text) for text in DOCUMENTS.values())


def test_the_baseline_is_measured_in_the_same_run(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = _questions(tmp_path, [json.dumps(q) for q in QUESTIONS])

    main(["--corpus", str(corpus), "--questions", str(questions)])

    lines = capsys.readouterr().out.strip().splitlines()
    assert any(line.startswith("BM25 over fixed 1,000-char windows") for line in lines[:-1])
    assert any(line.startswith("naive hybrid (same windows, BM25 + ") for line in lines[:-1])
    assert sum(line.strip().startswith("misses relative to it") for line in lines[:-1]) == 2
    assert {"baseline_recall@5", "baseline_mrr@10", "naive_hybrid_recall@5", "naive_hybrid_mrr@10"} <= set(
        json.loads(lines[-1])
    )


def test_files_and_directories_can_be_named_together(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = tmp_path / "extra.md"
    extra.write_text("# Lighthouses\n\nThe keeper lit the lamp at dusk.\n")
    question = {"id": "x", "question": "When was the lamp lit?", "relevant": ["lit the lamp at dusk"]}
    questions = _questions(tmp_path, [json.dumps(question)])

    assert main(["--corpus", str(corpus), str(extra), "--questions", str(questions)]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["recall@5"] == 1.0


def test_a_malformed_question_line_is_reported_with_its_line_number(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = _questions(tmp_path, [json.dumps(QUESTIONS[0]), '{"question": "no phrases"}'])

    assert main(["--corpus", str(corpus), "--questions", str(questions)]) == 2
    assert f"{questions}:2" in capsys.readouterr().err


def test_a_missing_corpus_directory_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = _questions(tmp_path, [json.dumps(QUESTIONS[0])])

    assert main(["--corpus", str(tmp_path / "absent"), "--questions", str(questions)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_corpus_without_readable_files_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "image.png").write_bytes(b"\x89PNG")
    questions = _questions(tmp_path, [json.dumps(QUESTIONS[0])])

    assert main(["--corpus", str(empty), "--questions", str(questions)]) == 2
    assert "no readable" in capsys.readouterr().err


@pytest.fixture
def priced_local_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The self-hosted default model at a price, so the rewrites' cost is not trivially zero."""
    table = json.loads(DEFAULT_PRICE_TABLE.read_text(encoding="utf-8"))
    table["models"]["llama3.2"].update(input_per_1k=0.5, output_per_1k=1.0)
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(table), encoding="utf-8")
    monkeypatch.setenv("PRICE_TABLE_PATH", str(path))
    monkeypatch.setenv("QUERY_REWRITING", "true")
    monkeypatch.delenv("LLM_PROVIDER", raising=False)
    monkeypatch.delenv("LLM_MODEL", raising=False)


def _evaluate_with_model_server(
    answers: list[ScriptedAnswer],
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[FakeOpenAIServer, list[str]]:
    """`make eval` over QUESTIONS with an OpenAI-compatible server giving `answers`: the server
    and the lines printed."""
    questions = _questions(tmp_path, [json.dumps(q) for q in QUESTIONS])
    with fake_openai_server(*answers) as server:
        monkeypatch.setenv("LLM_BASE_URL", server.base_url)
        assert main(["--corpus", str(corpus), "--questions", str(questions)]) == 0
    return server, capsys.readouterr().out.strip().splitlines()


@pytest.mark.network
@pytest.mark.usefixtures("priced_local_model")
def test_with_a_generative_model_each_question_is_rewritten_first_and_the_rewrites_are_priced(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rewrites = [
        json_answer(completion("A function runs until its timeout, at most 900 seconds.")),
        json_answer(completion("Lifecycle rules move objects to cheaper storage classes.")),
    ]
    server, lines = _evaluate_with_model_server(rewrites, corpus, tmp_path, monkeypatch, capsys)

    asked = [request.body["messages"] for request in server.requests]
    assert asked == [
        [{"role": "system", "content": REWRITE_SYSTEM}, {"role": "user", "content": q["question"]}]
        for q in QUESTIONS
    ]
    assert "queries rewritten first by llama3.2 (QUERY_REWRITING)" in lines
    assert "query rewriting: 2 of 2 questions rewritten, 62 input + 12 output tokens, $0.0430" in lines
    result = json.loads(lines[-1])
    assert result["recall@5"] == 1.0
    assert [result[key] for key in ("rewrites", "rewrite_input_tokens", "rewrite_output_tokens")] == [
        2,
        62,
        12,
    ]
    assert result["rewrite_cost_usd"] == pytest.approx(2 * (31 * 0.5 + 6 * 1.0) / 1000)


@pytest.mark.network
@pytest.mark.usefixtures("priced_local_model")
def test_questions_the_model_fails_to_rewrite_are_searched_as_asked_and_counted_apart(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = [json_answer(completion("Up to 900 seconds.")), ScriptedAnswer(status=503, body=b"{}")]
    _, lines = _evaluate_with_model_server(answers, corpus, tmp_path, monkeypatch, capsys)

    assert "query rewriting: 1 of 2 questions rewritten, 31 input + 6 output tokens, $0.0215" in lines
    assert json.loads(lines[-1])["recall@5"] == 1.0


def test_a_generative_model_without_a_price_is_an_error(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("LLM_MODEL", "unpriced-model")
    monkeypatch.setenv("QUERY_REWRITING", "true")
    questions = _questions(tmp_path, [json.dumps(QUESTIONS[0])])

    assert main(["--corpus", str(corpus), "--questions", str(questions)]) == 2
    assert "'unpriced-model' is not in price table" in capsys.readouterr().err


def test_without_a_generative_model_nothing_is_rewritten(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LLM_BASE_URL", raising=False)
    monkeypatch.delenv("LLM_PROVIDER", raising=False)
    questions = _questions(tmp_path, [json.dumps(q) for q in QUESTIONS])

    assert main(["--corpus", str(corpus), "--questions", str(questions)]) == 0

    output = capsys.readouterr().out
    assert "rewrit" not in output
    assert "rewrites" not in json.loads(output.strip().splitlines()[-1])
