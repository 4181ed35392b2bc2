"""Wiring contract: every function of every synthesized variant runs as deployed.

Each handler imports; every variable the stack sets is read by the code; every setting the
code path needs is set; and each journey reaches its functions with the events their
integrations send, under the function's template environment, against resources named as
in the template.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from typing import Any

import pytest

from lambdas.settings import Settings
from tests.contract.cloud import lambda_environment
from tests.contract.conftest import Journal
from tests.contract.deployment import Deployment, Function
from tests.contract.journeys import OWNER, Journeys, Outcome

# Read by Powertools (Logger, Metrics, Tracer) or by the Lambda runtime, not by our code.
PLATFORM_VARIABLES = frozenset(
    {
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_LOG_LEVEL",
        "AWS_NODEJS_CONNECTION_REUSE_ENABLED",
    }
)
SETTINGS = frozenset(name.upper() for name in Settings.model_fields)
DATA = ("CONVERSATIONS_TABLE", "USAGE_TABLE", "DOCUMENTS_TABLE", "DOCUMENTS_BUCKET")
BACKEND = {"opensearch": ("OPENSEARCH_ENDPOINT",), "s3vectors": ("S3VECTORS_BUCKET",)}
NEEDED = {
    "lambdas.handlers.api": (*DATA, "LLM_PROVIDER", "VECTOR_BACKEND"),
    "lambdas.handlers.stream": (*DATA, "LLM_PROVIDER", "VECTOR_BACKEND", "WEBSOCKET_CALLBACK_URL"),
    "lambdas.handlers.ws_authorizer": ("COGNITO_USER_POOL_ID", "COGNITO_APP_CLIENT_ID"),
    "lambdas.handlers.ingest_extract": ("DOCUMENTS_TABLE", "DOCUMENTS_BUCKET", "VECTOR_BACKEND"),
    "lambdas.handlers.ingest_embed": ("DOCUMENTS_BUCKET", "USAGE_TABLE", "VECTOR_BACKEND"),
    "lambdas.handlers.ingest_index": ("DOCUMENTS_TABLE", "DOCUMENTS_BUCKET", "VECTOR_BACKEND"),
    "lambdas.handlers.vector_index_resource": (),
    "lambdas.handlers.pre_sign_up": ("ALLOWED_EMAIL_DOMAINS",),
    "lambdas.handlers.upload_sweep": ("DOCUMENTS_TABLE", "DOCUMENTS_BUCKET"),
    "lambdas.handlers.mcp": (
        *DATA,
        "LLM_PROVIDER",
        "VECTOR_BACKEND",
        "COGNITO_USER_POOL_ID",
        "COGNITO_APP_CLIENT_ID",
    ),
}
"""Settings each handler's code path needs from the stack (beyond defaults that hold anywhere)."""
SEARCHES = (
    "lambdas.handlers.api",
    "lambdas.handlers.stream",
    "lambdas.handlers.mcp",
    "lambdas.handlers.ingest_index",
)


def read_explicitly(function: Function) -> set[str]:
    """Variables the handler module reads itself (`os.environ.get("NAME")`, `os.environ["NAME"]`)."""
    source = inspect.getsource(importlib.import_module(function.module))
    return set(re.findall(r"""environ(?:\.get\(|\[)\s*["']([A-Z0-9_]+)["']""", source))


def test_every_handler_imports(deployment: Deployment) -> None:
    for function in deployment.functions:
        module = importlib.import_module(function.module)
        assert callable(getattr(module, function.handler.rpartition(".")[2])), function.handler


def test_every_variable_the_stack_sets_is_read_by_the_code(deployment: Deployment) -> None:
    unread = {
        function.logical_id: sorted(
            set(function.environment) - SETTINGS - PLATFORM_VARIABLES - read_explicitly(function)
        )
        for function in deployment.functions
    }
    assert {name: names for name, names in unread.items() if names} == {}


