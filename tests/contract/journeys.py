"""The user journeys of one deployment, each function reached the way its integration calls it.

Every journey runs the real handlers with their template environments against moto resources
named as in the template, and keeps the AWS calls each principal (a function's role, a state
machine's role, an EventBridge target role) made, for the permissions contract.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.contract.cloud import Call, Cloud, deployed, invoke
from tests.contract.deployment import Deployment, Function
from tests.contract.workflow import Execution, StateMachine
from tests.infra.conftest import state_machine_definition
from tests.support.events import MCP_PROTOCOL_VERSION, mcp_event, rest_event

OWNER = "8a1f6c2e-0d4b-4f43-9a57-2b8e5f7c1d30"
CONNECTION_ID = "L0SM9cOFvHcCIhw="
DOCUMENT = b"# Capitals\n\nParis is the capital of France. Berlin is the capital of Germany.\n"
MISSING_DOCUMENT = "0b9d2f1e7c3a4e5b8a6d1f2e3d4c5b6a"
METADATA_PATH = "/.well-known/oauth-protected-resource/mcp"


@dataclass
class Principal:
    """Who makes AWS calls: a role, with the name of what assumes it."""

    name: str
    stack_name: str
    role_logical_id: str


@dataclass
class Outcome:
    """What one journey showed: results to assert on, calls per principal, or the failure."""

    results: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[Principal, Call]] = field(default_factory=list)
    error: BaseException | None = None


class Journeys:
    """Runs each journey in a fresh emulated account of the deployment."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment

    def principal_of(self, function: Function) -> Principal:
        return Principal(function.logical_id, function.stack.name, function.role_logical_id)

    def run(self, journey: Callable[[Cloud, Outcome], None]) -> Outcome:
        outcome = Outcome()
        try:
            with deployed(self.deployment) as cloud:
                journey(cloud, outcome)
        except Exception as error:  # kept for the test to report with its journey's name
            outcome.error = error
        return outcome

    def call(self, cloud: Cloud, outcome: Outcome, module: str, event: dict[str, Any]) -> Any:
        function = self.deployment.function(module)
        result, calls = invoke(cloud, function, event)
        outcome.calls.extend((self.principal_of(function), call) for call in calls)
        return result

    # -- REST API -------------------------------------------------------------------------

    def api(self, cloud: Cloud, outcome: Outcome, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = self.call(
            cloud, outcome, "lambdas.handlers.api", rest_event(method, path, body=body, owner=OWNER)
        )
        assert isinstance(response, dict)
        return response

    def chat(self, cloud: Cloud, outcome: Outcome) -> None:
        response = self.api(cloud, outcome, "POST", "/v1/chat", {"message": "What is the capital of France?"})
        outcome.results["chat"] = response
        conversation = json.loads(response["body"]).get("conversation_id", "")
        outcome.results["conversation"] = self.api(cloud, outcome, "GET", f"/v1/conversations/{conversation}")
        outcome.results["usage"] = self.api(cloud, outcome, "GET", "/v1/usage")
        for path in ("/v1/models", "/v1/limits", "/v1/conversations", "/v1/documents"):
            outcome.results[path] = self.api(cloud, outcome, "GET", path)
        outcome.results["deleted"] = self.api(cloud, outcome, "DELETE", f"/v1/conversations/{conversation}")

    def upload(self, cloud: Cloud, outcome: Outcome) -> None:
        """Upload form -> the browser's POST -> S3 "Object Created" -> ingestion workflow -> READY."""
        created = self.upload_form(cloud, outcome)
        outcome.results["upload"] = created
        ticket = json.loads(created["body"])
        key = ticket["upload"]["fields"]["key"]
        bucket = self.deployment.function("lambdas.handlers.api").environment["DOCUMENTS_BUCKET"]
        # The browser's POST is authorized as the API function's role, which signed the form.
        outcome.calls.append(
            (
                self.principal_of(self.deployment.function("lambdas.handlers.api")),
                Call("s3", "PutObject", {"Bucket": bucket, "Key": key}),
            )
        )
        boto3.client("s3", region_name=self.deployment.region).put_object(
            Bucket=bucket, Key=key, Body=DOCUMENT
        )
        event = s3_object_created(self.deployment, bucket, key, len(DOCUMENT))
        outcome.results["execution"] = self.ingest(cloud, outcome, event)
        # EventBridge delivers at least once: a second delivery re-ingests over the first's batches.
        outcome.results["redelivery"] = self.ingest(cloud, outcome, event)
        document_id = ticket["document"]["id"]
        outcome.results["document"] = self.api(cloud, outcome, "GET", f"/v1/documents/{document_id}")

    def upload_sweep(self, cloud: Cloud, outcome: Outcome) -> None:
        """A PENDING upload, then the scheduled sweep that fails abandoned ones (this one is new)."""
        self.upload_form(cloud, outcome)
        event = {
            "version": "0",
            "id": "5f9b1c2d-sweep",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.deployment.account,
            "time": "2026-11-30T01:00:00Z",
            "region": self.deployment.region,
            "resources": [],
            "detail": {},
        }
        outcome.results["sweep"] = self.call(cloud, outcome, "lambdas.handlers.upload_sweep", event)

    def upload_form(self, cloud: Cloud, outcome: Outcome) -> dict[str, Any]:
        """The upload form's request: a PENDING document and the signed form for its object."""
        form = {"filename": "capitals.md", "content_type": "text/markdown", "size_bytes": len(DOCUMENT)}
        return self.api(cloud, outcome, "POST", "/v1/documents", form)

    def ingest(self, cloud: Cloud, outcome: Outcome, event: dict[str, Any]) -> Execution:
        execution, output = self.workflow(cloud, outcome, "Ingestion", event)
        outcome.results.setdefault("ingestion_outputs", []).append(output)
        return execution

    def summarise(self, cloud: Cloud, outcome: Outcome) -> None:
        """The summaries workflow, started by the ingestion execution's SUCCEEDED event."""
        self.upload(cloud, outcome)
        ingestion_arn = self.deployment.ref(
            *self.deployment.one("AWS::StepFunctions::StateMachine", "Ingestion")[:2]
        )
        event = execution_succeeded(self.deployment, ingestion_arn, outcome.results["ingestion_outputs"][0])
        outcome.results["summary_execution"], _ = self.workflow(cloud, outcome, "Summaries", event)
        document = json.loads(outcome.results["upload"]["body"])["document"]["id"]
        table = self.deployment.function("lambdas.handlers.api").environment["DOCUMENTS_TABLE"]
        item = boto3.client("dynamodb", region_name=self.deployment.region).get_item(
            TableName=table, Key={"pk": {"S": f"USER#{OWNER}"}, "sk": {"S": f"DOC#{document}"}}
        )["Item"]
        outcome.results["summary"] = item.get("summary", {}).get("S")

    def lifecycle(self, cloud: Cloud, outcome: Outcome) -> None:
        """Upload, ingestion, summary, then the owner deletes the document."""
        self.summarise(cloud, outcome)
        document = json.loads(outcome.results["upload"]["body"])["document"]["id"]
        outcome.results["deleted"] = self.api(cloud, outcome, "DELETE", f"/v1/documents/{document}")
        outcome.results["after_delete"] = self.api(cloud, outcome, "GET", f"/v1/documents/{document}")

    def workflow(
        self, cloud: Cloud, outcome: Outcome, prefix: str, event: dict[str, Any]
    ) -> tuple[Execution, Any]:
        """Runs the state machine whose logical id starts with `prefix` on `event`."""
        stack, machine_id, machine = self.deployment.one("AWS::StepFunctions::StateMachine", prefix)
        role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        machine_principal = Principal(machine_id, stack.name, role)
        definition = state_machine_definition(
            stack.template, machine_id, lambda intrinsic: str(self.deployment.resolve(stack, intrinsic))
        )
        by_arn = {function.arn: function for function in self.deployment.functions}

        def run_lambda(arn: str, payload: dict[str, Any]) -> Any:
            function = by_arn[arn.removesuffix(":$LATEST")]
            outcome.calls.append(
                (machine_principal, Call("lambda", "Invoke", {"FunctionName": function.arn}))
            )
            result, calls = invoke(cloud, function, payload)
            outcome.calls.extend((self.principal_of(function), call) for call in calls)
            return result

        def run_integration(integration: str, parameters: dict[str, Any]) -> Any:
            start = len(cloud.recorder.calls)
            try:
                return service_integration(self.deployment.region, integration, parameters)
            finally:
                outcome.calls.extend((machine_principal, call) for call in cloud.calls_since(start))

        return StateMachine(definition, run_lambda, run_integration).start(event)

    # -- MCP ------------------------------------------------------------------------------

    def mcp(self, cloud: Cloud, outcome: Outcome, identity: CognitoIdentity) -> None:
        """An MCP client on `/mcp`: refused without a token, then, with the user's access token,
        the handshake, the tool list and each tool on a document the upload form created."""
        start = rpc(
            "initialize",
            {
                "protocolVersion": MCP_PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "contract", "version": "1"},
            },
        )
        outcome.results["mcp_anonymous"] = self.mcp_post(cloud, outcome, start, token=None)
        # Where the 401 points the client: the metadata naming the authorization server.
        outcome.results["mcp_metadata"] = self.mcp_request(cloud, outcome, "GET", METADATA_PATH)
        document_id = json.loads(self.upload_form(cloud, outcome)["body"])["document"]["id"]
        outcome.results["mcp_document"] = document_id
        token = identity.access_token(OWNER)
        calls = {
            "initialize": start,
            "tools/list": rpc("tools/list"),
            "list_documents": tool_call("list_documents", {}),
            "search_documents": tool_call("search_documents", {"query": "capital of France"}),
            "get_document_status": tool_call("get_document_status", {"id": document_id}),
            "missing_document": tool_call("get_document_status", {"id": MISSING_DOCUMENT}),
            "ask": tool_call("ask", {"question": "What is the capital of France?"}),
        }
        outcome.results["mcp"] = {
            name: self.mcp_post(cloud, outcome, message, token=token) for name, message in calls.items()
        }

    def mcp_post(
        self, cloud: Cloud, outcome: Outcome, message: dict[str, Any], *, token: str | None
    ) -> dict[str, Any]:
        """One JSON-RPC message, as an MCP client sends it over Streamable HTTP."""
        return self.mcp_request(cloud, outcome, "POST", "/mcp", message, token=token)

    def mcp_request(
        self,
        cloud: Cloud,
        outcome: Outcome,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
    ) -> dict[str, Any]:
        """A request as API Gateway proxies it to the MCP function's resources: no authorizer,
        the bearer token in a header; the response with lower-cased headers and a parsed body."""
        domain = self.rest_api_domain()
        stage_name = self.deployment.one("AWS::ApiGateway::Stage")[2]["Properties"]["StageName"]
        event = mcp_event(method, path, domain=domain, body=body, token=token, stage=stage_name)
        response = self.call(cloud, outcome, "lambdas.handlers.mcp", event)
        return {
            "statusCode": response["statusCode"],
            "headers": {name.lower(): value for name, value in (response.get("headers") or {}).items()},
            "body": json.loads(response["body"]) if response["body"] else None,
        }

    def rest_api_domain(self) -> str:
        """The REST API's default endpoint host, which clients call."""
        stack, logical_id, _ = self.deployment.one("AWS::ApiGateway::RestApi")
        return f"{self.deployment.ref(stack, logical_id)}.execute-api.{self.deployment.region}.amazonaws.com"

    # -- WebSocket ------------------------------------------------------------------------

    def connect(self, cloud: Cloud, outcome: Outcome, identity: CognitoIdentity) -> dict[str, Any]:
        api_id = self.api_id()
        event = {
            "type": "REQUEST",
            "methodArn": f"arn:aws:execute-api:{self.deployment.region}:{self.deployment.account}:{api_id}/prod/$connect",
            "headers": {"Host": f"{api_id}.execute-api.{self.deployment.region}.amazonaws.com"},
            "queryStringParameters": {"token": identity.id_token(OWNER)},
            "requestContext": {
                "routeKey": "$connect",
                "eventType": "CONNECT",
                "connectionId": CONNECTION_ID,
                "apiId": api_id,
                "stage": "prod",
                "requestId": "connect-1",
            },
        }
        result = self.call(cloud, outcome, "lambdas.handlers.ws_authorizer", event)
        assert isinstance(result, dict)
        return result

    def stream(self, cloud: Cloud, outcome: Outcome) -> None:
        """A `$default` message on a connection the authorizer admitted (its context: `sub`)."""
        api_id = self.api_id()
        event = {
            "requestContext": {
                "routeKey": "$default",
                "eventType": "MESSAGE",
                "connectionId": CONNECTION_ID,
                "apiId": api_id,
                "stage": "prod",
                "domainName": f"{api_id}.execute-api.{self.deployment.region}.amazonaws.com",
                "requestId": "message-1",
                "authorizer": {"sub": OWNER, "principalId": OWNER},
            },
            "body": json.dumps({"action": "chat", "request_id": "r1", "message": "Capital of France?"}),
            "isBase64Encoded": False,
        }
        outcome.results["stream"] = self.call(cloud, outcome, "lambdas.handlers.stream", event)

    def api_id(self) -> str:
        stack, logical_id, _ = self.deployment.one("AWS::ApiGatewayV2::Api")
        return self.deployment.ref(stack, logical_id)


