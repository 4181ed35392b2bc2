"""Runs the pinned ministack emulator with this project's stand-ins and fidelity fixes applied.

Run with the emulator's own interpreter (it imports ministack, which the project venv lacks):

    <emulator venv>/bin/python -m tools.verify_deploy.emulator PORT RUNTIME_PYTHON

Every change to the emulator's behaviour is here; see the package docstring for why each exists.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]

IAM_SWITCH_PATH = "/_verify/iam-enforcement"
PUBLIC_PARAMETER_PATH = "/_verify/public-parameter"
_CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
# Cross-region inference profiles are named `<geo>.<model>`; AWS authorizes them as inference profiles.
_INFERENCE_PROFILE = re.compile(r"^(us|eu|apac|us-gov|jp|au|ca|global)\.")


# --- Titan Text Embeddings v2 answered in its own response shape ---------------------------------


def titan_embedding(text: str, dimensions: int, normalize: bool = True) -> list[float]:
    """A deterministic bag-of-words embedding: texts sharing words get close vectors."""
    vector = [0.0] * dimensions
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "big") % dimensions
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector] if normalize else vector


def _titan_invoke(original: Callable[..., tuple[Any, ...]]) -> Callable[..., tuple[Any, ...]]:
    def invoke(model_id: str, headers: Any, body: bytes) -> tuple[Any, ...]:
        if "titan-embed" not in model_id:
            return original(model_id, headers, body)
        request = json.loads(body)
        text = request["inputText"]
        vector = titan_embedding(text, int(request.get("dimensions", 1024)), request.get("normalize", True))
        tokens = len(re.findall(r"\w+", text))
        payload = {"embedding": vector, "inputTextTokenCount": tokens}
        return 200, {"Content-Type": "application/json"}, json.dumps(payload).encode()

    return invoke


# --- Chat models: a grounded extractive reply instead of the emulator's hash-only mock ------------

_PASSAGE = re.compile(r"^\[(\d+)\] [^\n]*\n(.+?)(?=\n\n\[\d+\] |\n\nQuestion: |\Z)", re.M | re.S)
_QUESTION = re.compile(r"^Question: (.+)$", re.M)


def grounded_reply(prompt: str) -> str | None:
    """Quote the first sentence of the numbered passage sharing most words with the question, cited.

    None when the prompt carries no numbered passages and question (the mock reply then stands).
    """
    question = _QUESTION.search(prompt)
    passages = _PASSAGE.findall(prompt)
    if not question or not passages:
        return None
    asked = set(re.findall(r"\w+", question.group(1).lower()))
    number, text = max(passages, key=lambda p: len(asked & set(re.findall(r"\w+", p[1].lower()))))
    sentence = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    return f"{sentence} [{number}]"


def turn_text(messages: Any) -> str:
    """The last message's text as the model reads it: its text blocks and the guard-content
    block that carries the user's question (which the emulator's own reader skips)."""
    if not messages:
        return ""
    parts = []
    for block in messages[-1].get("content", []):
        if "text" in block:
            parts.append(block["text"])
        elif "guardContent" in block:
            parts.append(block["guardContent"].get("text", {}).get("text", ""))
    return "".join(parts)


def _grounded(original: Callable[..., str]) -> Callable[..., str]:
    def reply(model_id: str, messages: Any, system: Any) -> str:
        return grounded_reply(turn_text(messages)) or original(model_id, messages, system)

    return reply


# --- IAM: the actions and resources AWS itself authorizes ------------------------------------------

_BEDROCK_ACTIONS = {
    "bedrock:Converse": "bedrock:InvokeModel",
    "bedrock:ConverseStream": "bedrock:InvokeModelWithResponseStream",
}


def _bedrock_action(original: Callable[..., str | None]) -> Callable[..., str | None]:
    def extract(*args: Any, **kwargs: Any) -> str | None:
        action = original(*args, **kwargs)
        return _BEDROCK_ACTIONS.get(action or "", action)

    return extract


def _inference_profile_arn(original: Callable[..., str]) -> Callable[..., str]:
    def extract(service: str, method: str, path: str, *args: Any, **kwargs: Any) -> str:
        arn = original(service, method, path, *args, **kwargs)
        if service == "bedrock-runtime" and ":foundation-model/" in arn:
            model_id = arn.rsplit("/", 1)[1]
            if _INFERENCE_PROFILE.match(model_id):
                region = arn.split(":")[3]
                from ministack.core.responses import get_account_id

                return f"arn:aws:bedrock:{region}:{get_account_id()}:inference-profile/{model_id}"
        return arn

    return extract


# --- S3 Vectors data plane: an in-memory stand-in ---------------------------------------------------


class VectorStore:
    """PutVectors, GetVectors, QueryVectors (cosine, `$eq`/`$and` filters) and DeleteVectors."""

    def __init__(self) -> None:
        self._indexes: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def handle(self, operation: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        index = self._indexes.setdefault(_index_key(request), {})
        if operation == "PutVectors":
            for vector in request["vectors"]:
                index[vector["key"]] = vector
            return 200, {}
        if operation == "DeleteVectors":
            for key in request["keys"]:
                index.pop(key, None)
            return 200, {}
        if operation == "GetVectors":
            found = [index[key] for key in request["keys"] if key in index]
            return 200, {"vectors": [_shown(vector, request) for vector in found]}
        if operation == "QueryVectors":
            query = request["queryVector"]["float32"]
            matches = [v for v in index.values() if _matches(v.get("metadata", {}), request.get("filter"))]
            scored = sorted(
                ((_cosine_distance(query, v["data"]["float32"]), v) for v in matches), key=lambda p: p[0]
            )
            vectors = [{**_shown(v, request), "distance": d} for d, v in scored[: request["topK"]]]
            return 200, {"vectors": vectors, "distanceMetric": "cosine"}
        return 400, {"message": f"{operation} is not served by the S3 Vectors stand-in"}


def _index_key(request: dict[str, Any]) -> tuple[str, str]:
    if "indexArn" in request:
        bucket_arn, _, index = request["indexArn"].partition("/index/")
        return bucket_arn.rsplit("/", 1)[1], index
    return request["vectorBucketName"], request["indexName"]


def _shown(vector: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"key": vector["key"]}
    if request.get("returnMetadata"):
        shown["metadata"] = vector.get("metadata", {})
    if request.get("returnData"):
        shown["data"] = vector["data"]
    return shown


def _matches(metadata: dict[str, Any], condition: dict[str, Any] | None) -> bool:
    if not condition:
        return True
    for key, expected in condition.items():
        if key == "$and":
            if not all(_matches(metadata, part) for part in expected):
                return False
        elif isinstance(expected, dict):
            if set(expected) != {"$eq"}:
                raise ValueError(f"the S3 Vectors stand-in supports only $eq and $and, got {expected}")
            if metadata.get(key) != expected["$eq"]:
                return False
        elif metadata.get(key) != expected:
            return False
    return True


def _cosine_distance(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)) or 1.0
    return 1.0 - dot / norm


# --- The ASGI front ----------------------------------------------------------------------------------


def front(app: Asgi, vectors: VectorStore) -> Asgi:
    """Wrap ministack: requests count as TLS, the IAM switch, and S3 Vectors go to the stand-in."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        # The loopback hop stands in for the TLS every AWS endpoint requires (enforceSSL policies).
        scope["headers"] = [*scope.get("headers", []), (b"x-forwarded-proto", b"https")]
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["path"] == IAM_SWITCH_PATH and scope["method"] == "POST":
            import ministack.app

            ministack.app.AUTH = True
            await _reply(send, 200, {"iamEnforcement": True})
            return
        if scope["path"] == PUBLIC_PARAMETER_PATH and scope["method"] == "POST":
            parameter = json.loads(await _read_body(receive))
            _publish_public_parameter(parameter["name"], parameter["value"])
            await _reply(send, 200, parameter)
            return
        credential = _CREDENTIAL_SCOPE.search(headers.get("authorization", ""))
        if credential and credential.group(3) == "s3vectors":
            body = await _read_body(receive)
            operation = scope["path"].strip("/")
            request = json.loads(body or b"{}")
            denied = _s3vectors_denied(credential.group(1), credential.group(2), operation, request)
            if denied:
                await _reply(send, 403, {"message": denied}, error="AccessDeniedException")
                return
            status, payload = vectors.handle(operation, request)
            await _reply(send, status, payload)
            return
        await app(scope, receive, send)

    return serve