def test_every_setting_a_handler_needs_is_set(deployment: Deployment) -> None:
    missing = {}
    for function in deployment.functions:
        needed = set(NEEDED[function.module])
        if function.module in SEARCHES or function.module.startswith("lambdas.handlers.ingest"):
            needed |= set(BACKEND[deployment.config.vector_backend])
        if absent := sorted(needed - set(function.environment)):
            missing[function.logical_id] = absent
    assert missing == {}


def test_every_function_environment_is_valid_settings(deployment: Deployment) -> None:
    """Settings validates each function's environment as its container would at start."""
    for function in deployment.functions:
        with lambda_environment(function, deployment.region):
            settings = Settings()
        assert settings.aws_region == deployment.region


def succeeded(journal: Journal, journey: str) -> Outcome:
    outcome = journal.outcomes[journey]
    if outcome.error is not None:
        raise AssertionError(
            f"the {journey} journey failed: {type(outcome.error).__name__}: {outcome.error}"
        ) from outcome.error
    return outcome


def body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def test_a_signed_in_user_chats_and_reads_the_conversation_and_usage(journal: Journal) -> None:
    outcome = succeeded(journal, "chat")
    assert outcome.results["chat"]["statusCode"] == 200
    assert body(outcome.results["chat"])["answer"].startswith("Paris is the capital")
    assert [m["role"] for m in body(outcome.results["conversation"])["messages"]] == ["user", "assistant"]
    models = body(outcome.results["usage"])["models"]
    assert sum(m["requests"] for m in models if m["kind"] == "chat") == 1


def test_the_scheduled_upload_sweep_runs_and_leaves_a_fresh_upload_pending(journal: Journal) -> None:
    outcome = succeeded(journal, "upload_sweep")
    assert outcome.results["sweep"] == {"failed": 0}


def test_every_read_route_answers_and_a_conversation_can_be_deleted(journal: Journal) -> None:
    outcome = succeeded(journal, "chat")
    statuses = {
        path: outcome.results[path]["statusCode"]
        for path in ("/v1/models", "/v1/limits", "/v1/conversations", "/v1/documents")
    }
    assert statuses == dict.fromkeys(statuses, 200)
    assert outcome.results["deleted"]["statusCode"] == 204


def test_an_upload_goes_through_the_workflow_to_ready(journal: Journal) -> None:
    outcome = succeeded(journal, "upload")
    for execution in (outcome.results["execution"], outcome.results["redelivery"]):
        assert (execution.status, execution.error) == ("SUCCEEDED", None)
    assert body(outcome.results["document"])["status"] == "READY"
    assert body(outcome.results["document"])["chunk_count"] >= 1


def test_an_ingested_document_is_summarised_by_the_summaries_workflow(journal: Journal) -> None:
    outcome = succeeded(journal, "lifecycle")
    execution = outcome.results["summary_execution"]
    assert (execution.status, execution.error) == ("SUCCEEDED", None)
    assert outcome.results["summary"] == "A list of European capitals."


def test_the_owner_deletes_an_ingested_document(journal: Journal) -> None:
    outcome = succeeded(journal, "lifecycle")
    assert outcome.results["deleted"]["statusCode"] == 204
    assert outcome.results["after_delete"]["statusCode"] == 404


def test_the_workflow_sends_each_task_the_payload_its_handler_reads(journal: Journal) -> None:
    """Payloads are built by the synthesized ASL's Parameters from the S3 event, not by hand."""
    execution = succeeded(journal, "upload").results["execution"]
    by_arn = {function.arn: function.module for function in journal.deployment.functions}
    extract, embed, index = [(by_arn[arn], payload) for arn, payload in execution.lambda_payloads]
    assert extract[0] == "lambdas.handlers.ingest_extract"
    assert set(extract[1]) == {"bucket", "key"}
    assert extract[1]["key"].startswith(f"uploads/{OWNER}/")
    assert embed[0] == "lambdas.handlers.ingest_embed"
    assert set(embed[1]) == {"key"}
    assert index[0] == "lambdas.handlers.ingest_index"
    assert index[1]["owner"] == OWNER