def rpc(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return rpc("tools/call", {"name": name, "arguments": arguments})


def service_integration(region: str, integration: str, parameters: dict[str, Any]) -> Any:
    """What Step Functions does for the optimized and SDK integrations the workflows use."""
    if integration == "dynamodb:updateItem":
        return boto3.client("dynamodb", region_name=region).update_item(**parameters)
    if integration == "aws-sdk:s3:getObject":
        response = boto3.client("s3", region_name=region).get_object(**parameters)
        return {"Body": response["Body"].read().decode(), "ContentType": response.get("ContentType")}
    if integration == "bedrock:invokeModel":
        response = boto3.client("bedrock-runtime", region_name=region).invoke_model(
            modelId=parameters["ModelId"], body=json.dumps(parameters["Body"]), contentType="application/json"
        )
        return {"Body": json.loads(response["body"].read()), "ContentType": response["contentType"]}
    raise AssertionError(f"integration {integration} is not supported here")


def execution_succeeded(deployment: Deployment, machine_arn: str, output: Any) -> dict[str, Any]:
    """The event Step Functions sends to EventBridge when an execution succeeds."""
    execution_arn = machine_arn.replace(":stateMachine:", ":execution:") + ":0f1e2d3c"
    return {
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": deployment.account,
        "time": "2026-01-01T00:00:05Z",
        "region": deployment.region,
        "resources": [execution_arn],
        "detail": {
            "executionArn": execution_arn,
            "stateMachineArn": machine_arn,
            "name": "0f1e2d3c",
            "status": "SUCCEEDED",
            "startDate": 1767225600000,
            "stopDate": 1767225605000,
            "input": "{}",
            "output": json.dumps(output),
        },
    }


def s3_object_created(deployment: Deployment, bucket: str, key: str, size: int) -> dict[str, Any]:
    """The event S3 sends to EventBridge for a new object."""
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": deployment.account,
        "time": "2026-01-01T00:00:00Z",
        "region": deployment.region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {
                "key": key,
                "size": size,
                "etag": "b1946ac92492d2347c6235b4d2611184",
                "sequencer": "00617F08299329D189",
            },
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": deployment.account,
            "source-ip-address": "203.0.113.15",
            "reason": "PutObject",
        },
    }


