"""`make eval`: the evaluation CLI over a corpus and a question file made here."""

import json
from pathlib import Path

import pytest

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
