"""The user journeys, through the deployed API Gateway, Cognito and Step Functions of the emulator.

Each journey is a function raising `JourneyFailed` (or any exception) with what went wrong; they run
in order as one user would, later ones using what earlier ones created.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import boto3
import requests
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from lambdas.adapters.aws_errors import error_code
from tools.verify_deploy.deploy import REGION, Emulator

TIMEOUT_SECONDS = 60
PASSAGE = (
    "The Zephyr maintenance window opens every Thursday at 02:00 UTC and lasts ninety minutes. "
    "During the window the Zephyr cluster rejects new uploads."
)
QUESTION = "When does the Zephyr maintenance window open?"
# Uploaded as HTML, so the extract task runs the vendored, compiled HTML parser.
DOCUMENT_HTML = f"<!doctype html><title>Zephyr</title><h1>Zephyr operations</h1><p>{PASSAGE}</p>"


class JourneyFailed(AssertionError):
    pass


@dataclass(frozen=True, slots=True)
class JourneyResult:
    name: str
    passed: bool
    detail: str = ""


@dataclass
class Deployment:
    """Where the deployed app answers, read from its stack outputs, and what journeys left behind."""

    emulator: Emulator
    api_base: str
    websocket_url: str
    user_pool_id: str
    client_id: str
    state_machine_arn: str
    token: str = ""
    remembered: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def discover(cls, emulator: Emulator) -> Deployment:
        cloudformation = emulator.client("cloudformation")
        outputs: dict[str, str] = {}
        for stack in cloudformation.describe_stacks()["Stacks"]:
            outputs |= {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        return cls(
            emulator=emulator,
            api_base=_execute_api_path(emulator.endpoint, outputs["ApiUrl"], "http"),  # ends in /v1
            websocket_url=_execute_api_path(emulator.endpoint, outputs["WebSocketUrl"], "ws"),
            user_pool_id=outputs["UserPoolId"],
            client_id=outputs["UserPoolClientId"],
            state_machine_arn=outputs["IngestionStateMachineArn"],
        )

    def call(self, method: str, path: str, *, expect: int, **kwargs: Any) -> Any:
        headers = {"Authorization": self.token} if self.token else {}
        response = requests.request(
            method,
            self.api_base + path,
            headers=headers | kwargs.pop("headers", {}),
            timeout=TIMEOUT_SECONDS,
            **kwargs,
        )
        if response.status_code != expect:
            raise JourneyFailed(
                f"{method} {path}: HTTP {response.status_code} (expected {expect}): {response.text[:500]}"
            )
        return response.json() if response.content else None


def _execute_api_path(endpoint: str, url: str, scheme: str) -> str:
    """The emulator's path-style address of an execute-api URL (`*.localhost` names do not resolve)."""
    parsed = urlparse(url)
    api_id = parsed.hostname.split(".", 1)[0] if parsed.hostname else ""
    base = endpoint.replace("http", scheme, 1)
    return f"{base}/_aws/execute-api/{api_id}{parsed.path.rstrip('/')}"


Journey = Callable[[Deployment], None]