class CognitoIdentity:
    """The user pool's signing key: ID and access tokens as Cognito issues them, and its JWKS
    document."""

    def __init__(self, region: str, user_pool_id: str, client_id: str) -> None:
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
        self.client_id = client_id
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwks_url = f"{self.issuer}/.well-known/jwks.json"

    def id_token(self, subject: str) -> str:
        return self._sign(
            {"sub": subject, "aud": self.client_id, "token_use": "id", "email": "user@example.com"}
        )

    def access_token(self, subject: str) -> str:
        """As Cognito issues them: the app client in `client_id`, no `aud`."""
        return self._sign(
            {"sub": subject, "client_id": self.client_id, "token_use": "access", "scope": "openid email"}
        )

    def _sign(self, claims: dict[str, Any]) -> str:
        now = int(time.time())
        issued = {"iss": self.issuer, "auth_time": now, "iat": now, "exp": now + 3600}
        return jwt.encode({**claims, **issued}, self._key, algorithm="RS256", headers={"kid": "contract-key"})

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**public, "kid": "contract-key", "alg": "RS256", "use": "sig"}]}


def cfn_event(request_type: str, deployment: Deployment, properties: dict[str, Any]) -> dict[str, Any]:
    """What CloudFormation sends a custom resource, which CDK's Provider framework passes on to
    the onEvent handler unchanged."""
    return {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:vector-index",
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/response",
        "StackId": f"arn:aws:cloudformation:{deployment.region}:{deployment.account}:stack/app/1",
        "RequestId": "5f2b6c7e-1234-4a5b-9c8d-0e1f2a3b4c5d",
        "LogicalResourceId": "VectorIndex",
        "ResourceType": "Custom::VectorIndex",
        "ResourceProperties": properties,
    }


def completion_event(request: dict[str, Any], on_event_answer: dict[str, Any]) -> dict[str, Any]:
    """What CDK's Provider framework passes the isComplete handler: the request merged with what
    onEvent answered."""
    return {**request, **on_event_answer}


def pre_sign_up_event(user_pool_id: str, email: str) -> dict[str, Any]:
    return {
        "version": "1",
        "region": "us-east-1",
        "userPoolId": user_pool_id,
        "userName": "a3c1b7e2-5d4f-4e6a-8b9c-0d1e2f3a4b5c",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23456789"},
        "triggerSource": "PreSignUp_SignUp",
        "request": {"userAttributes": {"email": email}, "validationData": None},
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }
