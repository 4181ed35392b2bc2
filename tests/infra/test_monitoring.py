"""Alarms notify an encrypted topic; the dashboard shows traffic, errors, tokens, cost, workflows."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import Synthesized, as_list, resources_of


def _alarmed_metrics(alarm: dict[str, Any]) -> set[str]:
    props = alarm["Properties"]
    if "MetricName" in props:
        return {props["MetricName"]}
    return {m["MetricStat"]["Metric"]["MetricName"] for m in props["Metrics"] if "MetricStat" in m}


def _alarms(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    return resources_of(synthesized.app_json, "AWS::CloudWatch::Alarm")


def test_alarms_cover_errors_throttles_workflow_failures_and_dead_letters(dev: Synthesized) -> None:
    watched = set().union(*(_alarmed_metrics(alarm) for alarm in _alarms(dev).values()))
    assert {
        "5XXError",
        "Errors",
        "Throttles",
        "InvocationThrottles",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ApproximateNumberOfMessagesVisible",
    } <= watched


def test_every_function_has_an_error_alarm(dev: Synthesized) -> None:
    functions = {
        name
        for name, function in resources_of(dev.app_json, "AWS::Lambda::Function").items()
        if str(function["Properties"]["Handler"]).startswith("lambdas.handlers.")
        and "vector_index_resource" not in function["Properties"]["Handler"]
    }
    alarmed = {
        dimension["Value"]["Ref"]
        for alarm in _alarms(dev).values()
        if alarm["Properties"].get("MetricName") == "Errors"
        for dimension in alarm["Properties"]["Dimensions"]
    }
    assert functions == alarmed


def test_every_alarm_notifies_the_alarm_topic(dev: Synthesized) -> None:
    (topic,) = resources_of(dev.app_json, "AWS::SNS::Topic")
    for alarm in _alarms(dev).values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic}]


def test_model_throttle_alarm_watches_every_configured_model(dev: Synthesized) -> None:
    (alarm,) = [a for name, a in _alarms(dev).items() if name.startswith("MonitoringModelThrottles")]
    models = {
        d["Value"]
        for m in alarm["Properties"]["Metrics"]
        if "MetricStat" in m
        for d in m["MetricStat"]["Metric"]["Dimensions"]
    }
    config = dev.config
    assert models == {*config.chat_model_ids, config.embedding_model_id, config.summary_model_id}


def test_dashboard_shows_requests_latency_percentiles_tokens_cost_and_ingestion(dev: Synthesized) -> None:
    (dashboard,) = resources_of(dev.app_json, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for expected in ("Count", "4XXError", "5XXError", "p50", "p99", "Throttles", "ExecutionsFailed"):
        assert expected in body
    for emf_metric in ("InputTokens", "OutputTokens", "CostUSD"):
        assert f'MetricName=\\\\\\"{emf_metric}\\\\\\"' in body
    assert "genai-chat" in body


def test_topic_accepts_only_tls_and_publications_from_this_account(dev: Synthesized) -> None:
    (policy,) = resources_of(dev.app_json, "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    services = {
        service
        for s in statements
        if s["Effect"] == "Allow"
        for service in as_list(s["Principal"]["Service"])
    }
    assert services == {"cloudwatch.amazonaws.com", "budgets.amazonaws.com"}
    for statement in statements:
        if statement["Effect"] == "Allow":
            assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_no_budget_or_email_unless_configured(dev: Synthesized) -> None:
    dev.app.resource_count_is("AWS::Budgets::Budget", 0)
    dev.app.resource_count_is("AWS::SNS::Subscription", 0)


def test_configured_budget_warns_on_actual_and_forecast_spend_of_this_deployment(prod: Synthesized) -> None:
    (budget,) = resources_of(prod.app_json, "AWS::Budgets::Budget").values()
    props = budget["Properties"]
    assert props["Budget"]["BudgetLimit"] == {"Amount": 250, "Unit": "USD"}
    assert props["Budget"]["TimeUnit"] == "MONTHLY"
    assert props["Budget"]["CostFilters"] == {"TagKeyValue": ["user:deployment$genai-chat-prod"]}
    notifications = {n["Notification"]["NotificationType"]: n for n in props["NotificationsWithSubscribers"]}
    assert set(notifications) == {"ACTUAL", "FORECASTED"}
    (topic,) = resources_of(prod.app_json, "AWS::SNS::Topic")
    for notification in notifications.values():
        assert {"Address": {"Ref": topic}, "SubscriptionType": "SNS"} in notification["Subscribers"]
        assert {"Address": "ops@example.com", "SubscriptionType": "EMAIL"} in notification["Subscribers"]


def test_configured_email_subscribes_to_alarms(prod: Synthesized) -> None:
    prod.app.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
    )


def test_messaging_key_lets_alarms_and_budgets_publish_to_the_encrypted_topic(dev: Synthesized) -> None:
    (key,) = [
        k
        for name, k in resources_of(dev.data_json, "AWS::KMS::Key").items()
        if name.startswith("EncryptionMessagingKey")
    ]
    services = {
        service
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if "Service" in s["Principal"]
        for service in as_list(s["Principal"]["Service"])
    }
    assert {"cloudwatch.amazonaws.com", "budgets.amazonaws.com"} <= services
