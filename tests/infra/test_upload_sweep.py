"""The upload sweep as synthesized: on a schedule, with only the grants its work needs."""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import Synthesized, as_list, policy_statements, resources_of


def _sweep_function(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (name, function)
        for name, function in resources_of(synthesized.app_json, "AWS::Lambda::Function").items()
        if function["Properties"].get("Handler") == "lambdas.handlers.upload_sweep.handler"
    ]
    return found


def _sweep_statements(synthesized: Synthesized) -> list[dict[str, Any]]:
    return [
        statement
        for name, statement in policy_statements(synthesized.app_json)
        if name.startswith("UploadSweep")
    ]


def test_the_sweep_runs_every_fifteen_minutes(dev: Synthesized) -> None:
    name, _ = _sweep_function(dev)
    (rule,) = [
        rule
        for rule in resources_of(dev.app_json, "AWS::Events::Rule").values()
        if any(target["Arn"] == {"Fn::GetAtt": [name, "Arn"]} for target in rule["Properties"]["Targets"])
    ]
    assert rule["Properties"]["ScheduleExpression"] == "rate(15 minutes)"


def test_the_sweep_may_scan_and_update_the_documents_table_and_nothing_else_there(dev: Synthesized) -> None:
    dynamodb_actions = {
        action
        for statement in _sweep_statements(dev)
        for action in as_list(statement["Action"])
        if action.startswith("dynamodb:")
    }
    assert dynamodb_actions == {"dynamodb:Scan", "dynamodb:UpdateItem"}


def test_the_sweep_may_only_list_the_uploads_prefix_of_the_bucket(dev: Synthesized) -> None:
    s3 = [s for s in _sweep_statements(dev) if any(a.startswith("s3:") for a in as_list(s["Action"]))]
    assert [as_list(s["Action"]) for s in s3] == [["s3:ListBucket"]]
    assert s3[0]["Condition"] == {"StringLike": {"s3:prefix": ["uploads/*"]}}
