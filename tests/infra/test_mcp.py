"""The MCP endpoint: its routes on the REST API's stage, its function's settings and grants."""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import Synthesized, as_list, policy_statements, resources_of

HANDLER = "lambdas.handlers.mcp.handler"


def _function_id(synthesized: Synthesized) -> str:
    (logical_id,) = [
        name
        for name, function in resources_of(synthesized.app_json, "AWS::Lambda::Function").items()
        if function["Properties"]["Handler"] == HANDLER
    ]
    return logical_id


def _role_id(synthesized: Synthesized) -> str:
    function = synthesized.app_json["Resources"][_function_id(synthesized)]  # type: ignore[index]
    role_id: str = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return role_id


def _paths(synthesized: Synthesized) -> dict[str, str]:
    """Resource logical id -> its full path, e.g. `/.well-known/oauth-protected-resource/mcp`."""
    resources = resources_of(synthesized.app_json, "AWS::ApiGateway::Resource")

    def path(logical_id: str) -> str:
        props = resources[logical_id]["Properties"]
        parent = props["ParentId"]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{props['PathPart']}"

    return {logical_id: path(logical_id) for logical_id in resources}


def _methods_by_path(synthesized: Synthesized) -> dict[str, dict[str, dict[str, Any]]]:
    paths = _paths(synthesized)
    by_path: dict[str, dict[str, dict[str, Any]]] = {}
    for method in resources_of(synthesized.app_json, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        resource = props["ResourceId"]
        if "Ref" in resource and props["HttpMethod"] != "OPTIONS":
            by_path.setdefault(paths[resource["Ref"]], {})[props["HttpMethod"]] = props
    return by_path


def _integrates_the_function(method: dict[str, Any], function_id: str) -> bool:
    return function_id in str(method["Integration"]["Uri"])


def test_the_mcp_route_and_its_metadata_reach_the_mcp_function_on_the_apis_stage(dev: Synthesized) -> None:
    methods = _methods_by_path(dev)
    function_id = _function_id(dev)

    assert set(methods["/mcp"]) == {"POST", "GET", "DELETE"}
    assert set(methods["/.well-known/oauth-protected-resource/mcp"]) == {"GET"}
    for method in [*methods["/mcp"].values(), *methods["/.well-known/oauth-protected-resource/mcp"].values()]:
        assert _integrates_the_function(method, function_id)
        assert method["Integration"]["Type"] == "AWS_PROXY"


def test_the_function_not_api_gateway_checks_the_token_so_clients_get_the_specs_401(dev: Synthesized) -> None:
    methods = _methods_by_path(dev)

    assert {m["AuthorizationType"] for m in methods["/mcp"].values()} == {"NONE"}
    (function,) = [
        f
        for f in resources_of(dev.app_json, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == HANDLER
    ]
    environment = function["Properties"]["Environment"]["Variables"]
    assert "UserPool" in str(environment["COGNITO_USER_POOL_ID"])
    assert "WebClient" in str(environment["COGNITO_APP_CLIENT_ID"])


def test_the_function_may_chat_and_read_documents_but_not_change_them(dev: Synthesized) -> None:
    role_id = _role_id(dev)
    statements = [
        statement
        for name, statement in policy_statements(dev.app_json)
        if any(role.get("Ref") == role_id for role in dev.app_json["Resources"][name]["Properties"]["Roles"])  # type: ignore[index]
    ]
    actions = {action for statement in statements for action in as_list(statement["Action"])}
    by_table: dict[str, set[str]] = {}
    for statement in statements:
        for resource in as_list(statement["Resource"]):
            for table in ("Conversations", "Usage", "Documents"):
                if table in str(resource) and "dynamodb:" in str(statement["Action"]):
                    by_table.setdefault(table, set()).update(as_list(statement["Action"]))

    assert {"dynamodb:PutItem", "dynamodb:UpdateItem"} <= by_table["Conversations"]
    assert {"dynamodb:UpdateItem"} <= by_table["Usage"]
    assert "dynamodb:Query" in by_table["Documents"]
    assert not {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} & by_table["Documents"]
    assert "bedrock:InvokeModel" in actions
    assert "aoss:APIAccessAll" in actions
    assert not any(action.startswith(("s3:", "states:", "sqs:")) for action in actions)


def test_on_opensearch_the_function_may_only_read_the_chunk_index(dev: Synthesized) -> None:
    role_id = _role_id(dev)
    policies = [
        policy["Properties"]
        for policy in resources_of(dev.app_json, "AWS::OpenSearchServerless::AccessPolicy").values()
        if role_id in str(policy["Properties"]["Policy"])
    ]

    (policy,) = policies
    assert "aoss:ReadDocument" in str(policy["Policy"])
    assert "aoss:WriteDocument" not in str(policy["Policy"])
    assert len(policy["Name"]) <= 32


def test_the_function_has_an_error_alarm(dev: Synthesized) -> None:
    function_id = _function_id(dev)
    alarms = resources_of(dev.app_json, "AWS::CloudWatch::Alarm").values()

    assert any(
        function_id in str(alarm["Properties"]) and "Errors" in str(alarm["Properties"]) for alarm in alarms
    )


def test_the_stack_outputs_the_mcp_url(dev: Synthesized) -> None:
    outputs: dict[str, Any] = dev.app_json["Outputs"]  # type: ignore[assignment]

    assert "/mcp" in str(outputs["McpUrl"]["Value"])
