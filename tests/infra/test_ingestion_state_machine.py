"""The synthesized ingestion definition, executed by moto's Step Functions interpreter.

The definition is taken from the template as deployed; only its CloudFormation references are
filled in (function ARNs, the documents table, the partition). Its Lambda tasks run the real
handlers in this process: moto can only run function code in Docker, so its Lambda `invoke`
is routed to the handler registered for the function's name, and a raised exception becomes a
Lambda function error as the Python runtime reports it (`errorType`, `errorMessage`). The
DynamoDB status updates are moto's own service integrations.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaFunction

from lambdas.core.models import Document
from lambdas.handlers import ingest_embed, ingest_extract, ingest_index
from lambdas.settings import Settings
from lambdas.wiring import RagServices, build_services, get_services, use_services
from local.aws import REGION, LocalResources, create_resources
from tests.infra.conftest import ACCOUNT, Synthesized, state_machine_definition
from tests.support.events import FakeLambdaContext
from tests.support.ingestion_fakes import HashEmbedder
from tests.support.local_aws import use_local_resources

OWNER = "user-a"
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
# Logical-id prefix of each task function in the template -> the handler it runs.
TASK_HANDLERS: dict[str, Handler] = {
    "IngestExtractFunction": ingest_extract.handler,
    "IngestEmbedFunction": ingest_embed.handler,
    "IngestIndexFunction": ingest_index.handler,
}


def _invoke_in_process(
    function: LambdaFunction, body: str, request_headers: Any, response_headers: Any
) -> bytes:
    """Stands in for moto's Docker-based invoke: calls the handler the function is named after."""
    handler = TASK_HANDLERS[function.function_name]
    try:
        result: Any = handler(json.loads(body or "{}"), FakeLambdaContext())
    except Exception as error:  # the Lambda runtime turns any exception into a function error
        response_headers["x-amz-function-error"] = "Unhandled"
        result = {"errorType": type(error).__name__, "errorMessage": str(error)}
    return json.dumps(result).encode()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalResources]:
    resources = use_local_resources(monkeypatch)
    monkeypatch.setattr(LambdaFunction, "invoke", _invoke_in_process)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        create_resources(resources, REGION)
        yield resources
    use_services(None)


def use_embedder(embedder: HashEmbedder) -> None:
    settings = Settings()
    use_services(build_services(settings, rag=RagServices(settings, embedder=embedder)))


def deploy_ingestion(synthesized: Synthesized, resources: LocalResources) -> str:
    """Create the task functions and the state machine in moto; returns the machine's ARN."""
    role = boto3.client("iam").create_role(RoleName="ingestion", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lambda_client = boto3.client("lambda", region_name=REGION)
    function_arns = {
        prefix: lambda_client.create_function(
            FunctionName=prefix,
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": _empty_zip()},
        )["FunctionArn"]
        for prefix in TASK_HANDLERS
    }

    def resolve(intrinsic: dict[str, Any]) -> str:
        if intrinsic == {"Ref": "AWS::Partition"}:
            return "aws"
        if "Fn::ImportValue" in intrinsic and "DocumentsTable" in intrinsic["Fn::ImportValue"]:
            return resources.documents_table
        logical_id = intrinsic["Fn::GetAtt"][0]
        (arn,) = [arn for prefix, arn in function_arns.items() if logical_id.startswith(prefix)]
        return str(arn)

    definition = state_machine_definition(synthesized.app_json, "IngestionStateMachine", resolve)
    created = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name="ingestion", definition=json.dumps(definition), roleArn=role
    )
    return str(created["stateMachineArn"])


def upload(
    resources: LocalResources, data: bytes = b"# Kettle\n\nDescale it with citric acid monthly.\n"
) -> tuple[str, Document]:
    """A PENDING document and its object, as right after a browser upload."""
    ticket = get_services().rag.documents.create_upload(OWNER, "kettle.md", "text/markdown", len(data))
    key = ticket.upload.fields["key"]
    boto3.client("s3").put_object(Bucket=resources.documents_bucket, Key=key, Body=data)
    return key, ticket.document


def run(machine_arn: str, resources: LocalResources, key: str) -> dict[str, Any]:
    """Start with the S3 "Object Created" event the upload rule forwards; wait for the end."""
    event = {
        "version": "0",
        "account": ACCOUNT,
        "region": REGION,
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": resources.documents_bucket}, "object": {"key": key}},
    }
    client = boto3.client("stepfunctions", region_name=REGION)
    execution = client.start_execution(stateMachineArn=machine_arn, input=json.dumps(event))["executionArn"]
    while (described := client.describe_execution(executionArn=execution))["status"] == "RUNNING":
        time.sleep(0.05)
    return dict(described)


def stored(document: Document) -> Document:
    found = get_services().rag.documents.get(OWNER, document.id)
    assert found is not None
    return found


def test_an_upload_runs_every_task_and_ends_ready(dev: Synthesized, aws: LocalResources) -> None:
    use_embedder(HashEmbedder())
    machine = deploy_ingestion(dev, aws)
    key, document = upload(aws)
    execution = run(machine, aws, key)
    assert execution["status"] == "SUCCEEDED"
    ready = stored(document)
    assert (ready.status, ready.chunk_count, ready.reason) == ("READY", 1, "")
    assert (
        get_services().rag.index.keyword_search(OWNER, "citric acid", 5)[0].chunk.document_id == document.id
    )


def test_a_throttled_batch_is_retried_and_the_document_still_ends_ready(
    dev: Synthesized, aws: LocalResources
) -> None:
    embedder = HashEmbedder(throttle_calls=1)
    use_embedder(embedder)
    machine = deploy_ingestion(dev, aws)
    key, document = upload(aws)
    assert run(machine, aws, key)["status"] == "SUCCEEDED"
    assert len(embedder.calls) == 2  # the throttled call, then its retry
    assert stored(document).status == "READY"


def test_a_failing_task_marks_the_document_failed_with_the_error_name(
    dev: Synthesized, aws: LocalResources
) -> None:
    use_embedder(HashEmbedder())
    machine = deploy_ingestion(dev, aws)
    key, document = upload(aws)
    boto3.client("s3").delete_object(Bucket=aws.documents_bucket, Key=key)
    execution = run(machine, aws, key)
    assert execution["status"] == "FAILED"
    failed = stored(document)
    assert failed.status == "FAILED"
    assert failed.reason == "ingestion failed (NoSuchKey); try uploading the file again"


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "")
    return buffer.getvalue()