def _publish_public_parameter(name: str, value: str) -> None:
    """A public parameter every account reads, as AWS publishes under /aws/service/ (names reserved to AWS)."""
    from ministack.services import ssm

    ssm._PUBLIC_AMI_PARAMETERS[name] = value


def _s3vectors_denied(access_key: str, region: str, operation: str, request: dict[str, Any]) -> str | None:
    import ministack.app
    from ministack.core import iam_evaluator
    from ministack.core.responses import get_account_id

    if not ministack.app.AUTH:
        return None
    bucket, index = _index_key(request)
    arn = f"arn:aws:s3vectors:{region}:{get_account_id()}:bucket/{bucket}/index/{index}"
    result = iam_evaluator.enforce(access_key, f"s3vectors:{operation}", "s3vectors", region, arn)
    if result is None:
        return None
    return f"not authorized to perform s3vectors:{operation} on {arn}: {result}"


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _reply(send: Send, status: int, payload: dict[str, Any], error: str | None = None) -> None:
    headers = [(b"content-type", b"application/json")]
    if error:
        headers.append((b"x-amzn-errortype", error.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


def patch(runtime_python: str) -> None:
    """Apply the fixes to the imported ministack modules."""
    from ministack.core import iam_actions, lambda_runtime
    from ministack.services import bedrock_runtime

    original_runtime = lambda_runtime._detect_runtime_binary

    def runtime_binary(runtime: str) -> tuple[str, str]:
        binary, script = original_runtime(runtime)
        return (runtime_python, script) if runtime.startswith("python") else (binary, script)

    lambda_runtime._detect_runtime_binary = runtime_binary
    bedrock_runtime._invoke_model = _titan_invoke(bedrock_runtime._invoke_model)
    bedrock_runtime._mock_reply = _grounded(bedrock_runtime._mock_reply)
    import ministack.app

    for module in (iam_actions, ministack.app):
        if hasattr(module, "extract_iam_action"):
            module.extract_iam_action = _bedrock_action(module.extract_iam_action)
        if hasattr(module, "extract_resource_arn"):
            module.extract_resource_arn = _inference_profile_arn(module.extract_resource_arn)


def main() -> None:
    port, runtime_python = int(sys.argv[1]), sys.argv[2]
    import ministack.app
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    patch(runtime_python)
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.loglevel = "WARNING"
    asyncio.run(serve(front(ministack.app.app, VectorStore()), config))


if __name__ == "__main__":
    main()