def test_websocket_connect_is_authorized_by_the_verifier_built_from_the_template(journal: Journal) -> None:
    policy = succeeded(journal, "connect").results["authorizer"]
    assert policy["principalId"] == OWNER
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert policy["context"] == {"sub": OWNER}


def test_a_streamed_answer_is_posted_to_the_callers_connection(journal: Journal) -> None:
    outcome = succeeded(journal, "stream")
    posts = [call for _, call in outcome.calls if call.operation == "PostToConnection"]
    frames = [json.loads(call.params["Data"]) for call in posts]
    assert [frame["type"] for frame in frames][-1] == "done", frames
    callback = journal.deployment.function("lambdas.handlers.stream").environment["WEBSOCKET_CALLBACK_URL"]
    assert all(call.url.startswith(callback) for call in posts)


def test_the_vector_index_custom_resource_creates_the_index(journal: Journal) -> None:
    if "vector_index" not in journal.outcomes:
        pytest.skip("this variant has no OpenSearch index resource")
    results = succeeded(journal, "vector_index").results
    assert results["started"]["PhysicalResourceId"] == journal.deployment.config.opensearch_index
    assert results["complete"] == {"IsComplete": True}


def test_the_pre_sign_up_trigger_admits_an_allowed_domain(journal: Journal) -> None:
    if "pre_sign_up" not in journal.outcomes:
        pytest.skip("this variant allows every email domain")
    assert succeeded(journal, "pre_sign_up").results["admitted"]["triggerSource"] == "PreSignUp_SignUp"


def test_an_mcp_client_without_a_token_is_pointed_to_the_resource_metadata(journal: Journal) -> None:
    response = succeeded(journal, "mcp").results["mcp_anonymous"]
    assert response["statusCode"] == 401
    domain = Journeys(journal.deployment).rest_api_domain()
    metadata = f"https://{domain}/prod/.well-known/oauth-protected-resource/mcp"
    assert f'resource_metadata="{metadata}"' in response["headers"]["www-authenticate"]


def test_the_mcp_resource_metadata_names_the_templates_user_pool(journal: Journal) -> None:
    response = succeeded(journal, "mcp").results["mcp_metadata"]
    assert response["statusCode"] == 200
    stack, pool_id, _ = journal.deployment.one("AWS::Cognito::UserPool")
    issuer = f"https://cognito-idp.{journal.deployment.region}.amazonaws.com/{journal.deployment.ref(stack, pool_id)}"
    domain = Journeys(journal.deployment).rest_api_domain()
    assert response["body"]["authorization_servers"] == [issuer]
    assert response["body"]["resource"] == f"https://{domain}/prod/mcp"


def test_an_mcp_client_with_an_access_token_lists_the_tools_and_calls_them(journal: Journal) -> None:
    outcome = succeeded(journal, "mcp")
    responses = outcome.results["mcp"]
    assert {name: r["statusCode"] for name, r in responses.items()} == dict.fromkeys(responses, 200)
    assert responses["initialize"]["body"]["result"]["serverInfo"]["name"] == "serverless-genai-chat"
    tools = {tool["name"] for tool in responses["tools/list"]["body"]["result"]["tools"]}
    assert tools == {"list_documents", "search_documents", "get_document_status", "ask"}
    results = {name: r["body"]["result"] for name, r in responses.items() if name != "tools/list"}
    document = outcome.results["mcp_document"]
    listed = results["list_documents"]["structuredContent"]["documents"]
    assert [d["id"] for d in listed] == [document]
    assert results["get_document_status"]["structuredContent"]["status"] == "PENDING"
    assert results["missing_document"]["isError"] is True
    assert results["missing_document"]["content"][0]["text"].endswith("not found")
    assert results["search_documents"]["structuredContent"] == {"passages": []}
    assert results["ask"]["structuredContent"]["answer"].startswith("Paris is the capital")
