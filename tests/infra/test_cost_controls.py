"""Cost controls in the templates: the Cognito admins group, and an alarm on one user's model cost
per hour from a Contributor Insights rule over the chat functions' turn log lines."""

from __future__ import annotations

import json
from typing import Any

from lambdas.handlers import observability
from lambdas.handlers.routes import admin
from stacks.constructs import auth, monitoring
from tests.infra.conftest import Synthesized, resources_of


def _rule_body(synthesized: Synthesized) -> dict[str, Any]:
    (rule,) = resources_of(synthesized.app_json, "AWS::CloudWatch::InsightRule").values()
    body = rule["Properties"]["RuleBody"]
    # Log group names are references: the body is a join of literal parts and them.
    text = "".join(part if isinstance(part, str) else "LOG_GROUP" for part in body["Fn::Join"][1])
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def test_the_user_pool_has_an_admins_group(dev: Synthesized) -> None:
    dev.data.has_resource_properties("AWS::Cognito::UserPoolGroup", {"GroupName": "admins"})
    assert auth.ADMINS_GROUP == admin.ADMINS_GROUP


def test_cost_per_user_is_summed_from_the_turn_log_lines_not_from_a_metric_dimension(
    dev: Synthesized,
) -> None:
    body = _rule_body(dev)

    assert body["LogGroupNames"] == ["LOG_GROUP", "LOG_GROUP"]
    assert body["Contribution"]["Keys"] == [f"$.{observability.TURN_OWNER_FIELD}"]
    assert body["Contribution"]["ValueOf"] == f"$.{observability.TURN_COST_FIELD}"
    assert body["AggregateOn"] == "Sum"
    assert (monitoring.TURN_OWNER_FIELD, monitoring.TURN_COST_FIELD) == (
        observability.TURN_OWNER_FIELD,
        observability.TURN_COST_FIELD,
    )


def test_the_top_users_hourly_cost_alarms_the_topic(dev: Synthesized) -> None:
    alarms = resources_of(dev.app_json, "AWS::CloudWatch::Alarm")
    [alarm] = [
        a for a in alarms.values() if "INSIGHT_RULE_METRIC" in json.dumps(a["Properties"].get("Metrics", []))
    ]
    props = alarm["Properties"]
    assert props["Threshold"] == 1.0
    assert props["Metrics"][0]["Period"] == 3600
    assert "MaxContributorValue" in props["Metrics"][0]["Expression"]
    assert props["AlarmActions"]
