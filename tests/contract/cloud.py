"""Runs a handler in-process as Lambda would run it in the deployed application.

- environment: exactly the function's template environment (intrinsics resolved) plus what
  the Lambda runtime adds; nothing hand-written;
- AWS: moto, with the tables and buckets created under the template's physical names;
  Bedrock and S3 Vectors (which moto does not fully serve) answer at the HTTP layer with the
  real response shapes, parsed by botocore; OpenSearch Serverless answers behind the
  SigV4 transport;
- every AWS call the code makes is recorded (service, operation, parameters, URL) through
  botocore's event hooks on the session the code's clients come from.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from moto import mock_aws

from lambdas.adapters.signed_http import HttpResponse, SigV4Transport
from lambdas.settings import Settings
from tests.contract.deployment import Deployment, Function
from tests.support.events import FakeLambdaContext
from tests.unit.adapters.eventstream import text_answer

RUNTIME_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER")
ANSWER = "Paris is the capital of France [1]."


@dataclass(frozen=True)
class Call:
    """One AWS call as the code made it (or presigned it for a browser to make)."""

    service: str
    operation: str
    params: Mapping[str, Any]
    url: str = ""


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)

    def install(self, session: boto3.Session) -> None:
        events = session.events
        events.register("before-parameter-build", self._parameters)
        events.register("before-call", self._call)

    def _parameters(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        context["contract_params"] = dict(params)
        # A presigned POST is signed as CreateBucket; the upload it allows is recorded by the
        # journey that makes it, as the s3:PutObject it is authorized as.
        if context.get("is_presign_request") and model.name != "CreateBucket":
            self.calls.append(Call(model.service_model.service_name, model.name, dict(params)))

    def _call(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        self.calls.append(
            Call(
                model.service_model.service_name,
                model.name,
                context.get("contract_params", {}),
                params["url"],
            )
        )


class _RawBody:
    """The urllib3-like body botocore reads a response from: whole, or message by message."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield from self._chunks

    def read(self, *_: Any, **__: Any) -> bytes:
        content, self._chunks = b"".join(self._chunks), []
        return content

    def close(self) -> None:
        pass


def _json_response(request: AWSPreparedRequest, body: Any) -> AWSResponse:
    headers = {"content-type": "application/json"}
    return AWSResponse(request.url, 200, headers, _RawBody([json.dumps(body).encode()]))


def bedrock_endpoint(request: AWSPreparedRequest, operation_name: str) -> AWSResponse:
    """Bedrock runtime as it answers: Converse, ConverseStream, InvokeModel (Titan v2)."""
    usage = {"inputTokens": 42, "outputTokens": 9, "totalTokens": 51}
    if operation_name == "Converse":
        return _json_response(
            request,
            {
                "output": {"message": {"role": "assistant", "content": [{"text": ANSWER}]}},
                "stopReason": "end_turn",
                "usage": usage,
                "metrics": {"latencyMs": 300},
            },
        )
    if operation_name == "ConverseStream":
        headers = {"content-type": "application/vnd.amazon.eventstream"}
        return AWSResponse(
            request.url, 200, headers, _RawBody(text_answer(["Paris is ", "the capital [1]."]))
        )
    if operation_name == "InvokeModel" and b'"messages"' in (request.body or b""):  # Nova
        nova = {
            "output": {
                "message": {"role": "assistant", "content": [{"text": "A list of European capitals."}]}
            },
            "stopReason": "end_turn",
            "usage": {"inputTokens": 120, "outputTokens": 8, "totalTokens": 128},
        }
        return _json_response(request, nova)
    if operation_name == "InvokeModel":
        dimensions = int(json.loads(request.body or b"{}").get("dimensions", 1024))
        body = {"embedding": [0.01] * dimensions, "inputTextTokenCount": 12}
        return _json_response(request, body)
    raise AssertionError(f"no fake for bedrock-runtime {operation_name}")


def s3vectors_endpoint(request: AWSPreparedRequest, operation_name: str) -> AWSResponse:
    answers: dict[str, Any] = {
        "PutVectors": {},
        "DeleteVectors": {},
        "GetVectors": {"vectors": []},
        "QueryVectors": {"vectors": [], "distanceMetric": "cosine"},
    }
    return _json_response(request, answers[operation_name])


