"""`make eval DEPLOYED_FUNCTION=...`: the deployed function's retrieval settings (botocore Stubber on
GetFunctionConfiguration) and the evaluation run against injected in-memory index and embedder."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from lambdas.adapters.bedrock_embeddings import TitanEmbedder
from lambdas.adapters.local.index import SqliteChunkIndex
from lambdas.adapters.opensearch import OpenSearchError
from lambdas.adapters.s3vectors import S3VectorsChunkIndex
from lambdas.core.models import Chunk, Usage
from lambdas.settings import Settings
from lambdas.wiring import RagServices
from tests.support.fakes import ScriptedModel
from tests.support.ingestion_fakes import HashEmbedder
from tools.deployed_backend import DeployedBackendError, deployed_settings
from tools.evaluate import evaluate, evaluation_owner, main
from tools.index_settle import IndexNotSettled, Settle

FUNCTION = "genai-chat-dev-ChatHandler1A2B3C"
ARN = f"arn:aws:lambda:eu-central-1:123456789012:function:{FUNCTION}"
OPENSEARCH_ENVIRONMENT = {
    "VECTOR_BACKEND": "opensearch",
    "OPENSEARCH_ENDPOINT": "https://abc123.eu-central-1.aoss.amazonaws.com",
    "OPENSEARCH_INDEX": "chunks-v2",
    "EMBEDDING_MODEL_ID": "amazon.titan-embed-text-v2:0",
    "EMBEDDING_DIMENSIONS": "512",
    "CHUNK_MAX_CHARS": "600",
    "CHUNK_OVERLAP_CHARS": "60",
    "RETRIEVAL_TOP_K": "6",
    "LLM_PROVIDER": "bedrock",
    "BEDROCK_MODEL_ID": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    "CONVERSATIONS_TABLE": "genai-chat-dev-conversations",
    "USAGE_TABLE": "genai-chat-dev-usage",
    "POWERTOOLS_SERVICE_NAME": "chat",
}
DOCUMENTS = {
    "lambda.md": "# Lambda\n\n## Timeouts\n\nA function stops after its configured timeout, at most 900 seconds.\n",
    "s3.txt": "Amazon S3 keeps objects in buckets.\n\nLifecycle rules move old objects to cheaper storage classes.\n",
}
QUESTIONS = [
    {"id": "q1", "question": "How long can a function run?", "relevant": ["at most 900 seconds"]},
    {
        "id": "q2",
        "question": "How do I move old objects to cheaper storage?",
        "relevant": ["lifecycle rules"],
    },
]


def _configuration(variables: dict[str, str]) -> dict[str, Any]:
    """The fields of a real GetFunctionConfiguration response the evaluation reads, and some around them."""
    return {
        "FunctionName": FUNCTION,
        "FunctionArn": ARN,
        "Runtime": "python3.12",
        "Role": "arn:aws:iam::123456789012:role/genai-chat-dev-ChatRole",
        "Handler": "lambdas.handlers.chat.handler",
        "MemorySize": 1024,
        "Timeout": 60,
        "Architectures": ["arm64"],
        "Environment": {"Variables": variables},
    }


@pytest.fixture
def lambda_stub() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "lambda", region_name="eu-central-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def opensearch_function(lambda_stub: tuple[Any, Stubber]) -> Any:
    """A Lambda client that describes a chat function on OpenSearch Serverless once."""
    client, stub = lambda_stub
    stub.add_response("get_function_configuration", _configuration(OPENSEARCH_ENVIRONMENT))
    return client


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    directory = tmp_path / "corpus"
    directory.mkdir()
    for name, text in DOCUMENTS.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def questions(tmp_path: Path) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return path


class RecordingIndex(SqliteChunkIndex):
    """The local index in memory, recording who wrote; its lookups see nothing for the first
    `hidden_lookups` calls, as OpenSearch Serverless before a refresh."""

    def __init__(self, *, hidden_lookups: int = 0) -> None:
        super().__init__(":memory:")
        self.owners: set[str] = set()
        self.hidden_lookups = hidden_lookups

    def replace_document(
        self, owner: str, document_id: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]] | None
    ) -> None:
        self.owners.add(owner)
        super().replace_document(owner, document_id, chunks, vectors)

    def get_chunks(self, owner: str, chunk_ids: Sequence[str]) -> list[Chunk]:
        if self.hidden_lookups:
            self.hidden_lookups -= 1
            return []
        return super().get_chunks(owner, chunk_ids)

    def chunks_of(self, owner: str) -> list[Chunk]:
        return [hit.chunk for hit in self.keyword_search(owner, "lambda function objects storage rules", 100)]


class FailingQueryEmbedder(HashEmbedder):
    """Embeds documents, then fails at the first question."""

    def embed_query(self, text: str) -> list[float]:
        raise RuntimeError("embedding service failed mid-run")

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [HashEmbedder.embed_query(self, text) for text in texts]


class NoWait:
    def __init__(self) -> None:
        self.sleeps = 0
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds

    def settle(self, timeout: float = 10.0) -> Settle:
        return Settle(timeout_seconds=timeout, interval_seconds=1.0, sleep=self.sleep, clock=lambda: self.now)


def _deployed_settings() -> Settings:
    return Settings.model_validate({"vector_backend": "opensearch", "opensearch_endpoint": "https://x"})


def test_retrieval_settings_come_from_the_functions_environment_and_arn(
    lambda_stub: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, stub = lambda_stub
    monkeypatch.setenv("RETRIEVAL_TOP_K", "20")
    monkeypatch.setenv("EMBEDDING_DIMENSIONS", "1024")
    variables = {**OPENSEARCH_ENVIRONMENT, "RERANK_MODEL_ID": "cohere.rerank-v3-5:0"}
    stub.add_response("get_function_configuration", _configuration(variables), {"FunctionName": FUNCTION})

    settings = deployed_settings(client, FUNCTION)

    assert settings.vector_backend == "opensearch"
    assert settings.opensearch_endpoint == "https://abc123.eu-central-1.aoss.amazonaws.com"
    assert settings.opensearch_index == "chunks-v2"
    assert settings.embedding_dimensions == 512
    assert settings.rerank_model_id == "cohere.rerank-v3-5:0"
    assert (settings.chunk_max_chars, settings.chunk_overlap_chars, settings.retrieval_top_k) == (600, 60, 6)
    assert settings.aws_region == "eu-central-1"


def test_settings_other_than_retrievals_are_not_taken(lambda_stub: tuple[Any, Stubber]) -> None:
    client, stub = lambda_stub
    stub.add_response("get_function_configuration", _configuration(OPENSEARCH_ENVIRONMENT))

    settings = deployed_settings(client, FUNCTION)

    assert settings.usage_table == "usage"
    assert settings.conversations_table == "conversations"


def test_the_chat_model_is_taken_for_query_rewriting_as_chat_runs_it(
    lambda_stub: tuple[Any, Stubber],
) -> None:
    client, stub = lambda_stub
    stub.add_response("get_function_configuration", _configuration(OPENSEARCH_ENVIRONMENT))

    settings = deployed_settings(client, FUNCTION)

    assert (settings.provider, settings.bedrock_model_id) == (
        "bedrock",
        OPENSEARCH_ENVIRONMENT["BEDROCK_MODEL_ID"],
    )
    assert settings.rewrites_queries
    # Under rewriting, chat fuses with equal weights: so must the evaluation.
    assert not RagServices(
        settings, index=RecordingIndex(), embedder=HashEmbedder()
    ).retrieval_config.keyword_weight_by_coverage


def test_s3_vectors_settings_name_the_bucket_and_index(lambda_stub: tuple[Any, Stubber]) -> None:
    client, stub = lambda_stub
    variables = {
        "VECTOR_BACKEND": "s3vectors",
        "S3VECTORS_BUCKET": "genai-chat-dev-vectors",
        "S3VECTORS_INDEX": "c",
    }
    stub.add_response("get_function_configuration", _configuration(variables))

    settings = deployed_settings(client, FUNCTION)

    assert (settings.vector_backend, settings.s3vectors_bucket, settings.s3vectors_index) == (
        "s3vectors",
        "genai-chat-dev-vectors",
        "c",
    )


def test_invalid_deployed_settings_are_named(lambda_stub: tuple[Any, Stubber]) -> None:
    client, stub = lambda_stub
    stub.add_response(
        "get_function_configuration", _configuration({**OPENSEARCH_ENVIRONMENT, "RETRIEVAL_TOP_K": "0"})
    )

    with pytest.raises(DeployedBackendError, match="RETRIEVAL_TOP_K"):
        deployed_settings(client, FUNCTION)


def _run(
    client: Any,
    corpus: Path,
    questions: Path,
    index: RecordingIndex | None = None,
    embedder: Any = None,
    model: ScriptedModel | None = None,
) -> int:
    return main(
        ["--corpus", str(corpus), "--questions", str(questions), "--deployed-function", FUNCTION],
        lambda_client=lambda: client,
        deployed_rag=lambda settings: RagServices(
            settings,
            index=index or RecordingIndex(),
            embedder=embedder or HashEmbedder(),
            meter_reranking=False,
        ),
        language_model=lambda settings: model or ScriptedModel(),
    )


def test_an_unknown_function_is_a_clear_error(
    lambda_stub: tuple[Any, Stubber], corpus: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, stub = lambda_stub
    stub.add_client_error("get_function_configuration", "ResourceNotFoundException", "Function not found")

    assert _run(client, corpus, questions) == 2
    assert f"Lambda function {FUNCTION!r} not found in eu-central-1" in capsys.readouterr().err


def test_a_refused_configuration_read_names_the_permission(
    lambda_stub: tuple[Any, Stubber], corpus: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, stub = lambda_stub
    stub.add_client_error("get_function_configuration", "AccessDeniedException", "not authorized", 403)

    assert _run(client, corpus, questions) == 2
    assert "lambda:GetFunctionConfiguration" in capsys.readouterr().err


def test_a_function_without_a_vector_backend_is_refused(
    lambda_stub: tuple[Any, Stubber], corpus: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, stub = lambda_stub
    stub.add_response("get_function_configuration", _configuration({"USAGE_TABLE": "usage"}))

    assert _run(client, corpus, questions) == 2
    assert "has no vector backend in its environment" in capsys.readouterr().err


def test_missing_credentials_are_a_clear_error(
    corpus: Path,
    questions: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")

    status = main(["--corpus", str(corpus), "--questions", str(questions), "--deployed-function", FUNCTION])

    assert status == 2
    assert "no AWS credentials" in capsys.readouterr().err


def test_a_missing_region_is_a_clear_error(
    corpus: Path,
    questions: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    status = main(["--corpus", str(corpus), "--questions", str(questions), "--deployed-function", FUNCTION])

    assert status == 2
    assert "no AWS Region" in capsys.readouterr().err


def test_the_deployed_run_indexes_under_one_evaluation_owner_and_deletes_it_all(
    opensearch_function: Any, corpus: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = opensearch_function
    index = RecordingIndex()

    assert _run(client, corpus, questions, index) == 0

    (owner,) = index.owners
    assert re.fullmatch(r"evaluation-[0-9a-f]{16}", owner)
    assert index.chunks_of(owner) == []
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["n"] == 2
    assert "baseline_recall@5" in result


def test_the_deployed_run_rewrites_each_question_with_the_functions_chat_model(
    opensearch_function: Any, corpus: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = ScriptedModel(
        answer="Lifecycle rules and timeouts.", usage=Usage(input_tokens=11, output_tokens=7)
    )

    assert _run(opensearch_function, corpus, questions, model=model) == 0

    assert [(r.model_id, r.question) for r in model.requests] == [
        (OPENSEARCH_ENVIRONMENT["BEDROCK_MODEL_ID"], q["question"]) for q in QUESTIONS
    ]
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (result["rewrites"], result["rewrite_input_tokens"], result["rewrite_output_tokens"]) == (
        2,
        22,
        14,
    )
    assert result["rewrite_cost_usd"] == pytest.approx(2 * (11 * 0.001 + 7 * 0.005) / 1000)


def test_a_function_with_query_rewriting_off_is_scored_without_it(
    lambda_stub: tuple[Any, Stubber], corpus: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, stub = lambda_stub
    variables = {**OPENSEARCH_ENVIRONMENT, "QUERY_REWRITING": "false"}
    stub.add_response("get_function_configuration", _configuration(variables))
    model = ScriptedModel()

    assert _run(client, corpus, questions, model=model) == 0

    assert model.requests == []
    output = capsys.readouterr().out
    assert "keyword ranking weighted by coverage" in output
    assert "rewrites" not in json.loads(output.strip().splitlines()[-1])


def test_each_run_has_an_owner_of_its_own() -> None:
    assert evaluation_owner() != evaluation_owner()


def test_what_was_indexed_is_deleted_when_scoring_fails(corpus: Path, questions: Path) -> None:
    index = RecordingIndex()
    rag = RagServices(
        _deployed_settings(), index=index, embedder=FailingQueryEmbedder(), meter_reranking=False
    )

    with pytest.raises(RuntimeError, match="failed mid-run"):
        evaluate(
            [corpus],
            questions,
            rag,
            owner="evaluation-0a1b",
            baseline_embedder=None,
            settle=NoWait().settle(),
        )

    assert index.owners == {"evaluation-0a1b"}
    assert index.chunks_of("evaluation-0a1b") == []


def test_questions_wait_until_the_indexed_chunks_are_searchable(corpus: Path, questions: Path) -> None:
    index = RecordingIndex(hidden_lookups=3)
    waits = NoWait()
    rag = RagServices(_deployed_settings(), index=index, embedder=HashEmbedder(), meter_reranking=False)

    result = evaluate(
        [corpus], questions, rag, owner="evaluation-0a1b", baseline_embedder=None, settle=waits.settle()
    )

    assert waits.sleeps >= 1
    assert result["n"] == 2


def test_chunks_never_searchable_end_the_run_bounded_and_are_deleted(corpus: Path, questions: Path) -> None:
    index = RecordingIndex(hidden_lookups=1000)
    waits = NoWait()
    rag = RagServices(_deployed_settings(), index=index, embedder=HashEmbedder(), meter_reranking=False)

    with pytest.raises(IndexNotSettled, match="still not searchable after 5 s"):
        evaluate(
            [corpus],
            questions,
            rag,
            owner="evaluation-0a1b",
            baseline_embedder=None,
            settle=waits.settle(timeout=5),
        )

    assert waits.now <= 20
    index.hidden_lookups = 0
    assert index.chunks_of("evaluation-0a1b") == []


def test_a_refusal_by_the_collection_names_the_data_access_key(
    opensearch_function: Any, corpus: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = opensearch_function

    class RefusingIndex(RecordingIndex):
        def replace_document(
            self, owner: str, document_id: str, chunks: Sequence[Chunk], vectors: Any
        ) -> None:
            raise OpenSearchError("bulk answered 403: security_exception", status=403)

    assert _run(client, corpus, questions, RefusingIndex()) == 1
    error = capsys.readouterr().err
    assert "searchOperatorArns" in error
    assert "aoss:APIAccessAll" in error


def test_ctrl_c_while_indexing_deletes_what_was_written(
    opensearch_function: Any, corpus: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = opensearch_function

    class InterruptedIndex(RecordingIndex):
        """Writes the second document, then the operator presses Ctrl-C."""

        def replace_document(
            self, owner: str, document_id: str, chunks: Sequence[Chunk], vectors: Any
        ) -> None:
            super().replace_document(owner, document_id, chunks, vectors)
            if document_id == "s3.txt":
                raise KeyboardInterrupt

    index = InterruptedIndex()

    assert _run(client, corpus, questions, index) == 130
    (owner,) = index.owners
    assert index.chunks_of(owner) == []
    assert "interrupted" in capsys.readouterr().err


def test_chunks_left_after_deleting_fail_the_run(corpus: Path, questions: Path) -> None:
    class UndeletableIndex(RecordingIndex):
        def delete_document(self, owner: str, document_id: str) -> None:
            pass

    rag = RagServices(
        _deployed_settings(), index=UndeletableIndex(), embedder=HashEmbedder(), meter_reranking=False
    )

    with pytest.raises(IndexNotSettled, match="still in the index"):
        evaluate(
            [corpus],
            questions,
            rag,
            owner="evaluation-0a1b",
            baseline_embedder=None,
            settle=NoWait().settle(),
        )


def test_a_refused_embedding_call_names_the_bedrock_permission(
    opensearch_function: Any, corpus: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = opensearch_function
    bedrock = boto3.client(
        "bedrock-runtime",
        region_name="eu-central-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(bedrock) as bedrock_stub:
        bedrock_stub.add_client_error("invoke_model", "AccessDeniedException", "not authorized", 403)

        assert (
            _run(client, corpus, questions, embedder=TitanEmbedder(bedrock, dimensions=512, concurrency=1))
            == 1
        )

    assert "bedrock:InvokeModel" in capsys.readouterr().err


def test_a_refused_vector_write_names_the_s3_vectors_and_key_permissions(
    lambda_stub: tuple[Any, Stubber], corpus: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, stub = lambda_stub
    variables = {"VECTOR_BACKEND": "s3vectors", "S3VECTORS_BUCKET": "genai-chat-dev-vectors"}
    stub.add_response("get_function_configuration", _configuration(variables))
    vectors = boto3.client(
        "s3vectors", region_name="eu-central-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(vectors) as vectors_stub:
        vectors_stub.add_client_error("put_vectors", "AccessDeniedException", "not authorized", 403)
        vectors_stub.add_client_error("get_vectors", "AccessDeniedException", "not authorized", 403)
        index = S3VectorsChunkIndex(vectors, bucket="genai-chat-dev-vectors", index="chunks")

        status = main(
            ["--corpus", str(corpus), "--questions", str(questions), "--deployed-function", FUNCTION],
            lambda_client=lambda: client,
            deployed_rag=lambda settings: RagServices(
                settings, index=index, embedder=HashEmbedder(), meter_reranking=False
            ),
        )

    assert status == 1
    error = capsys.readouterr().err
    assert "s3vectors:PutVectors" in error
    assert "kms:GenerateDataKey" in error