def iam_enforced(deployment: Deployment) -> None:
    """The emulator enforces IAM: a principal without policies cannot read a deployed table."""
    iam = deployment.emulator.client("iam")
    name = f"no-rights-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    table = deployment.emulator.client("dynamodb").list_tables()["TableNames"][0]
    outsider = boto3.client(
        "dynamodb",
        endpoint_url=deployment.emulator.endpoint,
        region_name=REGION,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    try:
        outsider.scan(TableName=table, Limit=1)
    except ClientError as error:
        if error_code(error) in ("AccessDeniedException", "AccessDenied"):
            return
        raise
    raise JourneyFailed(f"a user with no policies could scan {table}: IAM is not enforced")


def sign_in(deployment: Deployment) -> None:
    """SRP against the deployed user pool; the API refuses a request without the token."""
    deployment.call("POST", "/chat", expect=401, json={"message": "hello"})
    deployment.token = _new_user_token(deployment)


def _new_user_token(deployment: Deployment) -> str:
    """Create a user as an administrator would, then sign in with SRP as the web page does."""
    cognito = deployment.emulator.client("cognito-idp")
    username, password = f"reader-{uuid.uuid4().hex[:8]}@example.com", f"Pw-{uuid.uuid4().hex}!"
    cognito.admin_create_user(
        UserPoolId=deployment.user_pool_id,
        Username=username,
        UserAttributes=[{"Name": "email", "Value": username}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=deployment.user_pool_id, Username=username, Password=password, Permanent=True
    )
    srp = AWSSRP(
        username=username,
        password=password,
        pool_id=deployment.user_pool_id,
        client_id=deployment.client_id,
        client=cognito,
    )
    return str(srp.authenticate_user()["AuthenticationResult"]["IdToken"])


def chat(deployment: Deployment) -> None:
    """One turn through the Cognito authorizer, the API function and the model."""
    turn = deployment.call("POST", "/chat", expect=200, json={"message": "Hello, what can you do?"})
    if not turn["answer"] or turn["usage"]["output_tokens"] <= 0:
        raise JourneyFailed(f"empty answer: {turn}")
    deployment.remembered["conversation_id"] = turn["conversation_id"]


def read_conversation(deployment: Deployment) -> None:
    """The turn just asked is listed and stored with both messages."""
    conversation_id = deployment.remembered["conversation_id"]
    listed = deployment.call("GET", "/conversations", expect=200)["conversations"]
    if conversation_id not in [c["id"] for c in listed]:
        raise JourneyFailed(f"conversation {conversation_id} not listed in {listed}")
    detail = deployment.call("GET", f"/conversations/{conversation_id}", expect=200)
    roles = [m["role"] for m in detail["messages"]]
    if roles != ["user", "assistant"]:
        raise JourneyFailed(f"stored messages are {roles}, expected a user and an assistant message")


def upload_to_ready(deployment: Deployment) -> None:
    """Presigned POST to the bucket -> EventBridge -> ingestion workflow -> the document READY."""
    content = DOCUMENT_HTML.encode()
    ticket = deployment.call(
        "POST",
        "/documents",
        expect=201,
        json={"filename": "zephyr-operations.html", "content_type": "text/html", "size_bytes": len(content)},
    )
    document_id = ticket["document"]["id"]
    upload = ticket["upload"]
    posted = requests.post(
        upload["url"],
        data=upload["fields"],
        files={"file": ("zephyr-operations.html", content, "text/html")},
        timeout=TIMEOUT_SECONDS,
    )
    if posted.status_code not in (200, 201, 204):
        raise JourneyFailed(f"presigned POST refused: HTTP {posted.status_code}: {posted.text[:500]}")
    deadline = time.monotonic() + TIMEOUT_SECONDS
    status = ticket["document"]["status"]
    while time.monotonic() < deadline:
        status = deployment.call("GET", f"/documents/{document_id}", expect=200)["status"]
        if status in ("READY", "FAILED"):
            break
        time.sleep(0.5)
    executions = deployment.emulator.client("stepfunctions").list_executions(
        stateMachineArn=deployment.state_machine_arn
    )["executions"]
    if status != "READY":
        raise JourneyFailed(
            f"document {document_id} ended {status}; executions: {_execution_errors(deployment, executions)}"
        )
    if not any(e["status"] == "SUCCEEDED" for e in executions):
        raise JourneyFailed(f"no ingestion execution succeeded: {executions}")
    deployment.remembered["document_id"] = document_id


def _execution_errors(deployment: Deployment, executions: list[dict[str, Any]]) -> list[str]:
    stepfunctions = deployment.emulator.client("stepfunctions")
    errors = []
    for execution in executions:
        events = stepfunctions.get_execution_history(executionArn=execution["executionArn"])["events"]
        for event in events:
            details = next((v for k, v in event.items() if k.endswith("FailedEventDetails")), None)
            if details:
                errors.append(f"{event['type']}: {details.get('error')}: {str(details.get('cause'))[:400]}")
    return errors or [e["status"] for e in executions]


def cited_answer(deployment: Deployment) -> None:
    """A question about the uploaded passage is answered citing that document."""
    document_id = deployment.remembered["document_id"]
    turn = deployment.call("POST", "/chat", expect=200, json={"message": QUESTION})
    cited = {citation["document_id"] for citation in turn["citations"]}
    if document_id not in cited or "Thursday at 02:00 UTC" not in turn["answer"]:
        raise JourneyFailed(
            f"answer {turn['answer']!r} cites {sorted(cited)}, not the passage of the uploaded document {document_id}"
        )


def usage_and_limits(deployment: Deployment) -> None:
    """The chat turns and the embedding batches are counted, and the daily budget shows their tokens."""
    usage = deployment.call("GET", "/usage", expect=200)
    kinds = {model["kind"] for model in usage["models"]}
    if usage["totals"]["requests"] < 2 or not {"chat", "embedding"} <= kinds:
        raise JourneyFailed(f"usage does not show the chat turns and the embedding: {usage}")
    limits = deployment.call("GET", "/limits", expect=200)
    if limits["daily_tokens_used"] <= 0:
        raise JourneyFailed(f"limits show no tokens used: {limits}")


def isolation(deployment: Deployment) -> None:
    """Another user sees none of the first user's conversations or documents, nor answers from them."""
    other = dataclasses.replace(deployment, token=_new_user_token(deployment), remembered={})
    conversation_id, document_id = (
        deployment.remembered["conversation_id"],
        deployment.remembered["document_id"],
    )
    listed = other.call("GET", "/conversations", expect=200)["conversations"]
    if conversation_id in [c["id"] for c in listed]:
        raise JourneyFailed("another user lists the first user's conversation")
    other.call("GET", f"/conversations/{conversation_id}", expect=404)
    other.call("GET", f"/documents/{document_id}", expect=404)
    turn = other.call("POST", "/chat", expect=200, json={"message": QUESTION})
    if turn["citations"]:
        raise JourneyFailed(f"another user's answer cites the first user's document: {turn['citations']}")


JOURNEYS: tuple[Journey, ...] = (
    iam_enforced,
    sign_in,
    chat,
    read_conversation,
    upload_to_ready,
    cited_answer,
    usage_and_limits,
    isolation,
)


def run_all(deployment: Deployment) -> list[JourneyResult]:
    results = []
    for journey in JOURNEYS:
        name = journey.__name__.replace("_", "-")
        try:
            journey(deployment)
        except Exception as error:
            results.append(JourneyResult(name, False, f"{type(error).__name__}: {error}"))
        else:
            results.append(JourneyResult(name, True))
    return results