class FakeOpenSearch:
    """OpenSearch Serverless behind the SigV4 transport: indexes, bulk writes and searches."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.indexes: set[str] = set()

    def serve(self) -> Callable[..., HttpResponse]:
        """A stand-in for `SigV4Transport.request` that answers from this fake."""

        def request(
            transport: SigV4Transport, method: str, path: str, body: bytes | None = None, **_: Any
        ) -> HttpResponse:
            return self.request(transport, method, path, body)

        return request

    def request(self, transport: SigV4Transport, method: str, path: str, body: bytes | None) -> HttpResponse:
        host = urlparse(transport._endpoint).hostname or ""
        self.recorder.calls.append(Call("aoss", f"{method} {path}", {"collection": host.split(".")[0]}))
        name = path.strip("/").split("/")[0]
        if method == "HEAD":
            return HttpResponse(status=200 if name in self.indexes else 404, body=b"")
        if method == "PUT":
            self.indexes.add(name)
            return _ok({"acknowledged": True, "index": name})
        if path.endswith("/_mapping"):
            return _ok(
                {name: {"mappings": {"properties": {"embedding": {"type": "knn_vector", "dimension": 1024}}}}}
            )
        if path.endswith("/_bulk"):
            actions = [json.loads(line) for line in (body or b"").decode().splitlines() if line]
            items = [
                {kind: {"status": 200}}
                for action in actions
                for kind in action
                if kind in ("index", "delete")
            ]
            return _ok({"took": 3, "errors": False, "items": items})
        if path.endswith("/_search") or path.endswith("/_delete_by_query"):
            return _ok(
                {"took": 1, "timed_out": False, "deleted": 0, "hits": {"total": {"value": 0}, "hits": []}}
            )
        if method == "DELETE":
            self.indexes.discard(name)
            return _ok({"acknowledged": True})
        raise AssertionError(f"no fake for OpenSearch {method} {path}")


def _ok(body: Any) -> HttpResponse:
    return HttpResponse(status=200, body=json.dumps(body).encode())


HTTP_FAKES: dict[str, Callable[[AWSPreparedRequest, str], AWSResponse]] = {
    "bedrock-runtime": bedrock_endpoint,
    "s3vectors": s3vectors_endpoint,
}


def _http_layer(request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse | None:
    """before-send: serve the services moto lacks, leave the rest to moto."""
    _, service, operation = event_name.split(".")[:3]
    fake = HTTP_FAKES.get(service)
    return fake(request, operation) if fake else None


class Cloud:
    """moto resources named as in one deployment's templates, and the recorder of calls."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.recorder = Recorder()
        self.opensearch = FakeOpenSearch(self.recorder)

    def create_resources(self) -> None:
        region = self.deployment.region
        dynamodb = boto3.client("dynamodb", region_name=region)
        for kind in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
            for stack, logical_id, table in self.deployment.of_type(kind):
                properties = table["Properties"]
                extra: dict[str, Any] = {}
                if properties.get("GlobalSecondaryIndexes"):
                    extra["GlobalSecondaryIndexes"] = [
                        {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
                        for index in properties["GlobalSecondaryIndexes"]
                    ]
                dynamodb.create_table(
                    TableName=self.deployment.ref(stack, logical_id),
                    KeySchema=properties["KeySchema"],
                    AttributeDefinitions=properties["AttributeDefinitions"],
                    BillingMode="PAY_PER_REQUEST",
                    **extra,
                )
        s3 = boto3.client("s3", region_name=region)
        for stack, logical_id, _ in self.deployment.of_type("AWS::S3::Bucket"):
            s3.create_bucket(Bucket=self.deployment.ref(stack, logical_id))

    def calls_since(self, start: int) -> list[Call]:
        return self.recorder.calls[start:]


@contextmanager
def deployed(deployment: Deployment) -> Iterator[Cloud]:
    """moto started, the templates' resources created, the code's AWS session hooked."""
    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="ASIACONTRACTTEST",
        AWS_SECRET_ACCESS_KEY="contract",
        AWS_SESSION_TOKEN="contract",
        AWS_DEFAULT_REGION=deployment.region,
    )
    os.environ.pop("AWS_PROFILE", None)
    cloud = Cloud(deployment)
    original_request = SigV4Transport.request
    try:
        # moto's Bedrock runtime and S3 Vectors lack Converse and QueryVectors: served below.
        passthrough = [
            rf"https://{service}\.{deployment.region}\.amazonaws\.com/.*" for service in HTTP_FAKES
        ]
        with mock_aws(config={"core": {"passthrough": {"urls": passthrough}}}):
            cloud.create_resources()
            session = boto3.Session(region_name=deployment.region)
            cloud.recorder.install(session)
            session.events.register_first("before-send", _http_layer)
            boto3.DEFAULT_SESSION = session
            SigV4Transport.request = cloud.opensearch.serve()  # type: ignore[method-assign]
            yield cloud
    finally:
        SigV4Transport.request = original_request  # type: ignore[method-assign]
        boto3.DEFAULT_SESSION = None
        os.environ.clear()
        os.environ.update(saved)
        _forget_containers()


SETTINGS_VARIABLES = frozenset(name.upper() for name in Settings.model_fields)


@contextmanager
def lambda_environment(function: Function, region: str) -> Iterator[None]:
    """The process environment Lambda gives `function`: its template variables, the runtime's."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name in SETTINGS_VARIABLES or name.startswith(("POWERTOOLS_", "COGNITO_", "USER_POOL")):
            del os.environ[name]
    os.environ.update(function.environment)
    os.environ.update(
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        AWS_LAMBDA_FUNCTION_NAME=function.name,
        _HANDLER=function.handler,
    )
    _forget_containers()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        _forget_containers()


def _forget_containers() -> None:
    """A new container per invocation: every per-container cache of the code is emptied."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("lambdas.") or module is None:
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()


def load_handler(function: Function) -> Callable[[dict[str, Any], Any], Any]:
    module = importlib.import_module(function.module)
    handler: Callable[[dict[str, Any], Any], Any] = getattr(module, function.handler.rpartition(".")[2])
    return handler


def invoke(cloud: Cloud, function: Function, event: dict[str, Any]) -> tuple[Any, list[Call]]:
    """Runs the function's handler on `event`; returns its result and the AWS calls it made."""
    start = len(cloud.recorder.calls)
    with lambda_environment(function, cloud.deployment.region):
        result = load_handler(function)(event, FakeLambdaContext())
    return result, cloud.calls_since(start)
